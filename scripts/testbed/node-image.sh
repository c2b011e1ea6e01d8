# shellcheck shell=bash
# Sourced by testbed.sh. The project's Dockerfile starts FROM node:20-bookworm-slim, and the bed
# never pulls from a public registry, so `up` builds a stand-in under that exact name in the
# bed's engine: FROM scratch with this machine's own Node.js 20 and npm, the shared libraries
# node links against, busybox for a shell, and the machine's CA bundle. The machine is Debian
# bookworm, so the C library is the one the real image has.
#
# Uses from testbed.sh: DIR, DOCKER, ENGINE_HOST, STARTED_ENGINE, die, say, sha.

NODE_IMAGE=node:20-bookworm-slim
NODE_IMAGE_FINGERPRINT_LABEL=refit.testbed.fingerprint
NODE_IMAGE_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
NODE_IMAGE_SCRIPT="${BASH_SOURCE[0]}"

bed_docker() {
  DOCKER_HOST="$ENGINE_HOST" DOCKER_CONFIG="$DIR/docker-config" DOCKER_BUILDKIT=0 "$DOCKER" "$@"
}

# Host paths the image is made of, one per line: node, npm's and corepack's package directories
# (corepack may be missing), busybox, the CA bundle (may be missing), then node's shared libraries
# and the dynamic loader as ldd names them.
node_image_sources() {
  local node npm_dir modules
  node="$(readlink -f "$(command -v node)")"
  modules="$(dirname "$(dirname "$node")")/lib/node_modules"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  echo "$node"
  echo "$npm_dir"
  [[ -d $modules/corepack ]] && echo "$modules/corepack"
  echo /bin/busybox
  [[ -f $NODE_IMAGE_CA_BUNDLE ]] && echo "$NODE_IMAGE_CA_BUNDLE"
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
  ldd "$node" | sed -n -e 's|^.*=> \(/[^ ]*\) .*$|\1|p' -e 's|^[[:space:]]*\(/[^ ]*\) .*$|\1|p'
}

# Cheap to compute on every `up`: the recipe (this file), node's version, and the size and mtime
# of every source file (npm's package directory file by file), rather than hashing 100 MB.
node_image_fingerprint() {
  local sources=("$@")
  {
    cat "$NODE_IMAGE_SCRIPT"
    node --version
    # A dangling link inside npm's tree must not stop the bed; it is in the listing either way.
    find -L "${sources[@]}" -printf '%p %s %T@\n' 2>/dev/null || true
  } | sha
}

# The path a host file gets in the image. The image uses Debian's merged /usr (/lib -> usr/lib),
# so /lib/x/y and /usr/lib/x/y both land in usr/lib/x/y.
image_path_of() {
  local rel="${1#/}"
  echo "usr/${rel#usr/}"
}

node_image_rootfs() {
  local root=$1 node=$2 npm_dir=$3 corepack=$4 ca=$5
  shift 5
  rm -rf "$root"
  mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/usr/local/{bin,lib/node_modules} \
    "$root"/etc "$root"/root "$root"/home/node "$root"/tmp
  local d
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done

  cp "$node" "$root/usr/local/bin/node"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  if [[ -n $corepack ]]; then
    cp -a "$corepack" "$root/usr/local/lib/node_modules/corepack"
    ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
  fi
  cp /bin/busybox "$root/usr/bin/busybox"
  local lib dest
  for lib in "$@"; do
    dest="$root/$(image_path_of "$lib")"
    mkdir -p "$(dirname "$dest")"
    cp -L "$lib" "$dest"
  done
  if [[ -n $ca ]]; then
    mkdir -p "$root/etc/ssl/certs"
    cp -L "$ca" "$root/etc/ssl/certs/ca-certificates.crt"
  fi

  # The official image's users: root and node (uid 1000).
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'node:x:1000:1000::/home/node:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'node:x:1000:' 'nogroup:x:65534:' >"$root/etc/group"
  # Without it glibc asks DNS before /etc/hosts.
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$root/etc/nsswitch.conf"
}

node_image_dockerfile() {
  local version=$1 fingerprint=$2 ca=$3
  cat <<EOF
FROM scratch
COPY rootfs/ /
RUN ["/usr/bin/busybox", "sh", "-c", "/usr/bin/busybox --install -s && chown -R 1000:1000 /home/node && chmod 1777 /tmp && chmod 700 /root"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION=$version
EOF
  # Node ships its own CA list; the machine's bundle adds whatever this network needs on top
  # (e.g. a TLS-inspecting proxy's CA), so npm and fetch reach their hosts from containers too.
  [[ -z $ca ]] || echo "ENV NODE_EXTRA_CA_CERTS=$NODE_IMAGE_CA_BUNDLE"
  cat <<EOF
LABEL refit.testbed="1" $NODE_IMAGE_FINGERPRINT_LABEL="$fingerprint"
CMD ["node"]
EOF
}

up_node_image() {
  local present=false testbed_label="" recorded=""
  local info
  # `with`: indexing an image's labels fails when it has none (the official image has none).
  local format="{{.Id}}|{{with .Config.Labels}}{{index . \"refit.testbed\"}}|{{index . \"$NODE_IMAGE_FINGERPRINT_LABEL\"}}{{end}}"
  if info="$(bed_docker image inspect --format "$format" "$NODE_IMAGE" 2>/dev/null)"; then
    present=true
    IFS='|' read -r _ testbed_label recorded <<<"$info"
  fi
  if $present && ! $STARTED_ENGINE && [[ $testbed_label != 1 ]]; then
    say "node image" "$NODE_IMAGE already in $ENGINE_HOST (not built by the bed), left as it is"
    return
  fi

  local version major
  command -v node >/dev/null || die "node is not on PATH; the bed builds $NODE_IMAGE from this machine's Node.js"
  command -v npm >/dev/null || die "npm is not on PATH; the bed builds $NODE_IMAGE from this machine's npm"
  version="$(node --version)"
  version="${version#v}"
  major="${version%%.*}"
  [[ $major == 20 ]] || die "this machine's node is $version, but $NODE_IMAGE needs Node.js 20"

  local sources node npm_dir corepack="" ca="" libs=() src
  mapfile -t sources < <(node_image_sources)
  node="${sources[0]}"
  npm_dir="${sources[1]}"
  for src in "${sources[@]:2}"; do
    case $src in
      */corepack) corepack="$src" ;;
      /bin/busybox) ;;
      "$NODE_IMAGE_CA_BUNDLE") ca="$src" ;;
      *) libs+=("$src") ;;
    esac
  done
  [[ -f $npm_dir/bin/npm-cli.js ]] || die "no npm package at $npm_dir (from $(command -v npm))"
  ((${#libs[@]} > 0)) || die "ldd named no libraries for $node"

  local fingerprint
  fingerprint="$(node_image_fingerprint "${sources[@]}")"
  if $present && [[ $recorded == "$fingerprint" ]]; then
    say "node image" "$NODE_IMAGE up to date (node $version)"
    return
  fi

  local started=$SECONDS context="$DIR/build/node-image" log
  node_image_rootfs "$context/rootfs" "$node" "$npm_dir" "$corepack" "$ca" "${libs[@]}"
  node_image_dockerfile "$version" "$fingerprint" "$ca" >"$context/Dockerfile"
  log="$DIR/logs/node-image-build.log"
  if ! bed_docker build --tag "$NODE_IMAGE" "$context" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "building $NODE_IMAGE failed (see $log)"
  fi
  # The staging copy is 100+ MB and only needed for a rebuild, which recreates it.
  rm -rf "$context/rootfs"
  local old_id="${info%%|*}"
  # A stand-in the bed replaced is garbage; a build still using it as a parent keeps it.
  if $present && [[ $testbed_label == 1 && $old_id != "$(bed_docker image inspect --format '{{.Id}}' "$NODE_IMAGE")" ]]; then
    bed_docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
  say "node image" "$NODE_IMAGE built from this machine's node $version in $((SECONDS - started)) s"
}
