#!/usr/bin/env bash
# Virtual devices (`otakit device pull`, the ESP8266httpUpdate client) update through staged
# rollouts from `otakit server` on loopback: a healthy image moves stage by stage to finished; an
# image that fails its post-boot check (the device never confirms it and rolls back) stops its
# rollout at the first device, and the next device is never offered it. A check over HTTPS. Then
# kill -9 of the server and a restart: every device, history row and outcome is still there.
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/device_helpers.sh"  # $dir, $pids (killed at exit), fail, wait_line
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3

start_server() {
  : >"$dir/server.log"
  "$otakit" server --listen 127.0.0.1:${1:-0} --tls-listen 127.0.0.1:${2:-0} --tls-self-signed --data "$dir/data" \
    --threads 2 >"$dir/server.log" 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  wait_line "$dir/server.log" "listening on http://127.0.0.1:" 10 || fail "the server did not start: $(cat "$dir/server.log")"
  wait_line "$dir/server.log" "listening on https://127.0.0.1:" 10 || fail "no https listener: $(cat "$dir/server.log")"
  port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/server.log" | head -1)
  tls_port=$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/server.log" | head -1)
  url=http://127.0.0.1:$port
}
api() {  # api METHOD PATH [BODY]: the admin API's JSON answer; fails on an HTTP error
  curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" --data-binary "${3:-}" "$url/api$2" ||
    fail "$1 $2 failed"
}
json() { "$python" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
pull() {  # pull DEVICE [flags]: one check; the device boots what it staged
  timeout 30 "$otakit" device pull --flash "$dir/$1.bin" --url "$url/update" --json "${@:2}" >"$dir/$1.pull.json" 2>"$dir/$1.err" ||
    fail "pull $1 failed: $(cat "$dir/$1.pull.json") $(tail -3 "$dir/$1.err")"
}
running() { timeout 10 "$otakit" device status --flash "$dir/$1.bin" --json | json 'd["image"]["version"]'; }
rollout() { api GET "/rollouts/$1" | json "$2"; }

start_server
token=$("$otakit" server token create --data "$dir/data" 2>/dev/null)
[ -n "$token" ] || fail "no token"
"$otakit" mkimage --size 300000 --version 2.0.0 --seed 2 -o "$dir/v2.bin" >/dev/null
"$otakit" mkimage --size 310000 --version 3.0.0 --seed 3 -o "$dir/v3.bin" >/dev/null

# Five devices register with their first check: nothing is targeted yet.
for d in g0 g1 g2 b0 b1; do pull $d; done
[ "$(api GET /devices | json 'd["total"]')" = 5 ] || fail "the server has $(api GET /devices | json 'd["total"]') devices, expected 5"
macs=$(api GET /devices | json '" ".join(x["mac"] for x in d["devices"])')
# The devices' MACs come from their chip ids; put three in "good" and two in "bad" by their order.
read -r -a list <<<"$macs"
declare -A group_of
i=0
for mac in "${list[@]}"; do
  g=good; [ $i -ge 3 ] && g=bad
  api PUT "/devices/$mac/group" "{\"group\": \"$g\"}" >/dev/null
  group_of[$mac]=$g
  i=$((i + 1))
done
# Which flash file is which MAC: a virtual device's STA MAC is 5C:CF:7F and its chip id's bytes.
device_in() {  # device_in GROUP: the flash names of the devices in it
  for d in g0 g1 g2 b0 b1; do
    mac=$(timeout 10 "$otakit" device status --flash "$dir/$d.bin" --json |
      json '"5C:CF:7F:" + ":".join(d["chip_id"].upper().zfill(6)[i:i+2] for i in (0, 2, 4))')
    if [ "${group_of[$mac]:-}" = "$1" ]; then echo "$d"; fi
  done
}
good=$(device_in good)
bad=$(device_in bad)
[ "$(wc -w <<<"$good")" = 3 ] && [ "$(wc -w <<<"$bad")" = 2 ] || fail "groups: good '$good', bad '$bad'"

# --- A healthy image, stages 34%,100% of group good.
v2=$(curl -sS --fail-with-body -H "Authorization: Bearer $token" --data-binary @"$dir/v2.bin" "$url/api/firmware?name=v2.bin" | json 'd["id"]')
r1=$(api POST /rollouts "{\"firmware_id\": $v2, \"stages\": \"34%,100%\", \"filter\": {\"group\": \"good\"}}" | json 'd["id"]')
[ "$(rollout $r1 '[s["targets"] for s in d["stages"]]')" = "[2, 1]" ] || fail "stage sizes: $(rollout $r1 'd["stages"]')"
for d in $good; do pull $d; done
updated_first=$(for d in $good; do if [ "$(running $d)" = 2.0.0 ]; then echo $d; fi; done)
[ "$(wc -w <<<"$updated_first")" = 2 ] || fail "stage 1 should update two devices, updated: '$updated_first'"
[ "$(rollout $r1 'd["current_stage"]')" = 0 ] || fail "the rollout moved before a device came back"
for d in $updated_first; do pull $d; done  # they check in running 2.0.0: healthy
[ "$(rollout $r1 'd["current_stage"]')" = 1 ] || fail "stage 2 did not start: $(rollout $r1 'd')"
for d in $good; do pull $d; done
for d in $good; do pull $d; done
[ "$(rollout $r1 'd["state"]')" = finished ] || fail "rollout 1 is $(rollout $r1 'd["state"]'), not finished: $(rollout $r1 'd')"
for d in $good; do [ "$(running $d)" = 2.0.0 ] || fail "$d runs $(running $d)"; done

# --- An image that fails its post-boot check: the device never confirms it and rolls back.
v3=$(curl -sS --fail-with-body -H "Authorization: Bearer $token" --data-binary @"$dir/v3.bin" "$url/api/firmware?name=v3.bin" | json 'd["id"]')
r2=$(api POST /rollouts "{\"firmware_id\": $v3, \"stages\": \"50%,100%\", \"error_threshold\": \"1\", \"filter\": {\"group\": \"bad\"}}" | json 'd["id"]')
first=""
for d in $bad; do
  pull $d --no-confirm
  [ "$(running $d)" = 3.0.0 ] && first=$d
done
[ -n "$first" ] || fail "no device of group bad got 3.0.0"
for _ in 1 2 3 4 5 6; do  # each boot of the unconfirmed image is a trial, until it is rolled back
  [ "$(rollout $r2 'd["state"]')" = stopped ] && break
  pull "$first" --no-confirm
done
[ "$(rollout $r2 'd["state"]')" = stopped ] || fail "rollout 2 is $(rollout $r2 'd["state"]'), not stopped: $(rollout $r2 'd')"
[ "$(running "$first")" = 1.0.0 ] || [ "$(running "$first")" != 3.0.0 ] || fail "$first still runs 3.0.0"
[ "$(rollout $r2 'd["totals"]["updated"]')" = 0 ] || fail "a trial image counted as updated"
[ "$(rollout $r2 'd["totals"]["failed"]')" = 1 ] || fail "failed: $(rollout $r2 'd["totals"]')"
for d in $bad; do [ "$d" = "$first" ] || { pull $d; [ "$(running $d)" != 3.0.0 ] || fail "$d was offered 3.0.0 after the stop"; }; done

# --- The device's BearSSL client checks over HTTPS (the server's OpenSSL, its self-signed certificate).
timeout 30 "$otakit" device pull --flash "$dir/g0.bin" --url "https://localhost:$tls_port/update" \
  --ca-file "$dir/data/tls/cert.pem" --json >"$dir/tls.json" 2>"$dir/tls.err" || fail "https pull: $(cat "$dir/tls.json" "$dir/tls.err")"
[ "$(json 'd["http_status"]' <"$dir/tls.json")" = 304 ] || fail "https pull: $(cat "$dir/tls.json")"

# --- kill -9 and restart: nothing counted is lost.
before_devices=$(api GET /devices | json 'd["total"]')
mac=$(api GET /devices | json 'd["devices"][0]["mac"]')
before_history=$(api GET "/devices/$mac/history?limit=1000" | json 'd["total"]')
before_r1=$(rollout $r1 'd["totals"]')
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
start_server "$port" "$tls_port"
[ "$(api GET /devices | json 'd["total"]')" = "$before_devices" ] || fail "devices lost in the restart"
[ "$(api GET "/devices/$mac/history?limit=1000" | json 'd["total"]')" = "$before_history" ] || fail "history lost in the restart"
[ "$(rollout $r1 'd["totals"]')" = "$before_r1" ] || fail "rollout 1 changed in the restart: $(rollout $r1 'd["totals"]')"
[ "$(rollout $r2 'd["state"]')" = stopped ] || fail "rollout 2 is not stopped after the restart"
# --- A config file takes the long flags' names; a wrong name is refused with its line.
printf '# the fleet server\nlisten = 127.0.0.1:0\ndata = "%s"\nthreads = 1\n' "$dir/from-config" >"$dir/server.conf"
"$otakit" server --config "$dir/server.conf" >"$dir/config.log" 2>&1 &
pids+=($!)
wait_line "$dir/config.log" "(fleet, data in $dir/from-config)" 10 || fail "--config was not applied: $(cat "$dir/config.log")"
printf 'listen = 127.0.0.1:0\nlisen = 1\n' >"$dir/bad.conf"
set +e
"$otakit" server --config "$dir/bad.conf" >"$dir/bad.log" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "bad.conf:2: 'lisen' is not a flag" "$dir/bad.log" || fail "a bad config line: exit $rc, $(cat "$dir/bad.log")"
echo "server rollout: OK (a healthy rollout finished stage by stage, a failing one stopped at its first device, kill -9 lost nothing)"
