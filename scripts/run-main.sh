#!/usr/bin/env bash
# The main job, end to end on embedded defaults: install dependencies, build, then sign a new
# firmware, push it with the espota-compatible uploader to a virtual ESP8266 (password, signature
# check, mDNS off) and show the device booting it on trial and confirming it.
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
printf '\nAll steps passed. Files are in %s\n' "$demo"
