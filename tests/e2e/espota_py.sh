#!/usr/bin/env bash
# The real tools/espota.py (Arduino IDE's and PlatformIO's uploader) against virtual devices:
# plain, --auth= (the IDE's form), a wrong password, and a filesystem image (-s). espota.py is not
# part of this repository: set OTAKIT_ESPOTA_PY to a local copy (e.g. from esp8266/Arduino's
# tools/), otherwise the test is skipped. Usage: espota_py.sh <otakit>
set -euo pipefail
otakit=$1
espota=${OTAKIT_ESPOTA_PY:-}
if [ -z "$espota" ] || [ ! -f "$espota" ]; then
  echo "SKIP: set OTAKIT_ESPOTA_PY to a copy of esp8266/Arduino's tools/espota.py" >&2
  exit 77
fi
source "$(dirname "$0")/device_helpers.sh"
espota() { timeout 90 python3 "$espota" "$@" >"$dir/espota.log" 2>&1; }

"$otakit" mkimage --size 300000 --version 2.0.0 -o "$dir/app2.bin" >/dev/null 2>&1
"$otakit" mkimage --size 310000 --version 3.0.0 -o "$dir/app3.bin" >/dev/null 2>&1
head -c 100000 /dev/urandom >"$dir/fs.bin"

port=$(free_port)
start_device d "$port" --layout 2M1M --password secret
espota -d -i 127.0.0.1 -p "$port" "--auth=secret" -f "$dir/app2.bin" || fail "espota.py: $(cat "$dir/espota.log")"
grep -q 'Result: OK' "$dir/espota.log" || fail "no Result: OK"
wait_version d 2.0.0

if espota -i 127.0.0.1 -p "$port" -a wrong -f "$dir/app3.bin"; then fail "a wrong password was accepted"; fi
grep -q 'Authentication Failed' "$dir/espota.log" || fail "expected Authentication Failed: $(cat "$dir/espota.log")"
[ "$(version_of d)" = 2.0.0 ] || fail "a wrong password changed the device"

espota -i 127.0.0.1 -p "$port" -a secret -s -f "$dir/fs.bin" -r || fail "espota.py -s: $(cat "$dir/espota.log")"
grep -q 'ota: start (filesystem)' "$dir/d.log" || fail "no filesystem update"

plain=$(free_port)
start_device p "$plain"
espota -i 127.0.0.1 -p "$plain" -f "$dir/app3.bin" || fail "espota.py without password: $(cat "$dir/espota.log")"
wait_version p 3.0.0
echo "espota.py end-to-end: ok"
