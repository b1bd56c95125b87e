#!/usr/bin/env bash
# `otakit upload` against virtual devices (`otakit device --ota-port`) over loopback: espota.py's
# flags (including --auth=), FILE.signed detection, streaming and stop-and-wait, each failure's
# exit code and message, --json, several devices at once, the old image still running after
# every failure, and device log lines that name the sender. Usage: espota_cli.sh <otakit>
set -euo pipefail
otakit=$1
source "$(dirname "$0")/device_helpers.sh"

# expect_rc CODE CMD...: runs CMD, keeps stdout/stderr in $dir/out $dir/err.
expect_rc() {
  local want=$1
  shift
  set +e
  "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  set -e
  [ "$rc" = "$want" ] || fail "exit $rc, expected $want: $* :: $(cat "$dir/err")"
}

for v in 2 3 4 5; do "$otakit" mkimage --size $((200000 + v * 1000)) --version "$v.0.0" -o "$dir/app$v.bin" >/dev/null 2>&1; done
"$otakit" mkimage --size 800000 --version 9.0.0 -o "$dir/huge.bin" >/dev/null 2>&1

p1=$(free_port)
start_device d1 "$p1"

# 1. espota.py's usual call, streaming; the device reboots into the new image.
expect_rc 0 "$otakit" upload -i 127.0.0.1 -p "$p1" -f "$dir/app2.bin"
grep -q '^Uploading\.' "$dir/err" || fail "no espota-style dots: $(cat "$dir/err")"
wait_version d1 2.0.0

# 2. stop-and-wait with the progress bar.
expect_rc 0 "$otakit" upload -i 127.0.0.1 -p "$p1" -f "$dir/app3.bin" --stop-and-wait -r
grep -q 'Uploading: \[=\{60\}\] 100% Done...' "$dir/err" || fail "no 100% bar: $(cat "$dir/err")"
wait_version d1 3.0.0

# 3. FILE.signed is taken instead of FILE, and said so.
cp "$dir/app4.bin" "$dir/pick.bin.signed"
cp "$dir/app2.bin" "$dir/pick.bin"
expect_rc 0 "$otakit" upload -i 127.0.0.1 -p "$p1" -f "$dir/pick.bin"
grep -q "Detected Signed Update. $dir/pick.bin.signed will be uploaded instead." "$dir/err" || fail "no signed notice"
wait_version d1 4.0.0

# 4. Too big for the free space: the device refuses over UDP (ERR: ERROR[4]); --json says so.
expect_rc 7 "$otakit" upload -i 127.0.0.1 -p "$p1" -f "$dir/huge.bin" --json
python3 - "$dir/out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False and r["exit_code"] == 7, r
d = r["results"][0]
assert d["result"] == "device-rejected" and d["device_error"] == 4, d
assert "Not Enough Space" in d["message"] and d["bytes_sent"] == 0, d
EOF
[ "$(version_of d1)" = 4.0.0 ] || fail "a refused image changed the device"

# 5. Passwords, with the --auth= form the Arduino IDE uses.
p2=$(free_port)
start_device d2 "$p2" --password secret
expect_rc 5 "$otakit" upload -i 127.0.0.1 -p "$p2" -f "$dir/app2.bin" -a nope
grep -q 'Authentication Failed: wrong password' "$dir/err" || fail "wrong password message: $(cat "$dir/err")"
expect_rc 5 "$otakit" upload -i 127.0.0.1 -p "$p2" -f "$dir/app2.bin"
grep -q 'needs a password' "$dir/err" || fail "missing password message: $(cat "$dir/err")"
[ "$(version_of d2)" = 1.0.0 ] || fail "a wrong password changed the device"
grep -q 'auth error with 127.0.0.1:[0-9]*: wrong password' "$dir/d2.log" || fail "failed login not logged with the sender: $(cat "$dir/d2.log")"
expect_rc 0 "$otakit" upload -i 127.0.0.1 -p "$p2" "--auth=secret" -f "$dir/app2.bin"
grep -q 'Authenticating...OK' "$dir/err" || fail "no Authenticating...OK: $(cat "$dir/err")"
wait_version d2 2.0.0

# 6. Nobody answers: exit 4, bounded by -t; no retries asked.
dead=$(free_port)
start=$(date +%s%N)
expect_rc 4 "$otakit" upload -i 127.0.0.1 -p "$dead" -f "$dir/app2.bin" -t 0.5 --retries 0
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ] || fail "no-answer took too long"
grep -q 'no answer to the invitation' "$dir/err" || fail "no-answer message: $(cat "$dir/err")"

# 7. Several devices at once (one from a hosts file), with a table; then a mix with a dead one.
printf '# lab devices\n127.0.0.1:%s\n\n' "$p2" >"$dir/hosts"
expect_rc 0 "$otakit" upload -i "127.0.0.1:$p1" --hosts-file "$dir/hosts" "--auth=secret" -f "$dir/app5.bin" --parallel 2
[ "$(grep -c ' ok ' "$dir/out")" = 2 ] || fail "table: $(cat "$dir/out")"
wait_version d1 5.0.0
wait_version d2 5.0.0
expect_rc 4 "$otakit" upload -i "127.0.0.1:$p1" -i "127.0.0.1:$dead" -f "$dir/app3.bin" -t 0.5 --retries 0 --json
python3 - "$dir/out" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert [d["result"] for d in r["results"]] == ["ok", "no-answer"], r
EOF
wait_version d1 3.0.0

# 8. Usage and input errors.
expect_rc 2 "$otakit" upload -i 127.0.0.1 -p "$p1"
expect_rc 2 "$otakit" upload -f "$dir/app2.bin"
expect_rc 3 "$otakit" upload -i 127.0.0.1 -p "$p1" -f "$dir/missing.bin"
: >"$dir/empty.bin"
expect_rc 3 "$otakit" upload -i 127.0.0.1 -p "$p1" -f "$dir/empty.bin"

# 9. Log levels: --log-level debug shows every dropped datagram with its sender; a bad level is a usage error.
expect_rc 2 "$otakit" device --flash "$dir/d3.bin" --log-level chatty
p3=$(free_port)
start_device d3 "$p3" --log-level debug
python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); s.sendto(b"hello", ("127.0.0.1", int(sys.argv[1]))); print(s.getsockname()[1])' "$p3" >"$dir/sender_port"
for _ in $(seq 50); do grep -q "dropped a datagram from 127.0.0.1:$(cat "$dir/sender_port"): " "$dir/d3.log" && break; sleep 0.1; done
grep -q "dropped a datagram from 127.0.0.1:$(cat "$dir/sender_port"): " "$dir/d3.log" || fail "drop not logged: $(cat "$dir/d3.log")"

echo "espota CLI end-to-end: ok"
