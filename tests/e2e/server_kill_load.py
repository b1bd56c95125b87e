#!/usr/bin/env python3
"""kill -9 of `otakit server` in the middle of a load of update checks, then a restart: every
check a device got an answer to must be in the history, and every device that got one must be
registered. (A check is answered only after its group commit, so nothing answered can be lost.)

usage: server_kill_load.py OTAKIT [--database URL]   (SQLite in a temporary folder by default)
"""
import http.client
import json
import shutil
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

OTAKIT = sys.argv[1]
DATABASE = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--database" else None
DEVICES = 200          # distinct MACs, spread over the threads
THREADS = 8
KILL_AFTER = 1500      # answered checks before the kill
DEADLINE = time.monotonic() + 90


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def start(data, port=0):
    args = [OTAKIT, "server", "--listen", f"127.0.0.1:{port}", "--data", data, "--threads", "2"]
    if DATABASE:
        args += ["--database", DATABASE]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:  # the server says when it accepts
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, int(m.group(1))
    fail("the server did not start")


def mac(i):
    return "18:FE:34:%02X:%02X:%02X" % ((i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF)


def check(port, i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/update", headers={
        "User-Agent": "ESP8266-http-Update", "Connection": "close",
        "x-ESP8266-Chip-ID": str(i), "x-ESP8266-STA-MAC": mac(i), "x-ESP8266-AP-MAC": mac(i),
        "x-ESP8266-free-space": "1044480", "x-ESP8266-sketch-size": "300000",
        "x-ESP8266-sketch-md5": "a43ad019932b627ab90ee35a94a764ee", "x-ESP8266-chip-size": "4194304",
        "x-ESP8266-sdk-version": "2.2.2-dev(38a443e)", "x-ESP8266-mode": "sketch"})
    status = c.getresponse().status
    c.close()
    return status


def main():
    data = tempfile.mkdtemp(prefix="otakit-kill-")
    proc, port = start(data)
    answered = [0] * DEVICES
    lock = threading.Lock()
    total = [0]
    reached = threading.Event()
    dead = threading.Event()

    def load(t):
        i = t
        while not dead.is_set() and time.monotonic() < DEADLINE:
            device = i % DEVICES
            i += THREADS
            try:
                status = check(port, device)
            except (OSError, http.client.HTTPException):
                continue  # the server is gone: keep trying until the test says stop
            if status != 304:
                fail(f"check answered {status}")
            with lock:
                answered[device] += 1
                total[0] += 1
                if total[0] >= KILL_AFTER:
                    reached.set()

    threads = [threading.Thread(target=load, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    if not reached.wait(timeout=60):
        fail(f"only {total[0]} checks answered in 60 s")
    proc.send_signal(signal.SIGKILL)  # in the middle of the load
    proc.wait()
    dead.set()
    for t in threads:
        t.join()

    proc, port = start(data, port)
    try:
        token = subprocess.run([OTAKIT, "server", "token", "create", "--data", data] +
                               (["--database", DATABASE] if DATABASE else []),
                               capture_output=True, text=True, check=True).stdout.strip()

        def api(path):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            r = c.getresponse()
            body = json.loads(r.read())
            if r.status != 200:
                fail(f"{path}: {r.status} {body}")
            return body

        registered = api("/api/devices?limit=10000")["total"]
        expected = sum(1 for n in answered if n > 0)
        if registered < expected:
            fail(f"{expected} devices got an answer, {registered} are registered")
        lost = 0
        for device, n in enumerate(answered):
            if n == 0:
                continue
            history = api(f"/api/devices/{mac(device)}/history?limit=1")["total"]
            if history < n:
                lost += n - history
        if lost:
            fail(f"{lost} answered checks are missing from the history")
        print(f"kill -9 under load: OK ({total[0]} checks answered before and around the kill, "
              f"{expected} devices, every answered check is in the history)")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


main()
