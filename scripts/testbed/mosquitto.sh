# shellcheck shell=bash
# Sourced by testbed.sh: Debian's mosquitto MQTT broker, started by the bed with a config file of
# its own (no system service), listening on 127.0.0.1 twice: anonymous on port base + 6, and with
# a username and password (a password file made with mosquitto_passwd) on port base + 7.
#
# Uses from testbed.sh: DIR, PORT_BASE, USERNAME, die, say, sha, own_pid, cmdline_has,
# pid_by_cmdline, alive, stop_pid, require_free_port, fingerprint_matches.

MQTT_CONFIG="$DIR/config/mosquitto.conf"
MQTT_PASSWD="$DIR/auth/mosquitto-passwd"
MQTT_LOG="$DIR/logs/mosquitto.log"
MQTT_PORT=$((PORT_BASE + 6))
MQTT_AUTH_PORT=$((PORT_BASE + 7))

mqtt_pid() { own_pid "$DIR/pids/mosquitto.pid" "mosquitto -c $MQTT_CONFIG"; }

# A publish on each listener, the second with the bed's credentials: a port that merely accepts
# connections is not a broker.
mqtt_answers() {
  timeout 5 mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -i refit-testbed-probe -t refit-testbed/probe -m up \
    >/dev/null 2>&1 &&
    timeout 5 mosquitto_pub -h 127.0.0.1 -p "$MQTT_AUTH_PORT" -i refit-testbed-probe -u "$USERNAME" \
      -P "$(<"$DIR/auth/mqtt-password")" -t refit-testbed/probe -m up >/dev/null 2>&1
}

mqtt_config() {
  cat <<EOF
# Written by scripts/testbed.sh; the test bed's MQTT broker.
# Root needs no privileges dropped to read the bed's password file; the bed runs as root anyway.
user root
per_listener_settings true
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
connection_messages true

listener $MQTT_PORT 127.0.0.1
allow_anonymous true

listener $MQTT_AUTH_PORT 127.0.0.1
allow_anonymous false
password_file $MQTT_PASSWD
EOF
}

up_mosquitto() {
  if [[ ! -s $DIR/auth/mqtt-password ]]; then
    (umask 077 && openssl rand -hex 16 >"$DIR/auth/mqtt-password")
  fi
  if [[ ! -s $MQTT_PASSWD || $DIR/auth/mqtt-password -nt $MQTT_PASSWD ]]; then
    (umask 077 && : >"$MQTT_PASSWD.tmp" &&
      mosquitto_passwd -b "$MQTT_PASSWD.tmp" "$USERNAME" "$(<"$DIR/auth/mqtt-password")" &&
      mv "$MQTT_PASSWD.tmp" "$MQTT_PASSWD") || die "mosquitto_passwd could not write $MQTT_PASSWD"
  fi
  local text fp pid
  text="$(mqtt_config)"
  [[ -f $MQTT_CONFIG && $text == "$(<"$MQTT_CONFIG")" ]] || printf '%s\n' "$text" >"$MQTT_CONFIG"
  fp="$(cat "$MQTT_CONFIG" "$MQTT_PASSWD" | sha)"
  pid="$(mqtt_pid)"
  if [[ -n $pid ]]; then
    if ! fingerprint_matches mosquitto "$fp"; then
      echo "testbed: restarting mosquitto (pid $pid): its config or password changed" >&2
    elif mqtt_answers; then
      say mqtt "reused (pid $pid) at mqtt://127.0.0.1:$MQTT_PORT and :$MQTT_AUTH_PORT (password)"
      return
    else
      echo "testbed: restarting mosquitto (pid $pid): it does not answer" >&2
    fi
    stop_pid "$pid" mosquitto
  fi
  require_free_port "$MQTT_PORT" "the MQTT broker"
  require_free_port "$MQTT_AUTH_PORT" "the MQTT broker's password listener"
  setsid mosquitto -c "$MQTT_CONFIG" >>"$MQTT_LOG" 2>&1 </dev/null 9>&- &
  pid=$!
  cmdline_has "$pid" "$MQTT_CONFIG" || pid="$(pid_by_cmdline "mosquitto -c $MQTT_CONFIG")"
  echo "$pid" >"$DIR/pids/mosquitto.pid"
  local waited=0
  until mqtt_answers; do
    if ((waited >= 50)) || ! alive "$pid"; then
      tail -n 15 "$MQTT_LOG" >&2 || true
      die "mosquitto did not answer on 127.0.0.1:$MQTT_PORT and :$MQTT_AUTH_PORT (see $MQTT_LOG)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  echo "$fp" >"$DIR/pids/mosquitto.fingerprint"
  say mqtt "started (pid $pid) at mqtt://127.0.0.1:$MQTT_PORT and :$MQTT_AUTH_PORT (password)"
}

write_mqtt_part() {
  mkdir -p "$DIR/parts"
  local text
  text="$(printf '{\n  "url": "mqtt://127.0.0.1:%s",\n  "authUrl": "mqtt://127.0.0.1:%s",\n' "$MQTT_PORT" "$MQTT_AUTH_PORT"
    printf '  "username": "%s",\n  "password": "%s",\n  "log": "%s"\n}' "$USERNAME" "$(<"$DIR/auth/mqtt-password")" "$MQTT_LOG")"
  [[ -f $DIR/parts/mqtt.json && $text == "$(<"$DIR/parts/mqtt.json")" ]] || printf '%s\n' "$text" >"$DIR/parts/mqtt.json"
}

down_mosquitto() {
  local pid
  pid="$(mqtt_pid)"
  [[ -n $pid ]] || return 1
  stop_pid "$pid" mosquitto
  say mqtt "stopped (pid $pid)"
}

status_mosquitto() {
  local pid
  pid="$(mqtt_pid)"
  if [[ -n $pid ]] && mqtt_answers; then
    say mqtt "answers (pid $pid) at mqtt://127.0.0.1:$MQTT_PORT and :$MQTT_AUTH_PORT (password)"
  else
    say mqtt "DOWN at mqtt://127.0.0.1:$MQTT_PORT and :$MQTT_AUTH_PORT"
    return 1
  fi
}
