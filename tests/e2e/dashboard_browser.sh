#!/usr/bin/env bash
# The fleet server's dashboard in headless Chromium (tests/e2e/dashboard_browser.py): starts
# `otakit server` on a free loopback port with a fresh data folder, makes an admin token and two
# images, registers four devices by update checks as ESP8266httpUpdate sends them (curl), puts
# two in a group, then runs the browser test against it. The server is stopped by its PID.
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/device_helpers.sh"  # $dir, $pids (killed at exit), fail, wait_line

# Debian's own python3: python3-selenium is an apt package, not a pip one.
python=/usr/bin/python3
[ -x "$python" ] || { echo "skip: /usr/bin/python3 is missing"; exit 77; }

timeout 170 "$otakit" server --listen 127.0.0.1:0 --data "$dir/data" --threads 2 >"$dir/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
wait_line "$dir/server.log" "listening on http://127.0.0.1:" 15 || fail "the server did not start: $(cat "$dir/server.log")"
port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$dir/server.log" | head -1 | sed 's/.*://')
base=http://127.0.0.1:$port

token=$(timeout 20 "$otakit" server token create --data "$dir/data" --name dashboard-test 2>/dev/null)
[[ $token == otk_* ]] || fail "token create printed '$token'"

timeout 20 "$otakit" mkimage --size 300000 --version 1.0.0 --seed 1 --out "$dir/app-1.0.0.bin" >/dev/null 2>&1
timeout 20 "$otakit" mkimage --size 310000 --version 2.0.0 --seed 2 --out "$dir/app-2.0.0.bin" >/dev/null 2>&1
printf 'release notes, not a firmware image\n' >"$dir/notes.txt"
old_md5=$(md5sum "$dir/app-1.0.0.bin" | cut -d' ' -f1)

# check MAC CHIP_ID MD5 VERSION: one update check with the headers of ESP8266httpUpdate (§6.2).
check() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --http1.0 \
    -H 'User-Agent: ESP8266-http-Update' -H 'Connection: close' \
    -H "x-ESP8266-Chip-ID: $2" -H "x-ESP8266-STA-MAC: $1" -H 'x-ESP8266-AP-MAC: 1A:FE:34:00:00:01' \
    -H 'x-ESP8266-free-space: 1000000' -H 'x-ESP8266-sketch-size: 300000' -H "x-ESP8266-sketch-md5: $3" \
    -H 'x-ESP8266-chip-size: 4194304' -H 'x-ESP8266-sdk-version: 2.2.2-dev(38a443e)' -H 'x-ESP8266-mode: sketch' \
    -H "x-ESP8266-version: $4" "$base/update"
}
for n in 1 2 3 4; do
  code=$(check "18:FE:34:00:00:0$n" "100$n" "$old_md5" 1.0.0)
  [ "$code" = 304 ] || fail "the first check of device $n got $code, expected 304: $(tail -5 "$dir/server.log")"
done

# Two devices in group "lab" through the admin API.
for n in 1 2; do
  curl -sf --max-time 10 -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"group": "lab"}' "$base/api/devices/18:FE:34:00:00:0$n/group" >/dev/null || fail "could not set the group of device $n"
done

set +e
timeout 200 "$python" "$here/dashboard_browser.py" --url "$base" --token "$token" --folder "$dir" \
  --image "$dir/app-2.0.0.bin" --not-image "$dir/notes.txt" --old-md5 "$old_md5"
rc=$?
set -e
if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
  echo "--- the server's log:" >&2
  tail -30 "$dir/server.log" >&2
fi
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
pids=()  # stopped and reaped: the exit trap has nothing left to kill
exit "$rc"
