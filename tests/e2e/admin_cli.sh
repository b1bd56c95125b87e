#!/usr/bin/env bash
# The admin API's command-line client (`otakit publish`, `otakit rollout`, `otakit devices`)
# against `otakit server` on loopback: no token, a wrong token, no server, a non-image, a fleet
# target, devices registering by their checks (curl with the x-ESP8266 headers), group and tags,
# a staged rollout and its commands (a refused one exits 7 with the server's reason), approval,
# --json that parses, https with --cacert and -k, a server that never answers (--timeout), and
# `server token list|revoke` (a revoked token is refused from the next request).
# The token must never appear in anything the client prints.
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/device_helpers.sh"  # $dir, $pids (killed at exit), fail, wait_line, free_port
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3

# run NAME ARGS...: one otakit command with a deadline; stdout in $dir/NAME.out, stderr in
# $dir/NAME.err, the exit code in $rc.
run() {
  local name=$1
  shift
  set +e
  timeout 30 "$otakit" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
  rc=$?
  set -e
  last=$name
}
oops() { fail "[$last] $*
--- stdout: $(head -c 2000 "$dir/$last.out")
--- stderr: $(head -c 2000 "$dir/$last.err")"; }
expect_rc() { [ "$rc" = "$1" ] || oops "exit $rc, expected $1"; }
out_has() { grep -qF -- "$1" "$dir/$last.out" || oops "stdout does not say '$1'"; }
err_has() { grep -qF -- "$1" "$dir/$last.err" || oops "stderr does not say '$1'"; }
# field EXPR: a Python expression over the JSON on stdout (d), e.g. 'd["rollout"]["id"]'.
field() { "$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$dir/$last.out" "$1"; }
expect_json() { "$python" -c 'import json,sys; json.load(sys.stdin)' <"$dir/$last.out" || oops "stdout is not JSON"; }
expect_field() { [ "$(field "$1")" = "$2" ] || oops "$1 is '$(field "$1")', expected '$2'"; }

# start_server NAME [flags]: `otakit server` on a free loopback port; $NAME_port from its line.
start_server() {
  local name=$1
  shift
  "$otakit" server --listen 127.0.0.1:0 --data "$dir/data" --threads 2 "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  wait_line "$dir/$name.log" "dashboard at" 10 || fail "server $name did not start: $(cat "$dir/$name.log")"
}
port_in() { sed -n "s|.*listening on $1://127.0.0.1:\([0-9]*\).*|\1|p" "$dir/$2.log" | head -1; }

check() { esp8266_check "$server/update" "$1" "$2"; }

start_server plain
server=http://127.0.0.1:$(port_in http plain)
export OTAKIT_SERVER=$server
unset OTAKIT_TOKEN
timeout 30 "$otakit" mkimage --size 300001 --version 2.0.0 -o "$dir/fw.bin" >/dev/null 2>&1
timeout 30 "$otakit" mkimage --size 310000 --version 3.0.0 --seed 3 -o "$dir/v3.bin" >/dev/null 2>&1
head -c 5000 /dev/urandom >"$dir/junk.bin"

# --- no token, a wrong token, no server
run no_token publish "$dir/fw.bin"
expect_rc 2
err_has "create one with \`otakit server token create\` on the server and export OTAKIT_TOKEN=..."

token=$(timeout 30 "$otakit" server token create --data "$dir/data" 2>/dev/null)
[ -n "$token" ] || fail "no token"
run wrong_token publish "$dir/fw.bin" --token otk_not-this-one
expect_rc 5
err_has "the token is not known to this server"
err_has "otakit server token create"
export OTAKIT_TOKEN=$token

closed=$(free_port)  # nothing listens there (the UDP probe's number; TCP is free too on loopback)
run no_server devices --server "http://127.0.0.1:$closed"
expect_rc 4
err_has "cannot connect to http://127.0.0.1:$closed: connection refused"
err_has "otakit server"
run no_server_json devices --server "http://127.0.0.1:$closed" --json
expect_rc 4
expect_field 'd["ok"]' False
expect_field 'd["exit_name"]' no-answer

# --- a non-image: the server's own reason, verbatim
refusal=$(curl -sS -m 10 -H "Authorization: Bearer $token" --data-binary @"$dir/junk.bin" "$server/api/firmware?name=junk.bin" |
  "$python" -c 'import json,sys; print(json.load(sys.stdin)["error"])')
run junk publish "$dir/junk.bin"
expect_rc 7
err_has "otakit publish: $refusal"
run junk_json publish "$dir/junk.bin" --json
expect_rc 7
expect_field 'd["http_status"]' 422
expect_field 'd["server_error"]' "$refusal"

# --- publish: a fleet target
run publish publish "$dir/fw.bin"
expect_rc 0
out_has "uploaded fw.bin as firmware 1: 300001 bytes"
out_has "md5 $(md5sum "$dir/fw.bin" | cut -d' ' -f1), version 2.0.0 (new in the catalog)"
out_has "target: every device now gets firmware 1"
targets=$(curl -sS -m 10 -H "Authorization: Bearer $token" "$server/api/targets" |
  "$python" -c 'import json,sys; print([(t["scope"], t["firmware_id"]) for t in json.load(sys.stdin)["targets"]])')
[ "$targets" = "[('*', 1)]" ] || oops "the targets are $targets, not the fleet's on firmware 1"
run publish_json publish "$dir/fw.bin" --json
expect_rc 0
expect_json
expect_field 'd["created"]' False
expect_field 'd["firmware"]["size"]' 300001
expect_field 'd["target"]["scope"]' '*'

# --- devices: none, then three after their checks
run devices_empty devices
expect_rc 0
out_has "no device has checked in yet"
macs=(5C:CF:7F:00:00:01 5C:CF:7F:00:00:02 5C:CF:7F:00:00:03)
for i in 0 1 2; do
  status=$(check "${macs[$i]}" $((i + 1)))
  [ "$status" = 200 ] || fail "check ${macs[$i]}: HTTP $status, expected 200 (the fleet target's offer)"
done
run devices devices
expect_rc 0
for mac in "${macs[@]}"; do out_has "$mac  1.0.0"; done
grep -qE '^MAC +VERSION +GROUP +TAGS +LAST SEEN +CHECKS +ADDRESS$' "$dir/devices.out" || oops "no table head"
grep -qE '5C:CF:7F:00:00:01 .* [0-9]+ s ago +1 +127\.0\.0\.1$' "$dir/devices.out" || oops "no relative last seen"
run devices_json devices --json
expect_json
expect_field 'd["total"]' 3
run set_group devices set-group 5c-cf-7f-00-00-01 lab  # dashes and lowercase, as the API takes them
expect_rc 0
out_has "5C:CF:7F:00:00:01: group lab"
run set_tags devices set-tags 5C:CF:7F:00:00:02 door,hall
expect_rc 0
out_has "5C:CF:7F:00:00:02: tags door, hall"
run lab devices --group lab --json
expect_field '[x["mac"] for x in d["devices"]]' "['5C:CF:7F:00:00:01']"
run door devices --tag door
out_has "5C:CF:7F:00:00:02  1.0.0    -      door,hall"
run show devices show 5C:CF:7F:00:00:01
expect_rc 0
out_has "device 5C:CF:7F:00:00:01"
out_has "group     lab"
out_has "recent history, newest first:"
out_has "joined group lab"
run show_unknown devices show 5C:CF:7F:00:00:09
expect_rc 7
err_has "no device 5C:CF:7F:00:00:09 has checked in"

# --- a staged rollout and its commands
run rollout publish "$dir/v3.bin" --rollout 50%,100% --json
expect_rc 0
expect_json
id=$(field 'd["rollout"]["id"]')
expect_field 'd["rollout"]["state"]' running
expect_field '[s["targets"] for s in d["rollout"]["stages"]]' '[2, 1]'
run list rollout status
expect_rc 0
grep -qE "^$id +running +1/2 +0/3 " "$dir/list.out" || oops "rollout $id is not listed as running"
run status rollout status "$id"
expect_rc 0
out_has "rollout $id \"rollout of firmware 2\": running, deployment group 1 of 2"
grep -qE '^group 1 \(50%\) +\[\.+\] +0/2 +0 +0 +90% +running$' "$dir/status.out" || oops "no bar for group 1"
grep -qE '^group 2 \(100%\) +\[\.+\] +0/1 .* scheduled$' "$dir/status.out" || oops "no bar for group 2"
run status_json rollout status "$id" --json
expect_json
run pause rollout pause "$id"
expect_rc 0
out_has "rollout $id paused"
out_has "resume it with: otakit rollout resume $id"
run pause_again rollout pause "$id"
expect_rc 7
err_has "otakit rollout: pause: the rollout is not running (it is paused)"
run resume rollout resume "$id" --json
expect_rc 0
expect_field 'd["state"]' running
run cancel rollout cancel "$id"
expect_rc 0
out_has "canceled"
run resume_canceled rollout resume "$id" --json
expect_rc 7
expect_field 'd["http_status"]' 409
expect_field 'd["server_error"]' "resume: the rollout is not paused (it is canceled)"
run no_rollout rollout status 999
expect_rc 7
err_has "no rollout 999"

run approval publish "$dir/v3.bin" --group lab --rollout 100% --approval
expect_rc 0
out_has "already in the catalog"
out_has "waiting for approval"
approval_id=$(grep -o '^rollout [0-9]*' "$dir/approval.out" | head -1 | cut -d' ' -f2)
run approve rollout approve "$approval_id" --json
expect_rc 0
expect_field 'd["state"]' running
expect_field 'd["filter"]["group"]' lab

# --- https: the self-signed certificate with --cacert, -k, and neither
start_server tls --tls-listen 127.0.0.1:0 --tls-self-signed --no-plain
wait_line "$dir/tls.log" "listening on https://" 10 || fail "no https line: $(cat "$dir/tls.log")"
https=https://127.0.0.1:$(port_in https tls)
run untrusted devices --server "$https"
expect_rc 4
err_has "is not trusted"
err_has "--cacert"
run cacert devices --server "$https" --cacert "$dir/data/tls/cert.pem" --json
expect_rc 0
expect_field 'd["total"]' 3
run insecure rollout status --server "https://localhost:$(port_in https tls)" -k
expect_rc 0
grep -qE "^$approval_id +running " "$dir/insecure.out" || oops "rollout $approval_id is not listed as running"
run https_to_plain devices --server "https://127.0.0.1:$(port_in http plain)" -k
expect_rc 4
err_has "use http://"

# --- a server that takes the connection and never answers: --timeout ends the wait
"$python" -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write(str(s.getsockname()[1]) + "\n")
held = []
while True:
    c, _ = s.accept(); held.append(c)  # read nothing, answer nothing
' "$dir/silent.port" &
pids+=($!)
wait_line "$dir/silent.port" "" 5 || fail "the silent listener did not start"
run silent devices --server "http://127.0.0.1:$(cat "$dir/silent.port")" --timeout 0.5
expect_rc 6
err_has "did not answer within 0.5 s"

# --- tokens: list shows names and states, never a token; a revoked one is refused at once
run tokens server token list --data "$dir/data" --json
expect_rc 0
expect_field 'len(d)' 1
expect_field 'd[0]["revoked"]' False
token_id=$(field 'd[0]["id"]')
run revoke server token revoke "$token_id" --data "$dir/data"
expect_rc 0
err_has "token $token_id revoked"
run revoked devices
expect_rc 5
err_has "the token was revoked"
run tokens_after server token list --data "$dir/data"
expect_rc 0
grep -qE "^$token_id +admin .* revoked$" "$dir/tokens_after.out" || oops "token $token_id is not listed as revoked"
run revoke_unknown server token revoke 999 --data "$dir/data"
expect_rc 2
err_has "no token with id 999"
run list_nowhere server token list --data "$dir/nowhere"
expect_rc 3
err_has "no server database at $dir/nowhere/fleet.db"

# --- the token never shows
for f in "$dir"/*.out "$dir"/*.err; do
  ! grep -qF -- "$token" "$f" || fail "the token is printed in $f"
done
echo "admin cli: OK (token and server errors, refusals verbatim, target, devices, rollout commands, https, timeout, token list/revoke)"
