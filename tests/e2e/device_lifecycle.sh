#!/usr/bin/env bash
# The virtual device through its CLI: first boot creates the flash, an offline stage is swapped in
# on the next run, the control socket confirms it, an unconfirmed image rolls back, a second
# process on the same flash is refused, bad input is refused with the old image still running,
# and `status` tells a running device from the last known state of one that is gone.
set -euo pipefail
otakit=$1
dir=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
cd "$dir"
fail() { echo "FAIL: $*" >&2; exit 1; }
field() { python3 -c "import json,sys; d=json.load(open('dev.flash.state.json')); print($1)"; }

"$otakit" device --flash dev.flash --layout 1M --once >out.txt
grep -q "created" out.txt || fail "first run should create the flash"
[ "$(field "d['image']['version']")" = "1.0.0" ] || fail "factory version"
"$otakit" device status --flash dev.flash >status.txt
grep -q "^device:  not running" status.txt || fail "a --once device has exited: $(cat status.txt)"
grep -q "last known state" status.txt || fail "the state file is the last known state: $(cat status.txt)"
"$otakit" device status --flash dev.flash --json | grep -q '"running": false' || fail "json: not running"

"$otakit" mkimage --size 200001 --version 2.0.0 --seed 7 --out v2.bin 2>/dev/null
"$otakit" device stage --flash dev.flash v2.bin >/dev/null
"$otakit" device --flash dev.flash --once --no-confirm >/dev/null
[ "$(field "d['boot']['action']")" = "upgraded" ] || fail "stage should be swapped in"
[ "$(field "d['state']['phase']")" = "trial" ] || fail "new image should be on trial"

# A running device confirms over its control socket; a second device process is refused.
"$otakit" device --flash dev.flash --no-confirm >run.log 2>&1 &
pid=$!
for _ in $(seq 50); do [ -S dev.flash.sock ] && break; sleep 0.1; done
[ -S dev.flash.sock ] || fail "control socket did not appear"
if "$otakit" device --flash dev.flash --once 2>err.txt; then fail "second process should be refused"; fi
grep -q "a device is running" err.txt || fail "lock error should say a device is running: $(cat err.txt)"
"$otakit" device status --flash dev.flash >status.txt
grep -q "^device:  running (pid $pid)" status.txt || fail "status of a running device: $(cat status.txt)"
"$otakit" device confirm --flash dev.flash >/dev/null
"$otakit" device status --flash dev.flash --json | grep -q '"phase": "confirmed"' || fail "confirm via socket"
"$otakit" device status --flash dev.flash --json | grep -q '"running": true' || fail "json: running"
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true; pid=""
# A crashed device leaves its socket file and state file behind; status must not pass them off as live.
[ -S dev.flash.sock ] || fail "the crash should have left the socket file"
"$otakit" device status --flash dev.flash >status.txt
grep -q "^device:  not running" status.txt || fail "status after a crash: $(cat status.txt)"
grep -q "state:   confirmed" status.txt || fail "the last known state is still shown: $(cat status.txt)"

# An image that never gets confirmed is rolled back after three trial boots.
"$otakit" mkimage --size 150001 --version 3.0.0 --seed 8 --out v3.bin 2>/dev/null
"$otakit" device stage --flash dev.flash v3.bin >/dev/null
for _ in 1 2 3; do "$otakit" device --flash dev.flash --once --no-confirm >/dev/null; done
"$otakit" device --flash dev.flash --once --no-confirm >/dev/null
[ "$(field "d['boot']['action']")" = "rolled back" ] || fail "unconfirmed image should roll back"
[ "$(field "d['image']['version']")" = "2.0.0" ] || fail "rollback should restore 2.0.0"

# An offline stage onto a flash file that does not exist yet creates it with a factory image first.
"$otakit" device stage --flash fresh.flash v3.bin >/dev/null || fail "stage onto a new flash file"
"$otakit" device --flash fresh.flash --once --json | python3 -c "import json,sys; d=json.load(sys.stdin); \
  assert d['boot']['action'] == 'upgraded', d['boot']" || fail "the staged image should be swapped in"

# Bad input: wrong magic, too large, wrong MD5. Each refused; 2.0.0 keeps running.
head -c 5000 /dev/zero >zero.bin
if "$otakit" device stage --flash dev.flash zero.bin 2>err.txt; then fail "zero image accepted"; fi
grep -q "ERROR\[10\]: Magic byte is not 0xE9" err.txt || fail "magic error text: $(cat err.txt)"
"$otakit" mkimage --size 700000 --out big.bin 2>/dev/null
if "$otakit" device stage --flash dev.flash big.bin 2>err.txt; then fail "oversized image accepted"; fi
grep -q "ERROR\[4\]: Not Enough Space: image needs 700416 bytes" err.txt || fail "space error: $(cat err.txt)"
if "$otakit" device stage --flash dev.flash --md5 00000000000000000000000000000000 v3.bin 2>err.txt; then
  fail "wrong MD5 accepted"
fi
grep -q "ERROR\[7\]: MD5 verification failed" err.txt || fail "md5 error: $(cat err.txt)"
"$otakit" device --flash dev.flash --once >/dev/null
[ "$(field "d['image']['version']")" = "2.0.0" ] || fail "old image must still run"

# Flash files it cannot use are bad input (exit 3), each with what to do.
expect_input_error() {  # expect_input_error TEXT ARGS...
  local text=$1 rc=0
  shift
  "$otakit" device "$@" >/dev/null 2>err.txt || rc=$?
  [ "$rc" = 3 ] || fail "exit $rc, expected 3: otakit device $* :: $(cat err.txt)"
  grep -q -- "$text" err.txt || fail "message for otakit device $*: $(cat err.txt)"
}
head -c 1000 /dev/urandom >short.flash
expect_input_error "pick the layout it was made with, or a new file" --flash short.flash --once
expect_input_error "pick the layout it was made with, or a new file" stage --flash short.flash v3.bin
mkdir folder.flash
expect_input_error "is not a regular file: pass a flash file, or a new path" --flash folder.flash --once
expect_input_error "the folder of --flash must exist and be writable" --flash missing/dev.flash --once
head -c 1048576 /dev/urandom >noise.flash
expect_input_error "no bootable image in .*noise.flash.*pass a new --flash path" --flash noise.flash --layout 1M --once
expect_input_error "pass the public key (PEM) the images are signed for" --flash dev.flash --public-key none.pem --once
expect_input_error "pass an RSA public key in PEM" --flash dev.flash --public-key v3.bin --once
echo "device lifecycle: ok"
