#!/usr/bin/env bash
# Runs refit from this checkout against the local Docker engine, installing what it needs:
# Node dependencies and a build, and (as root on Debian, when no engine answers) Debian's
# docker.io with its daemon on the default socket. Arguments are passed to refit.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
if [ ! -f dist/cli.js ] || [ -n "$(find src -newer dist/cli.js -name '*.ts' -print -quit)" ]; then
  npm run --silent build >&2
fi

engine_answers() {
  local host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
  case "$host" in
    unix://*) curl -fsS --max-time 3 --unix-socket "${host#unix://}" http://localhost/_ping >/dev/null 2>&1 ;;
    # With TLS client certificates refit itself checks the engine and explains any failure.
    tcp://*) [ -n "${DOCKER_TLS_VERIFY:-}" ] || curl -fsS --max-time 3 "http://${host#tcp://}/_ping" >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

if ! engine_answers; then
  if [ -n "${DOCKER_HOST:-}" ]; then
    echo "refit: the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer" >&2
    exit 1
  fi
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
  for _ in $(seq 1 60); do engine_answers && break; sleep 0.5; done
  engine_answers || { echo "refit: dockerd did not start; see /var/log/refit-dockerd.log" >&2; exit 1; }
fi

# The daemon's V8 settings (see the file for why).
read -ra node_flags < <(grep -v '^#' bin/node-flags)
exec node "${node_flags[@]}" bin/refit.js "$@"
