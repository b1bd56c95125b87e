#!/usr/bin/env bash
# `otakit demo --no-wait --json`: the scenario runs on a free port in a scratch folder and says it
# went as it should (exit 0); its JSON table names who updated by which path, that field-a's
# devices updated, that exactly one field-b device rolled back and the rest were never offered
# 2.0.0, and the rollouts' states. Then the ways it refuses to start: too few devices, a folder
# it did not make, a port that is taken (each with a message saying what to do).
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/device_helpers.sh"  # $dir (removed at exit), $pids (killed at exit), fail
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3

set +e
timeout 120 "$otakit" demo --no-wait --json --port 0 --dir "$dir/demo" >"$dir/demo.json" 2>"$dir/demo.err"
rc=$?
set -e
[ $rc = 0 ] || fail "otakit demo exited $rc: $(tail -20 "$dir/demo.err") $(cat "$dir/demo.json")"

"$python" - "$dir/demo.json" <<'PY' || fail "the demo's table is not what the scenario promises: $(cat "$dir/demo.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True and d["problems"] == [], d["problems"]
devices = {x["name"]: x for x in d["devices"]}
assert len(devices) == 8, len(devices)
def check(name, path, group, result, running):
    x = devices[name]
    assert (x["path"], x["group"], x["result"], x["from"], x["running"]) == (path, group, result, "1.0.0", running), x
check("dev-1", "push", "", "updated", "2.0.0")
check("dev-2", "browser", "", "updated", "2.0.0")
for n in (3, 4, 5):
    check(f"dev-{n}", "pull", "field-a", "updated", "2.0.0")
field_b = [devices[f"dev-{n}"] for n in (6, 7, 8)]
assert all(x["path"] == "pull" and x["group"] == "field-b" and x["running"] == "1.0.0" for x in field_b), field_b
assert sorted(x["result"] for x in field_b) == ["not offered", "not offered", "rolled back"], field_b
assert d["rollouts"] == {"field-a": "finished", "field-b": "stopped"}, d["rollouts"]
assert d["dashboard"].startswith("http://127.0.0.1:") and d["token"].startswith("otk_"), d
PY
grep -q "STOPPED by itself" "$dir/demo.err" || fail "the live view did not show field-b's rollout stopping"
[ -s "$dir/demo/devices.log" ] && [ -s "$dir/demo/server/server.log" ] || fail "the demo's logs are missing"

# refuses RC TEXT ARGS...: otakit demo exits RC and its stderr says TEXT.
refuses() {
  local want=$1 text=$2
  shift 2
  set +e
  timeout 60 "$otakit" demo --no-wait "$@" >"$dir/refused.out" 2>"$dir/refused.err"
  rc=$?
  set -e
  [ $rc = "$want" ] || fail "otakit demo $*: exit $rc, expected $want: $(cat "$dir/refused.err")"
  grep -qF -- "$text" "$dir/refused.err" || fail "otakit demo $*: stderr does not say '$text': $(cat "$dir/refused.err")"
}
refuses 2 "needs at least 6" --devices 3 --dir "$dir/few"
mkdir -p "$dir/mine" && echo keep >"$dir/mine/notes.txt"
refuses 1 "pass a new or empty folder" --port 0 --dir "$dir/mine"
[ -f "$dir/mine/notes.txt" ] || fail "the demo emptied a folder it did not make"
# A port that is taken: the server step fails, and says which flag helps.
# The holder prints its port once it listens (read with a deadline), and holds it until its stdin closes.
coproc holder { "$python" -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); sys.stdin.read()'; }
pids+=($holder_PID)
read -r -t 10 taken <&"${holder[0]}" || fail "could not hold a port for the test"
refuses 1 "--port 0 for any free one" --port "$taken" --dir "$dir/taken"
echo "demo: OK (push, browser and field-a updated; field-b's first device rolled back, its rollout stopped, the rest not offered; bad starts refused)"
