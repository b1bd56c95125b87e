#!/usr/bin/env bash
# The main job, end to end on embedded defaults: install dependencies, build, then sign a new
# firmware, push it with the espota-compatible uploader to a virtual ESP8266 (password, signature
# check, mDNS off) and show the device booting it on trial and confirming it; then the device
# pulls the next signed image from a web server, as a sketch calling ESPhttpUpdate.update().
# Work files go to out/demo (override with OTAKIT_DEMO_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh --target otakit >/dev/null

otakit=$PWD/build/cli/otakit
demo=${OTAKIT_DEMO_DIR:-$PWD/out/demo}
rm -rf "$demo" && mkdir -p "$demo" && cd "$demo"
port=${OTAKIT_DEMO_PORT:-18266}
step() { printf '\n== %s\n' "$*"; }

step "1. Signing keys (RSA-2048) and two firmware images"
"$otakit" keygen --out-private private.key --out-public public.key
"$otakit" mkimage --size 300001 --version 2.0.0 --seed 2 --out firmware.bin

step "2. Sign like signing.py, verify with the device-side verifier, inspect"
"$otakit" sign --mode sign --privatekey private.key --bin firmware.bin --out firmware.bin.signed
"$otakit" verify --publickey public.key firmware.bin.signed
"$otakit" inspect firmware.bin.signed | head -n 12

step "3. A virtual ESP8266 (layout 1M, signed updates only, OTA password) on 127.0.0.1:$port"
"$otakit" device --flash device.flash --layout 1M --factory-size 262144 --public-key public.key --once
"$otakit" device --flash device.flash --layout 1M --public-key public.key \
  --ota-port "$port" --bind 127.0.0.1 --password demo >device.log 2>&1 &
device_pid=$!
trap 'kill "$device_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S device.flash.sock ] && break; sleep 0.1; done

step "4. Push it with otakit upload (espota.py flags; picks firmware.bin.signed by itself)"
"$otakit" upload -i 127.0.0.1 -p "$port" -a demo -f firmware.bin -r

step "5. The device rebooted into the new image (trial, confirmed once it runs)"
for _ in $(seq 50); do
  grep -q '"version": "2.0.0"' device.flash.state.json 2>/dev/null && break
  sleep 0.1
done
"$otakit" device status --flash device.flash
kill "$device_pid"
wait "$device_pid" 2>/dev/null || true
trap - EXIT

step "6. The same device pulls its next update (ESP8266httpUpdate) from a plain web server"
"$otakit" mkimage --size 200000 --version 3.0.0 --seed 3 --out firmware3.bin
"$otakit" sign --mode sign --privatekey private.key --bin firmware3.bin --out firmware3.bin.signed
web_port=${OTAKIT_DEMO_WEB_PORT:-18080}
python3 -m http.server "$web_port" --bind 127.0.0.1 >web.log 2>&1 &
web_pid=$!
trap 'kill "$web_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$web_port/" && break; sleep 0.1; done
"$otakit" device pull --flash device.flash --layout 1M --public-key public.key \
  --url "http://127.0.0.1:$web_port/firmware3.bin.signed"
kill "$web_pid"
wait "$web_pid" 2>/dev/null || true
trap - EXIT

step "7. A fleet server (signed fleet) rolls 4.0.0 out in stages to this device and two more"
server_port=${OTAKIT_DEMO_SERVER_PORT:-18070}
"$otakit" server --listen 127.0.0.1:"$server_port" --data server --public-key public.key >server.log 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" server.log && break; sleep 0.1; done
grep "otakit server:" server.log
token=$("$otakit" server token create --data server 2>/dev/null)
update_url="http://127.0.0.1:$server_port/update"
for d in device.flash device2.flash device3.flash; do  # each registers with its first check (304)
  "$otakit" device pull --flash "$d" --layout 1M --public-key public.key --url "$update_url" --json >/dev/null
done
"$otakit" mkimage --size 220000 --version 4.0.0 --seed 4 --out firmware4.bin
"$otakit" sign --mode sign --privatekey private.key --bin firmware4.bin --out firmware4.bin.signed
export OTAKIT_SERVER="http://127.0.0.1:$server_port" OTAKIT_TOKEN="$token"
"$otakit" publish firmware4.bin.signed --rollout 34%,100%
rollout=$("$otakit" rollout status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rollouts"][0]["id"])')
state=running
for round in 1 2 3 4 5; do  # each round, every device checks once; a stage starts once the last is healthy
  for d in device.flash device2.flash device3.flash; do
    "$otakit" device pull --flash "$d" --layout 1M --public-key public.key --url "$update_url" --json >/dev/null
  done
  echo "after round $round:"
  "$otakit" rollout status "$rollout"
  state=$("$otakit" rollout status "$rollout" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
  [ "$state" = finished ] && break
done
[ "$state" = finished ] || { echo "the rollout did not finish: $state" >&2; exit 1; }
"$otakit" devices
for d in device.flash device2.flash device3.flash; do
  printf '%s runs %s\n' "$d" "$("$otakit" device status --flash "$d" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"]["version"])')"
done
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
trap - EXIT
printf '\nAll steps passed. Files are in %s\n' "$demo"
