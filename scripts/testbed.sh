#!/usr/bin/env bash
# refit's test bed: a Docker engine, three registries (open, basic auth, bearer-token auth), the
# token server behind the third, seeded images, a local node:20-bookworm-slim for the project's
# own Dockerfile, a second engine and a Swarm engine over TLS, an MQTT broker and Chromium; all
# on this machine, no public registry.
#
#   bash scripts/testbed.sh up             start what is not running, reuse what answers
#   bash scripts/testbed.sh down [--purge] stop what the bed started (--purge: delete its data too)
#   bash scripts/testbed.sh status         one line per part; exit status 1 when a part is down
#   bash scripts/testbed.sh probe up|down [--purge]
#   bash scripts/testbed.sh fault up|kill|down      an engine of its own for a test to kill
#                                          copies of the second and the swarm engine, made and
#                                          removed like the bed's (for the test that they leave
#                                          docker0 alone)
#
# Environment: REFIT_TESTBED_DIR (state, default /var/lib/refit-testbed), REFIT_TESTBED_RUN_DIR
# (engine sockets, default /run/refit-testbed), REFIT_TESTBED_PORT_BASE (default 5000, see
# port_of), REFIT_TESTBED_TOKEN_TTL (seconds, default 300), REFIT_TESTBED_NOTIFY_URL (optional
# registry notifications endpoint), DOCKER_HOST.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/scripts/testbed"
DIR="${REFIT_TESTBED_DIR:-/var/lib/refit-testbed}"
RUN_DIR="${REFIT_TESTBED_RUN_DIR:-/run/refit-testbed}"
PORT_BASE="${REFIT_TESTBED_PORT_BASE:-5000}"
TOKEN_TTL="${REFIT_TESTBED_TOKEN_TTL:-300}"
NOTIFY_URL="${REFIT_TESTBED_NOTIFY_URL:-}"
# Debian's CLI matches the engine's API version; a newer `docker` may come first on PATH.
DOCKER=/usr/bin/docker
OWN_HOST="unix://$RUN_DIR/docker.sock"
DEFAULT_HOST="unix:///var/run/docker.sock"
SERVICE=refit-testbed
ISSUER=refit-testbed-token-server
USERNAME=refit
REGISTRIES=(open basic token)

die() {
  echo "testbed: error: $*" >&2
  exit 1
}
say() { printf '%-14s %s\n' "$1" "$2"; }

# Paths end up in YAML and JSON unquoted; refuse anything that would need escaping.
[[ $DIR =~ ^/[A-Za-z0-9._/-]+$ && $DIR != / ]] || die "REFIT_TESTBED_DIR must be an absolute plain path, got '$DIR'"
[[ $RUN_DIR =~ ^/[A-Za-z0-9._/-]+$ && $RUN_DIR != / ]] || die "REFIT_TESTBED_RUN_DIR must be an absolute plain path, got '$RUN_DIR'"
[[ $PORT_BASE =~ ^[0-9]+$ ]] && ((PORT_BASE > 0 && PORT_BASE < 65520)) || die "REFIT_TESTBED_PORT_BASE must be a port number, got '$PORT_BASE'"
[[ $TOKEN_TTL =~ ^[0-9]+$ ]] && ((TOKEN_TTL > 0)) || die "REFIT_TESTBED_TOKEN_TTL must be a positive number of seconds, got '$TOKEN_TTL'"
[[ $NOTIFY_URL =~ ^[A-Za-z0-9:/._?=\&%-]*$ ]] || die "REFIT_TESTBED_NOTIFY_URL contains characters the bed cannot embed: '$NOTIFY_URL'"

# The bed's ports, all on 127.0.0.1. The engines (scripts/testbed/engines.sh) and the MQTT
# broker (scripts/testbed/mosquitto.sh) use: +4 second engine (TLS), +5 swarm engine (TLS),
# +6 MQTT, +7 MQTT with password, +8 Swarm cluster port, +9 Swarm data path (VXLAN, UDP),
# +10 and +11 the probe engines (TLS), +12 and +13 the probe's Swarm (on 127.0.0.2).
port_of() {
  case $1 in
    open) echo "$PORT_BASE" ;;
    basic) echo $((PORT_BASE + 1)) ;;
    token) echo $((PORT_BASE + 2)) ;;
    token-server) echo $((PORT_BASE + 3)) ;;
  esac
}
TOKEN_PORT="$(port_of token-server)"
REALM="http://127.0.0.1:$TOKEN_PORT/token"

# ---------------------------------------------------------------------------------------------
# Small tools

ensure_packages() {
  local missing=() pkg
  for pkg in docker.io docker-registry busybox-static docker-compose apache2-utils openssl iproute2 \
    mosquitto mosquitto-clients chromium; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  ((EUID == 0)) || die "missing packages (${missing[*]}) and not root to install them"
  echo "testbed: installing ${missing[*]}" >&2
  local log
  log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
    apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "could not install ${missing[*]} (apt output above)"
  fi
  rm -f "$log"
}

sha() { sha256sum | cut -c1-64; }

# Prints the pid recorded in file $1 when that process is alive and its command line contains
# $2, so a recycled pid never makes the bed stop somebody else's process.
own_pid() {
  local file=$1 needle=$2 pid
  [[ -s $file ]] || return 0
  pid="$(<"$file")"
  if cmdline_has "$pid" "$needle"; then echo "$pid"; fi
}

cmdline_has() {
  [[ $1 =~ ^[0-9]+$ && -r /proc/$1/cmdline ]] || return 1
  [[ $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true) == *"$2"* ]]
}

# Finds a process by a unique piece of its command line (fallback when `$!` was a wrapper).
pid_by_cmdline() {
  local needle=$1 f pid
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    [[ $(tr '\0' ' ' <"$f" 2>/dev/null || true) == *"$needle"* ]] && echo "$pid" && return 0
  done
  return 0
}

alive() { [[ -d /proc/$1 ]] && ! grep -q '^[^ ]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

stop_pid() {
  local pid=$1 what=$2 waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while alive "$pid"; do
    if ((waited >= 150)); then
      echo "testbed: $what (pid $pid) ignored SIGTERM for 15 s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Prints the HTTP status of GET $2 on 127.0.0.1:$1, or nothing when nothing answers.
http_status() {
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nUser-Agent: refit-testbed-probe\r\n\r\n" "$1" "$0" >&3
    read -r _ status _ <&3 && printf "%s" "$status"
  ' "$1" "$2" 2>/dev/null || true
}

port_taken() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null; }

port_owner() {
  command -v ss >/dev/null || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n1 || true
}

require_free_port() {
  local port=$1 what=$2
  port_taken "$port" || return 0
  die "port $port (for $what) is in use by something the test bed did not start $(port_owner "$port"); stop it or set REFIT_TESTBED_PORT_BASE"
}

engine_answers() {
  DOCKER_HOST="$1" DOCKER_CONFIG="$DIR/docker-config" timeout 10 "$DOCKER" version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
}

fingerprint_matches() { [[ -f $DIR/pids/$1.fingerprint && "$(<"$DIR/pids/$1.fingerprint")" == "$2" ]]; }

# ---------------------------------------------------------------------------------------------
# State directory, secrets, certificates

prepare_state() {
  mkdir -p "$DIR"/{logs,pids,config,storage,auth,certs,build,docker-config,parts,engines} "$RUN_DIR"
  [[ -f $DIR/.refit-testbed ]] || touch "$DIR/.refit-testbed"
  chmod 700 "$DIR/auth" "$DIR/certs" "$DIR/docker-config"
  local name
  for name in basic-password token-password http-secret; do
    if [[ ! -s $DIR/auth/$name ]]; then
      (umask 077 && openssl rand -hex 16 >"$DIR/auth/$name")
    fi
  done
  if [[ ! -s $DIR/auth/htpasswd || $DIR/auth/basic-password -nt $DIR/auth/htpasswd ]]; then
    (umask 077 && htpasswd -Bbn "$USERNAME" "$(<"$DIR/auth/basic-password")" >"$DIR/auth/htpasswd")
  fi
  if [[ ! -s $DIR/certs/token.key || ! -s $DIR/certs/token.crt ]]; then
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$DIR/certs/token.key" 2>/dev/null)
    openssl req -x509 -new -key "$DIR/certs/token.key" -out "$DIR/certs/token.crt" -days 3650 \
      -subj "/CN=$ISSUER" 2>/dev/null
  fi
  [[ -f $DIR/docker-config/config.json ]] || (umask 077 && echo '{}' >"$DIR/docker-config/config.json")
  [[ -f $DIR/config/dockerd.json ]] || echo '{}' >"$DIR/config/dockerd.json"
}

# ---------------------------------------------------------------------------------------------
# Engine

ENGINE_HOST=""
STARTED_ENGINE=false

own_engine_args() {
  # The bed's own daemon.json keeps a host /etc/docker/daemon.json from clashing with the flags.
  printf '%s\n' --data-root "$DIR/docker" --exec-root "$RUN_DIR/exec" -H "$OWN_HOST" \
    --pidfile "$DIR/pids/dockerd.pid" --config-file "$DIR/config/dockerd.json"
}

up_engine() {
  # DOCKER_HOST naming the bed's own socket (exported from testbed.json) means the own engine.
  local wants_own=false
  [[ ${DOCKER_HOST:-} == "$OWN_HOST" ]] && wants_own=true
  if [[ -n ${DOCKER_HOST:-} ]] && ! $wants_own; then
    if engine_answers "$DOCKER_HOST"; then
      ENGINE_HOST="$DOCKER_HOST"
      say engine "using DOCKER_HOST $DOCKER_HOST (not started by the bed)"
      return
    fi
    echo "testbed: DOCKER_HOST $DOCKER_HOST does not answer, looking further" >&2
  fi
  if ! $wants_own && engine_answers "$DEFAULT_HOST"; then
    ENGINE_HOST="$DEFAULT_HOST"
    say engine "using $DEFAULT_HOST (not started by the bed)"
    return
  fi

  local args fp pid
  mapfile -t args < <(own_engine_args)
  fp="$(printf '%s\n' "${args[@]}" | sha)"
  ENGINE_HOST="$OWN_HOST"
  STARTED_ENGINE=true
  pid="$(own_pid "$DIR/pids/dockerd.pid" "--data-root $DIR/docker")"
  if [[ -n $pid ]]; then
    if ! fingerprint_matches dockerd "$fp"; then
      echo "testbed: restarting own dockerd (pid $pid): its settings changed" >&2
    elif engine_answers "$OWN_HOST"; then
      say engine "own dockerd reused (pid $pid) at $OWN_HOST"
      return
    else
      echo "testbed: restarting own dockerd (pid $pid): it does not answer" >&2
    fi
    stop_pid "$pid" dockerd
  fi
  # dockerd refuses to start over a pid file whose pid looks alive (a zombie or a recycled pid).
  rm -f "$DIR/pids/dockerd.pid"
  mkdir -p "$DIR/docker" "$RUN_DIR/exec"
  setsid dockerd "${args[@]}" >>"$DIR/logs/dockerd.log" 2>&1 </dev/null 9>&- &
  local waited=0
  until engine_answers "$OWN_HOST"; do
    if ((waited >= 600)) || ! alive "$!"; then
      echo "--- last lines of $DIR/logs/dockerd.log" >&2
      tail -n 25 "$DIR/logs/dockerd.log" >&2 || true
      die "own dockerd did not answer at $OWN_HOST within 60 s (see above)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "$fp" >"$DIR/pids/dockerd.fingerprint"
  say engine "own dockerd started (pid $(<"$DIR/pids/dockerd.pid")) at $OWN_HOST"
}

# ---------------------------------------------------------------------------------------------
# Registries

render() {
  sed -e "s|@@NAME@@|$1|g" -e "s|@@PORT@@|$(port_of "$1")|g" -e "s|@@STORAGE@@|$DIR/storage/$1|g" \
    -e "s|@@HTTP_SECRET@@|$(<"$DIR/auth/http-secret")|g" -e "s|@@HTPASSWD@@|$DIR/auth/htpasswd|g" \
    -e "s|@@REALM@@|$REALM|g" -e "s|@@SERVICE@@|$SERVICE|g" -e "s|@@ISSUER@@|$ISSUER|g" \
    -e "s|@@CERT@@|$DIR/certs/token.crt|g" -e "s|@@NOTIFY_URL@@|${NOTIFY_URL//&/\\&}|g" "$2"
}

# GET /v2/ tells the three apart: 200 without auth, 401 with either kind.
expected_ping() { [[ $1 == open ]] && echo 200 || echo 401; }

up_registry() {
  local name=$1 port cfg fp pid auth
  port="$(port_of "$name")"
  cfg="$DIR/config/$name.yml"
  auth="$SRC/registry-auth-$name.yml"
  [[ $name == open ]] && auth="$SRC/registry-auth-none.yml"
  local text
  text="$(
    render "$name" "$SRC/registry.yml"
    render "$name" "$auth"
    [[ -z $NOTIFY_URL ]] || render "$name" "$SRC/registry-notifications.yml"
  )"
  # Rewritten only when it changed, so a repeated `up` leaves the state directory untouched.
  [[ -f $cfg && $text == "$(<"$cfg")" ]] || printf '%s\n' "$text" >"$cfg"
  fp="$({ cat "$cfg"; echo "$port"; } | sha)"

  pid="$(own_pid "$DIR/pids/$name.pid" "$cfg")"
  if [[ -n $pid ]]; then
    if ! fingerprint_matches "$name" "$fp"; then
      echo "testbed: restarting registry $name (pid $pid): its config changed" >&2
    elif [[ $(http_status "$port" /v2/) == "$(expected_ping "$name")" ]]; then
      say "registry $name" "reused (pid $pid) at 127.0.0.1:$port"
      return
    else
      echo "testbed: restarting registry $name (pid $pid): it does not answer as expected" >&2
    fi
    stop_pid "$pid" "registry $name"
  fi
  require_free_port "$port" "registry $name"
  mkdir -p "$DIR/storage/$name"
  setsid docker-registry serve "$cfg" >>"$DIR/logs/$name-access.log" 2>>"$DIR/logs/$name.log" </dev/null 9>&- &
  pid=$!
  cmdline_has "$pid" "$cfg" || pid="$(pid_by_cmdline "serve $cfg")"
  echo "$pid" >"$DIR/pids/$name.pid"
  local waited=0
  until [[ $(http_status "$port" /v2/) == "$(expected_ping "$name")" ]]; do
    if ((waited >= 100)) || ! alive "$pid"; then
      tail -n 15 "$DIR/logs/$name.log" >&2 || true
      die "registry $name did not answer on 127.0.0.1:$port as expected (see $DIR/logs/$name.log)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "$fp" >"$DIR/pids/$name.fingerprint"
  say "registry $name" "started (pid $pid) at 127.0.0.1:$port"
}

# ---------------------------------------------------------------------------------------------
# Token server

token_server_args() {
  printf '%s\n' --import tsx "$SRC/token-server.ts" --state-dir "$DIR" --port "$TOKEN_PORT" \
    --service "$SERVICE" --issuer "$ISSUER" --username "$USERNAME" --ttl "$TOKEN_TTL"
}

up_token_server() {
  local args fp pid
  mapfile -t args < <(token_server_args)
  fp="$({ printf '%s\n' "${args[@]}"; cat "$SRC/token-server.ts"; } | sha)"
  pid="$(own_pid "$DIR/pids/token-server.pid" "token-server.ts --state-dir $DIR ")"
  if [[ -n $pid ]]; then
    if ! fingerprint_matches token-server "$fp"; then
      echo "testbed: restarting the token server (pid $pid): its code or settings changed" >&2
    elif [[ $(http_status "$TOKEN_PORT" /healthz) == 200 ]]; then
      say "token server" "reused (pid $pid) at $REALM"
      return
    else
      echo "testbed: restarting the token server (pid $pid): it does not answer" >&2
    fi
    stop_pid "$pid" "token server"
  fi
  require_free_port "$TOKEN_PORT" "the token server"
  # Run from the project root so `--import tsx` resolves from its node_modules.
  (cd "$ROOT" && exec setsid node "${args[@]}" >>"$DIR/logs/token-server.out" 2>&1 </dev/null 9>&-) &
  pid=$!
  local waited=0
  until [[ $(http_status "$TOKEN_PORT" /healthz) == 200 ]]; do
    if ((waited >= 100)) || ! alive "$pid"; then
      tail -n 15 "$DIR/logs/token-server.out" >&2 || true
      die "the token server did not answer on 127.0.0.1:$TOKEN_PORT (see $DIR/logs/token-server.out)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  cmdline_has "$pid" "token-server.ts" || pid="$(pid_by_cmdline "token-server.ts --state-dir $DIR ")"
  echo "$pid" >"$DIR/pids/token-server.pid"
  echo "$fp" >"$DIR/pids/token-server.fingerprint"
  say "token server" "started (pid $pid) at $REALM"
}

# ---------------------------------------------------------------------------------------------
# Images and testbed.json

up_images() {
  (cd "$ROOT" && REFIT_TESTBED_DIR="$DIR" REFIT_TESTBED_DOCKER_HOST="$ENGINE_HOST" \
    REFIT_TESTBED_STARTED_ENGINE="$STARTED_ENGINE" REFIT_TESTBED_PORT_BASE="$PORT_BASE" \
    REFIT_TESTBED_REALM="$REALM" REFIT_TESTBED_SERVICE="$SERVICE" REFIT_TESTBED_USERNAME="$USERNAME" \
    REFIT_TESTBED_SEED_FINGERPRINT="$(seed_fingerprint)" \
    node --import tsx "$SRC/seed-images.ts")
}

# What the seeded images are made of. The seeder also checks that every seeded reference is still
# in its registry, so helpers it uses may change without a reseed.
seed_fingerprint() {
  cat "$SRC/seed-recipe.ts" "$SRC/base.Dockerfile" /bin/busybox | sha
}

# The stand-in for node:20-bookworm-slim, so the project's own Dockerfile builds on the bed.
# shellcheck source=scripts/testbed/node-image.sh
source "$SRC/node-image.sh"
# shellcheck source=scripts/testbed/engines.sh
source "$SRC/engines.sh"
# shellcheck source=scripts/testbed/mosquitto.sh
source "$SRC/mosquitto.sh"

EXTRA_ENGINES=(second swarm)
PROBE_ENGINES=(probe-second probe-swarm)

# Chromium is only installed (tests drive it with playwright-core); testbed.json says where.
write_chromium_part() {
  local bin=/usr/bin/chromium version text
  [[ -x $bin ]] || die "$bin is missing (package chromium)"
  text="$(printf '{\n  "executablePath": "%s"\n}' "$bin")"
  [[ -f $DIR/parts/chromium.json && $text == "$(<"$DIR/parts/chromium.json")" ]] || printf '%s\n' "$text" >"$DIR/parts/chromium.json"
  version="$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)"
  say chromium "$bin (Debian package ${version:-unknown})"
}

cmd_up() {
  ensure_packages
  lock
  prepare_state
  up_engine
  local name
  for name in "${REGISTRIES[@]}"; do up_registry "$name"; done
  up_token_server
  prepare_engine_certs
  local engine
  for engine in "${EXTRA_ENGINES[@]}"; do up_extra_engine "$engine"; done
  up_mosquitto
  write_mqtt_part
  write_chromium_part
  up_images
  for engine in "${EXTRA_ENGINES[@]}"; do up_en_base_image "$engine"; done
  up_node_image
  local fp
  fp="$({ cat "$0" "$SRC"/*; } | sha)"
  fingerprint_matches bed "$fp" || echo "$fp" >"$DIR/pids/bed.fingerprint"
}

# Two `up`s at once (parallel test runs) would race for the same ports and pid files. Every
# process the bed starts gets fd 9 closed, or it would hold the lock for its whole life.
lock() {
  mkdir -p "$DIR/pids"
  exec 9>>"$DIR/pids/testbed.lock"
  flock -w 300 9 || die "another testbed.sh holds $DIR/pids/testbed.lock for more than 5 minutes"
}

# ---------------------------------------------------------------------------------------------
# down / status

recorded_engine_host() {
  [[ -f $DIR/testbed.json ]] || return 0
  sed -n 's/^ *"dockerHost": *"\([^"]*\)".*/\1/p' "$DIR/testbed.json" | head -n1
}

cmd_down() {
  local purge=false
  [[ ${1:-} == --purge ]] && purge=true
  [[ -f $DIR/.refit-testbed ]] || {
    say down "nothing to do: $DIR holds no test bed"
    return 0
  }
  lock
  local host
  host="$(recorded_engine_host)"
  if [[ -n $host ]] && engine_answers "$host"; then
    local ids
    ids="$(DOCKER_HOST="$host" "$DOCKER" ps -aq --filter label=refit.testbed=1)"
    [[ -z $ids ]] || DOCKER_HOST="$host" "$DOCKER" rm -fv $ids >/dev/null
    say containers "removed $(echo "$ids" | grep -c . || true) labelled refit.testbed=1"
    if $purge && [[ $host != "$OWN_HOST" ]]; then
      ids="$(DOCKER_HOST="$host" "$DOCKER" images -q --filter label=refit.testbed=1 | sort -u)"
      [[ -z $ids ]] || DOCKER_HOST="$host" "$DOCKER" rmi -f $ids >/dev/null 2>&1 || true
      say images "removed the bed's images from $host"
    fi
  fi
  local pid name stopped=0 engine
  for engine in fault "${PROBE_ENGINES[@]}" "${EXTRA_ENGINES[@]}"; do
    engine_load "$engine"
    [[ -z $(en_pid) ]] || stopped=$((stopped + 1))
    down_extra_engine "$engine" "$purge"
  done
  ! down_mosquitto || stopped=$((stopped + 1))
  pid="$(own_pid "$DIR/pids/token-server.pid" "token-server.ts --state-dir $DIR ")"
  if [[ -n $pid ]]; then
    stop_pid "$pid" "token server"
    say "token server" "stopped (pid $pid)"
    stopped=$((stopped + 1))
  fi
  for name in "${REGISTRIES[@]}"; do
    pid="$(own_pid "$DIR/pids/$name.pid" "$DIR/config/$name.yml")"
    if [[ -n $pid ]]; then
      stop_pid "$pid" "registry $name"
      say "registry $name" "stopped (pid $pid)"
      stopped=$((stopped + 1))
    fi
  done
  pid="$(own_pid "$DIR/pids/dockerd.pid" "--data-root $DIR/docker")"
  if [[ -n $pid ]]; then
    stop_pid "$pid" dockerd
    say engine "own dockerd stopped (pid $pid)"
    stopped=$((stopped + 1))
  fi
  rm -f "$DIR"/pids/*.pid
  ((stopped > 0)) || say down "nothing of the bed's was running"
  if $purge; then
    # A killed dockerd can leave overlay mounts behind; they would make rm fail.
    local m
    for m in $({ grep -o " $DIR/docker[^ ]*\| $DIR/engines/[^ ]*" /proc/mounts || true; grep -o " $RUN_DIR/[^ ]*" /proc/mounts || true; } | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$DIR" "$RUN_DIR"
    say purge "deleted $DIR and $RUN_DIR"
  fi
}

cmd_status() {
  local ok=true host pid name port
  host="$(recorded_engine_host)"
  if [[ -z $host ]]; then
    say engine "unknown: no $DIR/testbed.json (run: bash scripts/testbed.sh up)"
    ok=false
  elif engine_answers "$host"; then
    say engine "answers at $host"
  else
    say engine "DOWN at $host"
    ok=false
  fi
  for name in "${REGISTRIES[@]}"; do
    port="$(port_of "$name")"
    pid="$(own_pid "$DIR/pids/$name.pid" "$DIR/config/$name.yml")"
    if [[ -n $pid && $(http_status "$port" /v2/) == "$(expected_ping "$name")" ]]; then
      say "registry $name" "answers (pid $pid) at 127.0.0.1:$port"
    else
      say "registry $name" "DOWN at 127.0.0.1:$port"
      ok=false
    fi
  done
  pid="$(own_pid "$DIR/pids/token-server.pid" "token-server.ts --state-dir $DIR ")"
  if [[ -n $pid && $(http_status "$TOKEN_PORT" /healthz) == 200 ]]; then
    say "token server" "answers (pid $pid) at $REALM"
  else
    say "token server" "DOWN at $REALM"
    ok=false
  fi
  local engine
  for engine in "${EXTRA_ENGINES[@]}"; do status_extra_engine "$engine" || ok=false; done
  status_mosquitto || ok=false
  if [[ -x /usr/bin/chromium ]]; then
    say chromium "installed at /usr/bin/chromium"
  else
    say chromium "MISSING: /usr/bin/chromium"
    ok=false
  fi
  $ok
}

# The probes: copies of the second and the swarm engine, set up and taken down by the same code
# as those, on their own bridges, ports and addresses, so a test can bring them up and down (and
# up again over the same data roots, as a restart does) while other tests use the bed's engines.
# They are described in $DIR/probe-second.json and $DIR/probe-swarm.json while they run.
cmd_probe() {
  local engine
  case "${1:-}" in
    up)
      lock
      prepare_state
      prepare_engine_certs
      for engine in "${PROBE_ENGINES[@]}"; do up_extra_engine "$engine"; done
      ;;
    down)
      [[ -f $DIR/.refit-testbed ]] || die "$DIR holds no test bed"
      lock
      local purge=false
      [[ ${2:-} == --purge ]] && purge=true
      for engine in "${PROBE_ENGINES[@]}"; do down_extra_engine "$engine" "$purge"; done
      say probes "down$($purge && echo ', data deleted')"
      ;;
    *) die "usage: bash scripts/testbed.sh probe up | down [--purge]" ;;
  esac
}

# The fault engine: a test kills it with SIGKILL under a running refit and starts it again over
# the same data root, as an engine upgrade does. Described in $DIR/fault.json while it runs.
cmd_fault() {
  case "${1:-}" in
    up)
      lock
      prepare_state
      prepare_engine_certs
      up_extra_engine fault
      # The base image comes from the first engine's bed, as testbed.json records it.
      ENGINE_HOST="$(recorded_engine_host)"
      [[ -n $ENGINE_HOST ]] || die "no $DIR/testbed.json: run bash scripts/testbed.sh up first"
      up_en_base_image fault
      ;;
    kill)
      engine_load fault
      local pid
      pid="$(en_pid)"
      [[ -n $pid ]] || die "the fault engine does not run"
      # Its containerd goes too, so that the next start is a clean one rather than a race with a
      # containerd still on its way out.
      local containerd
      containerd="$(own_pid "$EN_EXEC/containerd/containerd.pid" containerd)"
      kill -KILL "$pid" ${containerd:+"$containerd"}
      while alive "$pid" || { [[ -n $containerd ]] && alive "$containerd"; }; do sleep 0.05; done
      say "engine fault" "killed (pid $pid${containerd:+, containerd $containerd})"
      ;;
    down)
      [[ -f $DIR/.refit-testbed ]] || die "$DIR holds no test bed"
      lock
      down_extra_engine fault "${2:-false}"
      ;;
    *) die "usage: bash scripts/testbed.sh fault up | kill | down" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down "${2:-}" ;;
  status) cmd_status ;;
  probe) cmd_probe "${2:-}" "${3:-}" ;;
  fault) cmd_fault "${2:-}" ;;
  *) die "usage: bash scripts/testbed.sh up | down [--purge] | status | probe up|down [--purge] | fault up|kill|down" ;;
esac
