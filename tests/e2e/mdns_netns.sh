#!/usr/bin/env bash
# mDNS end to end in a network namespace this script creates (lo with multicast, plus a veth pair
# as a second interface): two advertisers claim the same name (the second renames itself), the
# group is joined on lo only, and python3-zeroconf and `otakit discover` see both devices; a
# virtual device (`otakit device --ota-port --http-port --mdns`) is found by zeroconf under
# _arduino._tcp and _http._tcp with one hostname; a goodbye removes one.
# Usage: mdns_netns.sh <otakit_test_mdns_advertise> <otakit>
set -euo pipefail
advertise=$1
otakit=$2
here=$(cd "$(dirname "$0")" && pwd)
ns=otakit-mdns-$$
host=otakit-e2e-$$
dir=$(mktemp -d)
pids=()

fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import zeroconf' 2>/dev/null ||
  fail "Debian's python3-zeroconf is missing: apt-get install python3-zeroconf"
if ! ip netns add "$ns" 2>"$dir/netns.err"; then
  echo "SKIP: cannot create a network namespace ($(cat "$dir/netns.err")); run as root" >&2
  rm -rf "$dir"
  exit 77
fi
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
in_ns() { ip netns exec "$ns" "$@"; }

in_ns ip link set lo up
in_ns ip link set lo multicast on
in_ns ip route add 224.0.0.0/4 dev lo
in_ns ip link add otk-a type veth peer name otk-b
in_ns ip addr add 10.253.0.1/24 dev otk-a
in_ns ip link set otk-a up
in_ns ip link set otk-b up

# Starts an advertiser (bounded by --seconds) and waits up to 5 s for its "announced" line.
start_advertiser() {
  local log=$1
  shift
  ip netns exec "$ns" "$advertise" --seconds 60 "$@" >"$log" 2>&1 &  # ip execs it: $! is the advertiser
  pids+=($!)
  for _ in $(seq 50); do grep -q '^announced ' "$log" && return 0; sleep 0.1; done
  fail "advertiser did not announce within 5 s: $(cat "$log")"
}

start_advertiser "$dir/first.log" --interface-address 127.0.0.1 --hostname "$host" --port 8266 --board nodemcuv2 --auth
first_pid=${pids[0]}
grep -qx "announced $host" "$dir/first.log" || fail "first advertiser: $(cat "$dir/first.log")"

# 224.0.0.251 (FB0000E0 in /proc/net/igmp) is joined on lo and nowhere else.
joined=$(in_ns awk '/^[0-9]/ {dev=$2} /FB0000E0/ {print dev}' /proc/net/igmp | sort -u | tr '\n' ' ')
[ "$joined" = "lo " ] || fail "224.0.0.251 joined on '$joined', want lo only"

# Same name, other address: the probe meets the first device's defence and the newcomer renames.
start_advertiser "$dir/second.log" --interface-address 127.0.0.2 --hostname "$host" --port 8267 --board generic
grep -qx "announced $host-2" "$dir/second.log" || fail "second advertiser should rename: $(cat "$dir/second.log")"

# A virtual device serving espota and the upload page, advertising both over mDNS.
device_host="$host-dev"
ip netns exec "$ns" "$otakit" device --flash "$dir/dev.bin" --bind 127.0.0.3 --ota-port 8270 --http-port 8090 \
  --mdns --hostname "$device_host" >"$dir/device.log" 2>&1 &
pids+=($!)
want_line="mdns: advertising $device_host._arduino._tcp.local (port 8270) and $device_host._http._tcp.local (port 8090) on 127.0.0.3"
for _ in $(seq 100); do grep -qF "$want_line" "$dir/device.log" && break; sleep 0.1; done
grep -qF "$want_line" "$dir/device.log" || fail "device did not log '$want_line': $(cat "$dir/device.log")"

in_ns timeout 60 /usr/bin/python3 "$here/mdns_zeroconf_check.py" --otakit "$otakit" --host "$host" \
  --renamed "$host-2" --first-pid "$first_pid" --other-address 10.253.0.1 \
  --device-host "$device_host" --device-address 127.0.0.3 --device-ota-port 8270 --device-http-port 8090 ||
  fail "zeroconf / discover checks"

wait "$first_pid" || fail "first advertiser exited with an error"
grep -qx "stopped $host" "$dir/first.log" || fail "first advertiser did not stop cleanly: $(cat "$dir/first.log")"
echo "mdns e2e: ok"
