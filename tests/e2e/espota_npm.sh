#!/usr/bin/env bash
# A third-party espota client, npm's esp-ota 1.1.3 (installed into a scratch folder), uploads to
# virtual devices: firmware without and with a password, a filesystem image, and a wrong password
# that must leave the device as it was. esp-ota resends its invitation every 2 s and answers each
# challenge once per resend, so the device has to tolerate duplicates.
# Usage: espota_npm.sh <otakit>
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$(dirname "$0")/device_helpers.sh"

command -v node >/dev/null || fail "node is missing: apt-get install nodejs npm"
if ! timeout 120 npm install --prefix "$dir/npm" --no-audit --no-fund esp-ota@1.1.3 >"$dir/npm.log" 2>&1; then
  echo "SKIP: cannot install esp-ota@1.1.3 from npm: $(tail -3 "$dir/npm.log")" >&2
  exit 77
fi
esp_ota="$dir/npm/node_modules/esp-ota"
npm_upload() { timeout 60 node "$here/espota_npm_upload.js" "$esp_ota" "$@" >"$dir/npm-run.log" 2>&1; }

"$otakit" mkimage --size 150000 --version 2.0.0 -o "$dir/app2.bin" >/dev/null 2>&1
"$otakit" mkimage --size 160000 --version 3.0.0 -o "$dir/app3.bin" >/dev/null 2>&1
head -c 65536 /dev/urandom >"$dir/fs.bin"

plain=$(free_port)
start_device plain "$plain" --layout 2M1M
npm_upload "$dir/app2.bin" 127.0.0.1 "$plain" 0 || fail "esp-ota without password: $(cat "$dir/npm-run.log")"
grep -q 'upload: done' "$dir/npm-run.log" || fail "esp-ota did not finish"
wait_version plain 2.0.0

npm_upload "$dir/fs.bin" 127.0.0.1 "$plain" 100 || fail "esp-ota filesystem: $(cat "$dir/npm-run.log")"
grep -q 'ota: start (filesystem)' "$dir/plain.log" || fail "no filesystem update in the device log"
python3 - "$dir/plain.bin" "$dir/fs.bin" <<'PY'
import sys
flash, fs = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
start = 0x100000  # 2M1M: the filesystem starts at 1 MiB
assert flash[start:start + len(fs)] == fs, "filesystem image not in flash"
PY

locked=$(free_port)
start_device locked "$locked" --password s3cret
npm_upload "$dir/app2.bin" 127.0.0.1 "$locked" 0 s3cret || fail "esp-ota with password: $(cat "$dir/npm-run.log")"
wait_version locked 2.0.0

# A wrong password: esp-ota ignores "Authentication Failed" and resends until "Invite timeout".
if npm_upload "$dir/app3.bin" 127.0.0.1 "$locked" 0 wrong; then fail "a wrong password was accepted"; fi
grep -q 'Invite timeout' "$dir/npm-run.log" || fail "expected esp-ota's Invite timeout: $(cat "$dir/npm-run.log")"
grep -q 'ota: error (auth)' "$dir/locked.log" || fail "the device did not report the auth error"
[ "$(version_of locked)" = 2.0.0 ] || fail "a wrong password changed the device"

echo "npm esp-ota end-to-end: ok"
