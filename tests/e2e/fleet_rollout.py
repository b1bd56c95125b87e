#!/usr/bin/env python3
"""1,000 simulated devices (`otakit fleet`, the real device code) through a staged rollout from
`otakit server` with faults on: power cuts during updates, dropped, stalled and slowed
connections, and new images that fail their post-boot check. Then the server's records must agree
with every device's own account: each device the server counts as updated runs the image,
confirmed, and has exactly one "updated" row; each one it counts as failed rolled back and runs
its old image; no device is counted twice or lost.

usage: fleet_rollout.py OTAKIT [--devices N]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request

OTAKIT = os.path.abspath(sys.argv[1])
DEVICES = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--devices" else 1000
FAULTS = ["--power-cut-rate", "0.1", "--drop-rate", "0.03", "--stall-rate", "0.01", "--slow-rate", "0.03",
          "--health-fail-rate", "0.02", "--http-timeout", "2"]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(*args, timeout=60):
    done = subprocess.run([OTAKIT, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        fail(f"otakit {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def main():
    work = tempfile.mkdtemp(prefix="otakit-fleet-")
    server = None
    try:
        os.chdir(work)
        run("keygen", "--out-private", "k.pem", "--out-public", "p.pem")
        for version, seed, out in (("1.0.0", "1", "factory"), ("2.0.0", "2", "next")):
            run("mkimage", "--size", "160000", "--version", version, "--seed", seed, "--out", out + ".bin")
            run("sign", "--mode", "sign", "--privatekey", "k.pem", "--bin", out + ".bin", "--out", out + ".signed")

        server = subprocess.Popen([OTAKIT, "server", "--listen", "127.0.0.1:0", "--data", "server", "--public-key",
                                   "p.pem", "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        port = None
        for line in server.stdout:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            fail("the server did not start")
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        token = run("server", "token", "create", "--data", "server").strip()
        env_args = ["--server", base, "--token", token]
        fleet = ["fleet", "--devices", str(DEVICES), "--factory", "factory.signed", "--public-key", "p.pem",
                 "--update-url", base + "/update", "--interval", "1", "--seed", "7", "--quiet"]

        # Every device registers with its first check; then the rollout, in three stages.
        run(*fleet, "--duration", "3", timeout=60)
        listed = json.loads(run("devices", *env_args, "--limit", "10000", "--json"))
        if listed["total"] != DEVICES:
            fail(f"{listed['total']} devices registered, not {DEVICES}")
        run("publish", "next.signed", "--rollout", "10%,50%,100%", *env_args)

        summary = json.loads(run(*fleet, *FAULTS, "--until-updated", "--timeout", "300", "--report", "devices.json",
                                 "--json", timeout=360))
        print(json.dumps({k: summary[k] for k in ("seconds", "checks", "updates", "rollbacks", "power_cuts", "resumes",
                                                    "link", "failures", "rss_per_device_kib")}))
        for fault in ("power_cuts", "rollbacks"):
            if summary[fault] == 0:
                fail(f"no {fault} happened: the faults were not on")
        if summary["link"]["dropped"] == 0 or summary["link"]["slowed"] == 0:
            fail(f"the link faults did not happen: {summary['link']}")

        devices = {d["mac"]: d for d in json.load(open("devices.json"))["devices"]}
        server_devices = {d["mac"]: d for d in json.loads(run("devices", *env_args, "--limit", "10000",
                                                              "--json"))["devices"]}
        rollout = json.loads(run("rollout", "status", *env_args, "--json"))["rollouts"][0]
        rollout = json.loads(run("rollout", "status", str(rollout["id"]), *env_args, "--json"))
        if rollout["state"] != "finished":
            fail(f"the rollout is {rollout['state']}")
        updated = sum(s["updated"] for s in rollout["stages"])
        failed = sum(s["failed"] for s in rollout["stages"])
        targets = sum(s["targets"] for s in rollout["stages"])
        if targets != DEVICES or updated + failed != DEVICES:
            fail(f"the rollout counts {updated} updated + {failed} failed of {targets} targets, not {DEVICES}")

        on_new = [d for d in devices.values() if d["version"] == "2.0.0"]
        rolled_back = [d for d in devices.values() if d["version"] == "1.0.0"]
        if len(on_new) != updated or len(rolled_back) != failed:
            fail(f"devices say {len(on_new)} on 2.0.0 and {len(rolled_back)} on 1.0.0; the server {updated}/{failed}")
        for d in devices.values():
            s = server_devices.get(d["mac"])
            if s is None:
                fail(f"{d['mac']} is not in the server's records")
            if s["running_md5"] != d["md5"] or d["on_trial"]:
                fail(f"{d['mac']}: the server says it runs {s['running_md5']}, the device {d['md5']} "
                     f"(on trial: {d['on_trial']})")
            if d["version"] == "1.0.0" and (d["rollbacks"] != 1 or d["health_failures"] != 1):
                fail(f"{d['mac']} is counted failed but did not roll back once: {d}")
            if d["version"] == "2.0.0" and d["updates"] != 1:
                fail(f"{d['mac']} runs 2.0.0 after {d['updates']} updates")
        # Exactly one outcome row per device: nothing counted twice.
        for mac, d in devices.items():
            request = urllib.request.Request(f"{base}/api/devices/{mac}/history?limit=1000",
                                             headers={"Authorization": f"Bearer {token}"})
            history = json.load(urllib.request.urlopen(request, timeout=10))["history"]
            outcomes = [h["event"] for h in history if h["event"] in ("updated", "failed")]
            want = ["updated"] if d["version"] == "2.0.0" else ["failed"]
            if outcomes != want:
                fail(f"{mac} has outcome rows {outcomes}, not {want}")
        print(f"ok: {updated} updated, {failed} failed (rolled back), {summary['power_cuts']} power cuts, "
              f"{summary['link']} on the link; the server's records agree with all {DEVICES} devices")
    finally:
        if server is not None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


main()
