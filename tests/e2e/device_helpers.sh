# Shared by the espota end-to-end scripts (source it after setting $otakit): a scratch folder,
# virtual devices started on loopback and stopped by PID at exit, and version checks.
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# wait_line FILE TEXT SECONDS: returns once a line of FILE contains TEXT (follows it as it grows;
# an event, not a delay); false after SECONDS. The tail behind it ends by then too.
wait_line() {
  grep -q -m1 -F -- "$2" < <(timeout "$3" tail -n +1 -F "$1" 2>/dev/null)
}

# esp8266_check URL MAC CHIP [curl flags...]: one update check as ESP8266httpUpdate sends it;
# prints the HTTP status.
esp8266_check() {
  local url=$1 mac=$2 chip=$3
  shift 3
  curl -sS -m 10 -o /dev/null -w '%{http_code}' "$@" -H 'User-Agent: ESP8266-http-Update' -H "x-ESP8266-Chip-ID: $chip" \
    -H "x-ESP8266-STA-MAC: $mac" -H 'x-ESP8266-AP-MAC: 5E:CF:7F:00:00:01' -H 'x-ESP8266-free-space: 900000' \
    -H 'x-ESP8266-sketch-size: 250000' -H 'x-ESP8266-sketch-md5: 0123456789abcdef0123456789abcdef' \
    -H 'x-ESP8266-chip-size: 1048576' -H 'x-ESP8266-sdk-version: 2.2.2' -H 'x-ESP8266-mode: sketch' \
    -H 'x-ESP8266-version: 1.0.0' "$url"
}

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_device NAME PORT [device flags...]: waits up to 5 s for the responder line.
start_device() {
  local name=$1 port=$2
  shift 2
  "$otakit" device --flash "$dir/$name.bin" --ota-port "$port" "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do grep -q "ota: espota responder on 127.0.0.1:$port" "$dir/$name.log" && return 0; sleep 0.1; done
  fail "device $name did not start: $(cat "$dir/$name.log")"
}

version_of() { "$otakit" device status --flash "$dir/$1.bin" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"]["version"])'; }

# wait_version NAME VERSION: the device rebooted into VERSION (a reboot is an exec of the same pid).
wait_version() {
  for _ in $(seq 50); do [ "$(version_of "$1")" = "$2" ] && return 0; sleep 0.1; done
  fail "$1 runs $(version_of "$1"), expected $2: $(tail -5 "$dir/$1.log")"
}
