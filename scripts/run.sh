#!/usr/bin/env bash
# Runs refit from this checkout against the local Docker engine, installing what it needs:
# Node dependencies and a build. The engine is the one at DOCKER_HOST, else the one at
# /var/run/docker.sock, else the test bed's own engine when it runs (scripts/testbed.sh), else
# (as root on Debian) Debian's docker.io started on the default socket. Arguments go to refit.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
if [ ! -f dist/cli.js ] || [ -n "$(find src -newer dist/cli.js -name '*.ts' -print -quit)" ]; then
  npm run --silent build >&2
fi

# GET /_ping against a unix:// or plain tcp:// engine URL, with node (always here, unlike curl).
ping_engine() {
  node -e '
    const http = require("node:http");
    const url = new URL(process.argv[1]);
    const target = url.protocol === "unix:" ? { socketPath: url.pathname } : { host: url.hostname, port: url.port };
    const req = http.get({ ...target, path: "/_ping", timeout: 3000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("timeout", () => req.destroy());
    req.on("error", () => process.exit(1));
  ' "$1" >/dev/null 2>&1
}

engine_answers() {
  local host=$1
  case "$host" in
    unix://*) ping_engine "$host" ;;
    # With TLS client certificates refit itself checks the engine and explains any failure.
    tcp://*) [ -n "${DOCKER_TLS_VERIFY:-}" ] || ping_engine "http://${host#tcp://}" ;;
    *) return 1 ;;
  esac
}

# The engine of refit's test bed (scripts/testbed.sh), when it started one of its own and it runs.
# Using it keeps this script from starting a second dockerd that would take over its docker0.
testbed_engine() {
  local file="${REFIT_TESTBED_DIR:-/var/lib/refit-testbed}/testbed.json" host
  [ -f "$file" ] || return 1
  host="$(sed -n 's/^ *"dockerHost": *"\(unix:[^"]*\)".*/\1/p' "$file" | head -n1)"
  [ -n "$host" ] && engine_answers "$host" && echo "$host"
}

if [ -n "${DOCKER_HOST:-}" ]; then
  if ! engine_answers "$DOCKER_HOST"; then
    echo "refit: the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer" >&2
    exit 1
  fi
elif ! engine_answers unix:///var/run/docker.sock; then
  if bed_host="$(testbed_engine)"; then
    echo "refit: no engine at /var/run/docker.sock; using the test bed's engine at $bed_host" >&2
    export DOCKER_HOST="$bed_host"
  else
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
      echo "refit: no Docker engine answers at /var/run/docker.sock; start Docker first" >&2
      exit 1
    fi
    if ! command -v dockerd >/dev/null; then
      echo "refit: installing Debian's docker.io" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2
    fi
    echo "refit: starting dockerd on /var/run/docker.sock (log: /var/log/refit-dockerd.log)" >&2
    nohup dockerd >/var/log/refit-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do engine_answers unix:///var/run/docker.sock && break; sleep 0.5; done
    engine_answers unix:///var/run/docker.sock || {
      echo "refit: dockerd did not start; see /var/log/refit-dockerd.log" >&2
      exit 1
    }
  fi
fi

# The daemon's V8 settings (see the file for why).
read -ra node_flags < <(grep -v '^#' bin/node-flags)
exec node "${node_flags[@]}" bin/refit.js "$@"
