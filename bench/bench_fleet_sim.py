#!/usr/bin/env python3
"""bench_fleet_sim.py: the fleet simulator at scale against `otakit server` on this machine.

For each fleet size (a baseline of 1,000 devices, then 10,000 by default), in one run: a fresh
signed `otakit server` (SQLite), `otakit fleet --devices N` registers every device, `otakit
publish --rollout 10%,50%,100%` starts a rollout, and the same fleet runs until every device
runs it (--until-updated). Printed per size: wall time of the rollout, update checks per second
the server saw (its own /metrics counter over that time), updates per second, and the
simulator's RSS per device, whole and beyond the flash the devices share (goal: <= 64 KiB
each), and where the time went: the fleet's start (provisioning N flashes) and the CPU the
simulator and the server each used, in cores (2.0 is all of this machine).

usage: bench/bench_fleet_sim.py [--build DIR] [--sizes 1000,10000] [--interval 5] [--json]
"""
import argparse
import json
import os
import resource
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

GOAL_KIB = 64


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(here, "..", "build"))
    p.add_argument("--sizes", default="1000,10000", help="fleet sizes, the first is the baseline")
    p.add_argument("--interval", default="5", help="seconds between a device's checks")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    otakit = os.path.abspath(os.path.join(a.build, "cli", "otakit"))
    if not os.access(otakit, os.X_OK):
        sys.exit(f"missing {otakit}: build the otakit target")
    rows = [run_size(otakit, int(n), a.interval, a.json) for n in a.sizes.split(",")]
    if a.json:
        print(json.dumps({"goal_kib_per_device": GOAL_KIB, "rows": rows}, indent=2))
        return
    print(f"\n{'devices':>8} {'rollout s':>10} {'start s':>8} {'checks/s':>9} {'updates/s':>10} {'KiB/device':>11} "
          f"{'beyond shared':>14} {'shared MiB':>11} {'sim cores':>10} {'server cores':>13}")
    for r in rows:
        print(f"{r['devices']:>8} {r['rollout_seconds']:>10.1f} {r['fleet_start_seconds']:>8.1f} "
              f"{r['server_checks_per_second']:>9.0f} "
              f"{r['updates_per_second']:>10.1f} {r['rss_per_device_kib']:>11.1f} {r['beyond_shared_kib']:>14.1f} "
              f"{r['shared_flash_mib']:>11.1f} {r['simulator_cores']:>10.2f} {r['server_cores']:>13.2f}")
    base, big = rows[0], rows[-1]
    if len(rows) > 1:
        print(f"\n{big['devices']} devices against the {base['devices']}-device baseline: "
              f"{big['rollout_seconds'] / base['rollout_seconds']:.2f}x the wall time for "
              f"{big['devices'] / base['devices']:.0f}x the devices; "
              f"{big['beyond_shared_kib']:.1f} vs {base['beyond_shared_kib']:.1f} KiB per device beyond shared flash")
    verdict = "met" if big["beyond_shared_kib"] <= GOAL_KIB else "MISSED"
    print(f"goal: at most {GOAL_KIB} KiB per device beyond what they share: {verdict}")


def run(otakit, *args, timeout=900):
    done = subprocess.run([otakit, *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        sys.exit(f"otakit {' '.join(args[:3])} ... exited {done.returncode}: {done.stderr[-1500:]}")
    return done.stdout


def server_checks(base):
    text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    return sum(float(m) for m in re.findall(r'^otakit_checks_total\{[^}]*\} ([0-9.e+]+)$', text, re.M))


def process_cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def children_cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def run_size(otakit, devices, interval, quiet):
    work = tempfile.mkdtemp(prefix="bench-fleet-sim-")
    server = None
    try:
        os.chdir(work)
        run(otakit, "keygen", "--out-private", "k.pem", "--out-public", "p.pem")
        for version, seed, out in (("1.0.0", "1", "factory"), ("2.0.0", "2", "next")):
            run(otakit, "mkimage", "--size", "300000", "--version", version, "--seed", seed, "--out", out + ".bin")
            run(otakit, "sign", "--mode", "sign", "--privatekey", "k.pem", "--bin", out + ".bin", "--out", out + ".signed")
        server = subprocess.Popen([otakit, "server", "--listen", "127.0.0.1:0", "--data", "server", "--public-key",
                                   "p.pem", "--log-level", "warn"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        port = None
        for line in server.stdout:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            sys.exit("the server did not start")
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        token = run(otakit, "server", "token", "create", "--data", "server").strip()
        fleet = ["fleet", "--devices", str(devices), "--factory", "factory.signed", "--public-key", "p.pem",
                 "--update-url", base + "/update", "--interval", interval, "--quiet"]
        run(otakit, *fleet, "--until-registered", "--timeout", "600")  # every device checks in once
        run(otakit, "publish", "next.signed", "--rollout", "10%,50%,100%", "--server", base, "--token", token)
        checks_before, t0 = server_checks(base), time.monotonic()
        server_cpu, sim_cpu = process_cpu_seconds(server.pid), children_cpu_seconds()
        if not quiet:
            print(f"{devices} devices: rolling 2.0.0 out ...", file=sys.stderr)
        summary = json.loads(run(otakit, *fleet, "--until-updated", "--timeout", "900", "--json", timeout=960))
        wall = time.monotonic() - t0
        server_cpu, sim_cpu = process_cpu_seconds(server.pid) - server_cpu, children_cpu_seconds() - sim_cpu
        checks = server_checks(base) - checks_before
        shared_kib = summary["shared_flash_mib"] * 1024
        return {"devices": devices, "rollout_seconds": wall, "server_checks_per_second": checks / wall,
                "updates_per_second": summary["updates"] / wall, "updates": summary["updates"],
                "rss_per_device_kib": summary["rss_per_device_kib"],
                "beyond_shared_kib": summary["rss_per_device_kib"] - shared_kib / devices,
                "shared_flash_mib": summary["shared_flash_mib"], "threads": summary["threads"],
                "fleet_start_seconds": max(0.0, wall - summary["seconds"]),
                "simulator_cores": sim_cpu / wall, "server_cores": server_cpu / wall}
    finally:
        if server is not None:
            server.kill()
            server.wait()
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)


main()
