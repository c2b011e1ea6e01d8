# shellcheck shell=bash
# Sourced by testbed.sh: the bed's extra Docker engines, each a dockerd of its own on this machine
# (its own data root, exec root, pid file, daemon.json and containerd namespace), reached over
# TLS on tcp://127.0.0.1 with client certificates:
#
#   second        a plain engine, for tests of refit across several engines;
#   swarm         a single-node Swarm manager, for tests of Swarm services. No container test
#                 uses it, so its Swarm state never disturbs them;
#   probe-second, never started by `up`: `testbed.sh probe up|down` brings up and down a copy of
#   probe-swarm   each (other ports, bridges and addresses), for the test that proves the first
#                 engine's containers keep their network while such engines come and go;
#   fault         never started by `up`: `testbed.sh fault up|kill|down` gives the test of an
#                 engine dying under refit an engine of its own to kill (SIGKILL) and start again.
#
# Every engine shares this machine's network namespace with the first engine, so none may touch
# docker0. Each gets a bridge made beforehand (dockerd's --bridge none would delete docker0; a
# second dockerd on the default bridge would take docker0 over), no iptables (--iptables=false),
# and addresses in its own 10.N.0.0/16, outside 172.16/12 where the first engine's live.
#
# Address pools need care: a dockerd started with --default-address-pool over a data root it ran
# on before deletes docker0 (whatever its --bridge), unless it runs with --live-restore (moby's
# configureNetworking: "Clear stale bridge network"). So the second engine has both a pool and
# --live-restore. Swarm mode refuses --live-restore, so the swarm engine (and the probe) has no
# pool: its docker_gwbridge is made by hand before `swarm init` (the documented way to choose its
# subnet), with an interface name of its own, and `swarm init --default-addr-pool` keeps the
# overlay and ingress networks in 10.(N+1).0.0/16. A local network made on it needs --subnet.
#
# Uses from testbed.sh: DIR, RUN_DIR, PORT_BASE, DOCKER, die, say, sha, own_pid, alive, stop_pid,
# require_free_port, fingerprint_matches, engine_answers (first engine), ENGINE_HOST.

ENGINE_CERTS="$DIR/certs/engines"
CLIENT_CERTS="$DIR/certs/client"
FORWARD_CHAIN=REFIT-TESTBED
ENGINE_LABEL=refit.testbed.engine

# Sets the EN_* variables describing engine $1. The ports are REFIT_TESTBED_PORT_BASE + offsets
# (see testbed.sh); the /16s are fixed, and `up` refuses to start when this machine routes them.
engine_load() {
  EN=$1
  EN_SWARM_ADDR="" EN_SWARM_PORT="" EN_DATA_PORT="" EN_POOL=""
  # Interface names have 15 characters at most.
  case $1 in
    second) EN_PORT=$((PORT_BASE + 4)) EN_OCTET=201 EN_POOL=10.201.128.0/17 EN_BRIDGE=refit-second ;;
    swarm)
      EN_PORT=$((PORT_BASE + 5)) EN_OCTET=202 EN_BRIDGE=refit-swarm
      EN_SWARM_ADDR=127.0.0.1 EN_SWARM_PORT=$((PORT_BASE + 8)) EN_DATA_PORT=$((PORT_BASE + 9))
      ;;
    probe-second) EN_PORT=$((PORT_BASE + 10)) EN_OCTET=204 EN_POOL=10.204.128.0/17 EN_BRIDGE=refit-psecond ;;
    # No address pool: it is killed and started again over its data root, which with a pool (and
    # no --live-restore, which would keep its containers alive and so defeat the test) deletes docker0.
    fault) EN_PORT=$((PORT_BASE + 14)) EN_OCTET=207 EN_BRIDGE=refit-fault ;;
    probe-swarm)
      # A second Swarm on this machine needs its own address: Swarm's gossip port (7946) is fixed.
      EN_PORT=$((PORT_BASE + 11)) EN_OCTET=205 EN_BRIDGE=refit-pswarm
      EN_SWARM_ADDR=127.0.0.2 EN_SWARM_PORT=$((PORT_BASE + 12)) EN_DATA_PORT=$((PORT_BASE + 13))
      ;;
    *) die "no bed engine named '$1'" ;;
  esac
  EN_HOST="tcp://127.0.0.1:$EN_PORT"
  EN_RANGE="10.$EN_OCTET.0.0/16"
  EN_SUBNET="10.$EN_OCTET.0.0/24"
  EN_BRIDGE_CIDR="10.$EN_OCTET.0.1/24"
  EN_GW_BRIDGE="$EN_BRIDGE-gw"
  EN_GW_SUBNET="10.$EN_OCTET.1.0/24"
  EN_OVERLAY_POOL="10.$((EN_OCTET + 1)).0.0/16"
  EN_DATA="$DIR/engines/$1"
  EN_EXEC="$RUN_DIR/$1"
  EN_PIDFILE="$DIR/pids/dockerd-$1.pid"
  EN_CONFIG="$DIR/config/dockerd-$1.json"
  EN_LOG="$DIR/logs/dockerd-$1.log"
  # testbed.json's keys secondEngine and swarm; the probes are described beside it while they run.
  case $1 in
    second) EN_PART="$DIR/parts/secondEngine.json" ;;
    swarm) EN_PART="$DIR/parts/swarm.json" ;;
    *) EN_PART="$DIR/$1.json" ;;
  esac
}

# The Docker CLI against the loaded engine, over TLS with the bed's client certificate.
en_docker() {
  DOCKER_HOST="$EN_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$CLIENT_CERTS" DOCKER_CONFIG="$DIR/docker-config" \
    DOCKER_BUILDKIT=0 timeout 120 "$DOCKER" "$@"
}

# Answers, and carries this engine's label (the CA could have signed another engine's cert).
en_answers() {
  [[ $(en_docker info --format "{{range .Labels}}{{.}} {{end}}" 2>/dev/null) == *"$ENGINE_LABEL=$EN "* ]]
}

en_pid() { own_pid "$EN_PIDFILE" "--data-root $EN_DATA "; }

# ---------------------------------------------------------------------------------------------
# Certificates: one CA for the bed's engines, a server certificate for 127.0.0.1 and localhost
# (every engine presents it), and a client certificate in DOCKER_CERT_PATH's layout.

engine_certs_valid() {
  local f
  for f in "$ENGINE_CERTS"/{ca,ca-key,server-cert,server-key}.pem "$CLIENT_CERTS"/{ca,cert,key}.pem; do
    [[ -s $f ]] || return 1
  done
  # Renewed a week before they expire, with everything they depend on.
  openssl x509 -checkend 604800 -noout -in "$ENGINE_CERTS/server-cert.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 604800 -noout -in "$CLIENT_CERTS/cert.pem" >/dev/null 2>&1 &&
    openssl x509 -checkend 604800 -noout -in "$ENGINE_CERTS/ca.pem" >/dev/null 2>&1
}

prepare_engine_certs() {
  mkdir -p "$ENGINE_CERTS" "$CLIENT_CERTS"
  chmod 700 "$ENGINE_CERTS" "$CLIENT_CERTS"
  engine_certs_valid && return 0
  local tmp
  tmp="$(mktemp -d "$DIR/certs/.new.XXXXXX")"
  (
    set -e
    umask 077
    cd "$tmp"
    issue() { # name, subject, extensions
      openssl genrsa -out "$1-key.pem" 2048 2>/dev/null
      openssl req -new -key "$1-key.pem" -subj "$2" -out "$1.csr"
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -set_serial "0x$(openssl rand -hex 8)" \
        -days 3650 -sha256 -extfile "$1.ext" -out "$1-cert.pem" 2>/dev/null
    }
    openssl genrsa -out ca-key.pem 2048 2>/dev/null
    openssl req -x509 -new -key ca-key.pem -sha256 -days 3650 -subj "/CN=refit test bed engine CA" -out ca.pem
    issue server /CN=localhost "$(printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
      'extendedKeyUsage=serverAuth' 'keyUsage=critical,digitalSignature,keyEncipherment')"
    issue client /CN=refit-testbed-client "$(printf '%s\n' 'extendedKeyUsage=clientAuth' \
      'keyUsage=critical,digitalSignature,keyEncipherment')"
  ) || {
    rm -rf "$tmp"
    die "could not make the engines' TLS certificates with openssl"
  }
  install -m 600 "$tmp/ca.pem" "$tmp/ca-key.pem" "$tmp/server-cert.pem" "$tmp/server-key.pem" "$ENGINE_CERTS/"
  install -m 600 "$tmp/ca.pem" "$CLIENT_CERTS/ca.pem"
  install -m 600 "$tmp/client-cert.pem" "$CLIENT_CERTS/cert.pem"
  install -m 600 "$tmp/client-key.pem" "$CLIENT_CERTS/key.pem"
  rm -rf "$tmp"
  say certificates "made a CA, a server certificate (IP:127.0.0.1, DNS:localhost) and a client certificate in $DIR/certs"
}

# ---------------------------------------------------------------------------------------------
# Network: the engine's own bridge, and forwarding inside its /16

# Refuses a /16 this machine already routes through something that is not the bed's (a VPN, a
# LAN), rather than shadowing it.
check_range_free() {
  local routes
  routes="$({
    ip -4 -o route show root "$EN_RANGE" 2>/dev/null || true
    ip -4 -o route show match "$EN_RANGE" 2>/dev/null | grep -v '^default' || true
  } | grep -v -E " dev ($EN_BRIDGE|$EN_GW_BRIDGE|br-[0-9a-f]+) " || true)"
  [[ -z $routes ]] || die "engine $EN needs $EN_RANGE, but this machine routes it already: $routes"
}

ensure_bridge() {
  if ! ip link show dev "$EN_BRIDGE" >/dev/null 2>&1; then
    check_range_free
    ip link add "$EN_BRIDGE" type bridge || die "could not create bridge $EN_BRIDGE"
  fi
  ip -4 -o addr show dev "$EN_BRIDGE" | grep -q " inet $EN_BRIDGE_CIDR " || ip addr add "$EN_BRIDGE_CIDR" dev "$EN_BRIDGE"
  ip link set "$EN_BRIDGE" up
}

# Removes the bridge only while it holds the bed's address, so a namesake is never touched.
remove_bridge() {
  local br=$1 cidr=$2
  ip link show dev "$br" >/dev/null 2>&1 || return 0
  ip -4 -o addr show dev "$br" | grep -q " inet $cidr " || return 0
  ip link delete "$br" type bridge 2>/dev/null || true
}

# The first engine leaves the FORWARD policy at DROP, and bridged traffic passes through it
# (br_netfilter): without a rule, two containers on an engine without iptables cannot talk. One
# chain of the bed's, one rule per engine, for traffic that stays inside that engine's /16.
forward_allow() {
  command -v iptables >/dev/null || return 0
  iptables -w -n -L "$FORWARD_CHAIN" >/dev/null 2>&1 || iptables -w -N "$FORWARD_CHAIN"
  iptables -w -C FORWARD -j "$FORWARD_CHAIN" 2>/dev/null || iptables -w -I FORWARD -j "$FORWARD_CHAIN"
  iptables -w -C "$FORWARD_CHAIN" -s "$EN_RANGE" -d "$EN_RANGE" -j ACCEPT 2>/dev/null ||
    iptables -w -A "$FORWARD_CHAIN" -s "$EN_RANGE" -d "$EN_RANGE" -j ACCEPT
}

forward_forget() {
  command -v iptables >/dev/null || return 0
  iptables -w -n -L "$FORWARD_CHAIN" >/dev/null 2>&1 || return 0
  iptables -w -D "$FORWARD_CHAIN" -s "$EN_RANGE" -d "$EN_RANGE" -j ACCEPT 2>/dev/null || true
  if [[ -z $(iptables -w -S "$FORWARD_CHAIN" | grep -v -- "^-N ") ]]; then
    iptables -w -D FORWARD -j "$FORWARD_CHAIN" 2>/dev/null || true
    iptables -w -X "$FORWARD_CHAIN" 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------------------------------------
# dockerd

en_args() {
  printf '%s\n' --data-root "$EN_DATA" --exec-root "$EN_EXEC" --pidfile "$EN_PIDFILE" \
    --config-file "$EN_CONFIG" -H "$EN_HOST" \
    --tlsverify --tlscacert "$ENGINE_CERTS/ca.pem" --tlscert "$ENGINE_CERTS/server-cert.pem" \
    --tlskey "$ENGINE_CERTS/server-key.pem" \
    --bridge "$EN_BRIDGE" --iptables=false --ip-masq=false \
    --containerd-namespace "refit-testbed-$EN" --containerd-plugins-namespace "refit-testbed-$EN-plugins" \
    --label "$ENGINE_LABEL=$EN"
  # Both or neither: see the top of this file.
  [[ -z $EN_POOL ]] || printf '%s\n' --default-address-pool "base=$EN_POOL,size=24" --live-restore
}

# Starts engine $EN, or reuses it when it runs with the same settings and answers.
up_en_daemon() {
  local args fp pid
  mapfile -t args < <(en_args)
  # Docker 20.10 takes an engine's ID from its trust key, /etc/docker/key.json unless told
  # otherwise: without a key of its own, every engine on this machine has the same ID.
  local config
  config="$(printf '{\n  "deprecated-key-path": "%s"\n}' "$EN_DATA/key.json")"
  [[ -f $EN_CONFIG && $config == "$(<"$EN_CONFIG")" ]] || printf '%s\n' "$config" >"$EN_CONFIG"
  fp="$({ printf '%s\n' "${args[@]}"; cat "$EN_CONFIG" "$ENGINE_CERTS/ca.pem" "$ENGINE_CERTS/server-cert.pem"; } | sha)"
  pid="$(en_pid)"
  if [[ -n $pid ]]; then
    if ! fingerprint_matches "dockerd-$EN" "$fp"; then
      echo "testbed: restarting engine $EN (pid $pid): its settings changed" >&2
    elif ! ip link show dev "$EN_BRIDGE" >/dev/null 2>&1; then
      echo "testbed: restarting engine $EN (pid $pid): its bridge $EN_BRIDGE is gone" >&2
    elif en_answers; then
      ensure_bridge
      forward_allow
      EN_STATE="reused (pid $pid)"
      return
    else
      echo "testbed: restarting engine $EN (pid $pid): it does not answer" >&2
    fi
    stop_pid "$pid" "engine $EN"
  fi
  require_free_port "$EN_PORT" "engine $EN"
  ensure_bridge
  forward_allow
  rm -f "$EN_PIDFILE"
  # A killed engine's containerd can linger as a zombie nobody reaps; dockerd would take its pid
  # file for a live containerd and wait for it in vain.
  local containerd_pid
  containerd_pid="$(cat "$EN_EXEC/containerd/containerd.pid" 2>/dev/null || true)"
  if [[ -n $containerd_pid ]] && ! alive "$containerd_pid"; then rm -f "$EN_EXEC/containerd/containerd.pid"; fi
  mkdir -p "$EN_DATA" "$EN_EXEC"
  setsid dockerd "${args[@]}" >>"$EN_LOG" 2>&1 </dev/null 9>&- &
  local started=$! waited=0
  until en_answers; do
    if ((waited >= 300)) || ! alive "$started"; then
      echo "--- last lines of $EN_LOG" >&2
      tail -n 25 "$EN_LOG" >&2 || true
      die "engine $EN did not answer at $EN_HOST within 60 s (see above)"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  echo "$fp" >"$DIR/pids/dockerd-$EN.fingerprint"
  EN_STATE="started (pid $(<"$EN_PIDFILE"))"
}

# ---------------------------------------------------------------------------------------------
# Swarm

en_swarm_state() { en_docker info --format '{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}|{{.Swarm.NodeAddr}}|{{.Swarm.Cluster.DefaultAddrPool}}|{{.Swarm.Cluster.DataPathPort}}' 2>/dev/null || true; }

# docker_gwbridge joins every task to the host. Made before `swarm init` with the bed's subnet and
# interface name, or the Swarm picks the first free /16 (often 172.17/16) and the name
# docker_gwbridge, which only one engine on a machine can have.
ensure_gwbridge() {
  local current
  current="$(en_docker network inspect docker_gwbridge --format '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)"
  [[ $current == "$EN_GW_SUBNET $EN_GW_BRIDGE" ]] && return 0
  [[ -z $current ]] || en_docker network rm docker_gwbridge >/dev/null
  en_docker network create --driver bridge --subnet "$EN_GW_SUBNET" \
    --opt com.docker.network.bridge.name="$EN_GW_BRIDGE" \
    --opt com.docker.network.bridge.enable_icc=false \
    --opt com.docker.network.bridge.enable_ip_masquerade=false docker_gwbridge >/dev/null
}

up_en_swarm() {
  local state want
  state="$(en_swarm_state)"
  want="active|true|$EN_SWARM_ADDR|[$EN_OVERLAY_POOL]|$EN_DATA_PORT"
  if [[ $state == "$want" ]]; then
    EN_STATE+=", Swarm reused"
    return
  fi
  if [[ ${state%%|*} != inactive ]]; then
    echo "testbed: engine $EN: Swarm is '$state', not '$want'; leaving it to make it anew" >&2
    en_docker swarm leave --force >/dev/null 2>&1 || true
  fi
  require_free_port "$EN_SWARM_PORT" "the Swarm of engine $EN"
  ensure_gwbridge
  en_docker swarm init --advertise-addr "$EN_SWARM_ADDR" --listen-addr "$EN_SWARM_ADDR:$EN_SWARM_PORT" \
    --data-path-port "$EN_DATA_PORT" --default-addr-pool "$EN_OVERLAY_POOL" \
    --default-addr-pool-mask-length 24 >/dev/null || die "swarm init on engine $EN failed (see $EN_LOG)"
  state="$(en_swarm_state)"
  [[ $state == "$want" ]] || die "engine $EN: Swarm is '$state' after swarm init, expected '$want'"
  EN_STATE+=", Swarm made"
}

# ---------------------------------------------------------------------------------------------
# What testbed.json says about an engine (merged in by seed-images.ts from $DIR/parts)

write_en_part() {
  local text node_id="" manager=""
  text="$(
    printf '{\n  "name": "%s",\n  "dockerHost": "%s",\n  "certPath": "%s",\n' "$EN" "$EN_HOST" "$CLIENT_CERTS"
    printf '  "bridge": "%s",\n  "subnet": "%s",\n  "log": "%s"' "$EN_BRIDGE" "$EN_SUBNET" "$EN_LOG"
    [[ -z $EN_POOL ]] || printf ',\n  "addressPool": "%s"' "$EN_POOL"
    if [[ -n $EN_SWARM_ADDR ]]; then
      IFS='|' read -r node_id manager < <(en_docker info --format '{{.Swarm.NodeID}}|{{.Name}}')
      printf ',\n  "managerId": "%s",\n  "managerName": "%s",\n  "advertiseAddr": "%s",\n' \
        "$node_id" "$manager" "$EN_SWARM_ADDR:$EN_SWARM_PORT"
      printf '  "dataPathPort": %s,\n  "swarmAddressPool": "%s",\n  "gwBridge": "%s",\n  "gwSubnet": "%s"' \
        "$EN_DATA_PORT" "$EN_OVERLAY_POOL" "$EN_GW_BRIDGE" "$EN_GW_SUBNET"
    fi
    printf '\n}'
  )"
  mkdir -p "$(dirname "$EN_PART")"
  [[ -f $EN_PART && $text == "$(<"$EN_PART")" ]] || printf '%s\n' "$text" >"$EN_PART"
}

# Brings engine $1 up (and its Swarm, when it has one).
up_extra_engine() {
  engine_load "$1"
  up_en_daemon
  [[ -z $EN_SWARM_ADDR ]] || up_en_swarm
  write_en_part
  local what="engine $EN"
  [[ $EN == swarm ]] && what="swarm engine"
  say "$what" "$EN_STATE at $EN_HOST (TLS)"
}

# The base image every test image is built FROM, with the same ID as on the first engine: pulled
# from the open registry, where the seeder pushed it.
up_en_base_image() {
  engine_load "$1"
  local base=refit-testbed/busybox:latest ref="127.0.0.1:$PORT_BASE/testbed/busybox:latest" want have
  want="$(DOCKER_HOST="$ENGINE_HOST" DOCKER_CONFIG="$DIR/docker-config" "$DOCKER" image inspect --format '{{.Id}}' "$base")"
  have="$(en_docker image inspect --format '{{.Id}}' "$base" 2>/dev/null || true)"
  [[ $have == "$want" ]] && return 0
  en_docker pull --quiet "$ref" >/dev/null || die "engine $EN could not pull $ref from the open registry"
  en_docker tag "$ref" "$base"
  have="$(en_docker image inspect --format '{{.Id}}' "$base")"
  [[ $have == "$want" ]] || die "engine $EN: $base is $have after the pull, the first engine has $want"
  say "engine $EN" "pulled $base from the open registry"
}

# Stops engine $1 when the bed started it: leaves its Swarm, removes the bed's containers, its
# docker_gwbridge, its bridge and its forwarding rule. --purge also deletes its data.
down_extra_engine() {
  engine_load "$1"
  local pid purge=${2:-false}
  pid="$(en_pid)"
  if [[ -n $pid ]]; then
    if en_answers; then
      # The engine is the bed's: everything on it goes (with --live-restore, containers would
      # outlive it, and its networks' bridges would stay behind).
      if [[ -n $EN_SWARM_ADDR ]]; then
        en_docker swarm leave --force >/dev/null 2>&1 || true
      fi
      local ids
      ids="$(en_docker ps -aq || true)"
      # shellcheck disable=SC2086 # one ID per word
      [[ -z $ids ]] || en_docker rm -fv $ids >/dev/null 2>&1 || true
      [[ -z $EN_SWARM_ADDR ]] || en_docker network rm docker_gwbridge >/dev/null 2>&1 || true
      en_docker network prune --force >/dev/null 2>&1 || true
    fi
    stop_pid "$pid" "engine $EN"
    say "engine $EN" "stopped (pid $pid)"
  fi
  remove_bridge "$EN_GW_BRIDGE" "${EN_GW_SUBNET%.0/24}.1/24"
  remove_bridge "$EN_BRIDGE" "$EN_BRIDGE_CIDR"
  forward_forget
  rm -f "$EN_PIDFILE"
  if $purge; then
    local m
    for m in $(grep -o " $EN_DATA[^ ]*\| $EN_EXEC[^ ]*" /proc/mounts | sort -r || true); do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$EN_DATA" "$EN_EXEC" "$EN_PART" "$EN_CONFIG" "$DIR/pids/dockerd-$EN.fingerprint"
  fi
  # The bed's engines stay in testbed.json after `down`, as the first engine does; the probes and
  # the fault engine are described only while they run.
  [[ $EN == second || $EN == swarm ]] || rm -f "$EN_PART"
}

status_extra_engine() {
  engine_load "$1"
  local pid what="engine $EN"
  [[ $EN == swarm ]] && what="swarm engine"
  pid="$(en_pid)"
  if [[ -z $pid ]] || ! en_answers; then
    say "$what" "DOWN at $EN_HOST"
    return 1
  fi
  if [[ -z $EN_SWARM_ADDR ]]; then
    say "$what" "answers (pid $pid) at $EN_HOST (TLS), bridge $EN_BRIDGE $EN_SUBNET"
    return 0
  fi
  local state
  state="$(en_swarm_state)"
  if [[ $state != active\|true\|* ]]; then
    say "$what" "answers (pid $pid) at $EN_HOST, but its Swarm is '$state'"
    return 1
  fi
  say "$what" "answers (pid $pid) at $EN_HOST (TLS), Swarm manager at $EN_SWARM_ADDR:$EN_SWARM_PORT"
}
