#!/usr/bin/env bash
# Two `otakit server` instances share a PostgreSQL database (started here, on loopback, in a
# temporary folder) behind Debian's nginx as the load balancer. Virtual devices pull through
# nginx; one instance is killed with -9 in the middle of a staged rollout; the rollout completes
# through the other, and every device, outcome and history row is there exactly once. Behind
# nginx a device's row shows its own address (--trusted-proxy).
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/device_helpers.sh"  # $dir, $pids (killed at exit), fail, wait_line, free_port
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
pg=/usr/lib/postgresql/15/bin
[ -x $pg/initdb ] && command -v nginx >/dev/null || fail "needs Debian's postgresql and nginx: run scripts/install-deps.sh"

# --- PostgreSQL (as the postgres user when we are root: initdb refuses root)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$dir/pg"
[ "$(id -u)" = 0 ] && chown postgres "$dir/pg" && chmod 755 "$dir"
pg_port=$(free_port)
as_pg $pg/initdb -D "$dir/pg/data" -A trust -U otakit --no-sync >"$dir/initdb.log" 2>&1 || fail "initdb: $(tail -3 "$dir/initdb.log")"
as_pg $pg/pg_ctl -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 30 \
  -o "-k $dir/pg -c listen_addresses=127.0.0.1 -p $pg_port -c fsync=off" start >/dev/null || fail "pg_ctl start"
stop_pg() { as_pg $pg/pg_ctl -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'stop_pg; cleanup' EXIT
$pg/createdb -h 127.0.0.1 -p "$pg_port" -U otakit fleet
database=postgresql://otakit@127.0.0.1:$pg_port/fleet

# --- two instances, each with its own data folder (its blob cache)
# Port 0: each takes a free port itself and names it, so no other test can take it in between.
start_instance() {  # start_instance NAME: sets $port_NAME
  "$otakit" server --listen 127.0.0.1:0 --data "$dir/$1" --database "$database" --instance "$1" --threads 2 \
    --trusted-proxy 127.0.0.1 \
    >"$dir/$1.log" 2>&1 &
  eval "pid_$1=$!"
  pids+=($!)
  wait_line "$dir/$1.log" "listening on http://127.0.0.1:" 15 || fail "$1 did not start: $(cat "$dir/$1.log")"
  eval "port_$1=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/$1.log" | head -1)"
}
start_instance a
start_instance b

# --- nginx in front: round robin; a dead instance's requests go to the other one
lb_port=$(free_port)
mkdir -p "$dir/nginx"
cat >"$dir/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/nginx;
  proxy_temp_path $dir/nginx;
  upstream otakit { server 127.0.0.1:$port_a max_fails=1 fail_timeout=30s; server 127.0.0.1:$port_b max_fails=1 fail_timeout=30s; }
  server {
    listen 127.0.0.1:$lb_port;
    client_max_body_size 16m;
    location / {
      proxy_pass http://otakit;
      proxy_next_upstream error timeout;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
EOF
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' 2>"$dir/nginx/stderr" &
pids+=($!)
curl -s -o /dev/null --retry 30 --retry-connrefused --retry-max-time 10 "http://127.0.0.1:$lb_port/healthz" ||
  fail "nginx did not start: $(cat "$dir/nginx/stderr" "$dir/nginx/error.log" 2>/dev/null)"
url=http://127.0.0.1:$lb_port

token=$("$otakit" server token create --database "$database" --data "$dir/a" 2>/dev/null)
api() { curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $token" --data-binary "${3:-}" "$url/api$2" || fail "$1 $2"; }
json() { "$python" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
pull() { timeout 30 "$otakit" device pull --flash "$dir/$1.bin" --url "$url/update" --json >"$dir/$1.json" 2>"$dir/$1.err" ||
  fail "pull $1: $(cat "$dir/$1.json") $(tail -3 "$dir/$1.err")"; }
running() { timeout 10 "$otakit" device status --flash "$dir/$1.bin" --json | json 'd["image"]["version"]'; }

devices="d0 d1 d2 d3 d4 d5"
for d in $devices; do pull $d; done
[ "$(api GET /devices | json 'd["total"]')" = 6 ] || fail "registered: $(api GET /devices | json 'd["total"]')"
"$otakit" mkimage --size 280000 --version 2.0.0 --seed 9 -o "$dir/v2.bin" 2>/dev/null
# The upload goes to instance a; instance b has only the database's copy of the blob.
v2=$(curl -sS --fail-with-body -H "Authorization: Bearer $token" --data-binary @"$dir/v2.bin" \
  "http://127.0.0.1:$port_a/api/firmware?name=v2.bin" | json 'd["id"]')
rollout=$(api POST /rollouts "{\"firmware_id\": $v2, \"stages\": \"50%,100%\"}" | json 'd["id"]')

# Stage 1 through both instances, then instance a dies.
for d in $devices; do pull $d; done
for d in $devices; do pull $d; done
[ "$(api GET /rollouts/$rollout | json 'd["current_stage"]')" = 1 ] || fail "stage 2 did not start: $(api GET /rollouts/$rollout)"
kill -9 "$pid_a"
wait "$pid_a" 2>/dev/null || true
for _ in 1 2 3; do for d in $devices; do pull $d; done; done
state=$(api GET /rollouts/$rollout | json 'd["state"]')
[ "$state" = finished ] || fail "the rollout is $state after instance a died: $(api GET /rollouts/$rollout)"
for d in $devices; do [ "$(running $d)" = 2.0.0 ] || fail "$d runs $(running $d)"; done
[ "$(api GET /rollouts/$rollout | json 'd["totals"]["updated"]')" = 6 ] || fail "updated: $(api GET /rollouts/$rollout | json 'd["totals"]')"
# Exactly one "updated" history row per device, whichever instance counted it; both instances answered.
for mac in $(api GET /devices | json '" ".join(x["mac"] for x in d["devices"])'); do
  n=$(api GET "/devices/$mac/history?limit=1000" | json 'sum(1 for h in d["history"] if h["event"] == "updated")')
  [ "$n" = 1 ] || fail "$mac has $n updated rows"
done
instances=$(for mac in $(api GET /devices | json '" ".join(x["mac"] for x in d["devices"])'); do
  api GET "/devices/$mac/history?limit=1000" | json '" ".join(h["instance"] for h in d["history"])'; done | tr ' ' '\n' | sort -u | tr '\n' ' ')
[ "$instances" = "a b " ] || fail "history rows came from '$instances', expected both a and b"
[ -f "$dir/b/blobs/$(sha256sum "$dir/v2.bin" | cut -c1-2)/$(sha256sum "$dir/v2.bin" | cut -d' ' -f1)" ] ||
  fail "instance b did not cache the blob from the database"
# kill -9 of a server on PostgreSQL in the middle of a load of checks: nothing answered is lost.
$pg/createdb -h 127.0.0.1 -p "$pg_port" -U otakit killload
timeout 120 "$python" "$here/server_kill_load.py" "$otakit" --database "postgresql://otakit@127.0.0.1:$pg_port/killload" ||
  fail "kill -9 under load on PostgreSQL"
# The device's row shows the address nginx saw (--trusted-proxy), not nginx's; a device cannot
# claim one with its own header.
status=$(esp8266_check "$url/update" 18:FE:34:00:00:77 77 --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.1')
[[ $status == 200 || $status == 304 ]] || fail "the check through nginx from 127.0.0.2 got HTTP $status"
address=$(api GET /devices/18:FE:34:00:00:77 | json 'd["address"]')
[ "$address" = 127.0.0.2 ] || fail "the device's address is '$address', expected 127.0.0.2 (what nginx saw)"
echo "two instances: OK (rollout finished after one of two instances was killed; each outcome counted once)"
