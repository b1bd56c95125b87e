#!/usr/bin/python3
"""Checks our mDNS advertisers from the outside with python3-zeroconf (Debian's, a third-party
client), then with `otakit discover`, then that a goodbye removes a device. The virtual device
(`otakit device --ota-port --http-port --mdns`) must be found under both _arduino._tcp and
_http._tcp with one hostname, and the DNS-SD enumeration must list both types. Run by
mdns_netns.sh inside its network namespace; every wait is bounded. Exit 0 when every check passed."""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from zeroconf import (DNSOutgoing, DNSQuestion, IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf,
                      ZeroconfServiceTypes)
from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_A

SERVICE = "_arduino._tcp.local."
HTTP = "_http._tcp.local."
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def check_a_query(zc, host, address):
    """A plain A question for HOST.local (nothing browsed yet, so the answer can only come from it)."""
    name = host + ".local."
    out = DNSOutgoing(_FLAGS_QR_QUERY)
    out.add_question(DNSQuestion(name, _TYPE_A, _CLASS_IN))
    zc.send(out)

    def addresses():
        return {socket.inet_ntoa(r.address) for r in zc.cache.get_all_by_details(name, _TYPE_A, _CLASS_IN)}

    wait_for(lambda: address in addresses(), 5)
    check(addresses() == {address}, f"A query for {name} answered with {sorted(addresses())}, want {address}")


def check_service(zc, host, address, port, board, auth):
    info = zc.get_service_info(SERVICE, f"{host}.{SERVICE}", timeout=5000)
    check(info is not None, f"zeroconf resolves {host}.{SERVICE}")
    if info is None:
        return
    props = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
    check(info.port == port, f"{host}: SRV port {info.port}, want {port}")
    check(info.server == f"{host}.local.", f"{host}: SRV target {info.server}")
    check(info.parsed_addresses() == [address], f"{host}: addresses {info.parsed_addresses()}, want [{address}]")
    want = {"board": board, "auth_upload": "yes" if auth else "no", "ssh_upload": "no", "tcp_check": "no"}
    check(props == want, f"{host}: TXT {props}, want {want}")


def check_device(zc, host, address, ota_port, http_port):
    """The virtual device: one ServiceBrowser for both types finds both instances of one host."""
    events = []
    lock = threading.Lock()

    def on_change(zeroconf, service_type, name, state_change):
        with lock:
            events.append((service_type, name, state_change))

    browser = ServiceBrowser(zc, [SERVICE, HTTP], handlers=[on_change])
    want = {(SERVICE, f"{host}.{SERVICE}"), (HTTP, f"{host}.{HTTP}")}
    added = lambda: {(t, n) for t, n, s in list(events) if s == ServiceStateChange.Added}
    check(wait_for(lambda: want <= added(), 10), f"zeroconf ServiceBrowser lists {host}.{SERVICE} and {host}.{HTTP}")
    browser.cancel()

    ota = zc.get_service_info(SERVICE, f"{host}.{SERVICE}", timeout=5000)
    page = zc.get_service_info(HTTP, f"{host}.{HTTP}", timeout=5000)
    check(ota is not None and page is not None, f"zeroconf resolves both instances of {host}")
    if ota is None or page is None:
        return
    props = lambda info: {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
    check(ota.port == ota_port, f"{host} espota: SRV port {ota.port}, want {ota_port}")
    check(page.port == http_port, f"{host} page: SRV port {page.port}, want {http_port}")
    check(ota.server == page.server == f"{host}.local.", f"{host}: SRV targets {ota.server} and {page.server}")
    check(page.parsed_addresses() == [address], f"{host} page: addresses {page.parsed_addresses()}, want [{address}]")
    check(props(page) == {"path": "/update"}, f"{host} page: TXT {props(page)}, want path=/update")
    want_ota = {"board": "generic", "auth_upload": "no", "ssh_upload": "no", "tcp_check": "no"}
    check(props(ota) == want_ota, f"{host} espota: TXT {props(ota)}, want {want_ota}")

    types = ZeroconfServiceTypes.find(zc=zc, timeout=2)
    check(SERVICE in types and HTTP in types, f"DNS-SD enumeration lists {SERVICE} and {HTTP}: {types}")


def run_discover(otakit, interface_address):
    out = subprocess.run([otakit, "discover", "--interface-address", interface_address, "--timeout", "2", "--json"],
                         capture_output=True, text=True, timeout=20)
    check(out.returncode == 0, f"otakit discover on {interface_address} exits 0 ({out.stderr.strip()})")
    return json.loads(out.stdout) if out.returncode == 0 else {"devices": []}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--otakit", required=True)
    p.add_argument("--host", required=True, help="hostname of the first advertiser (127.0.0.1, auth, nodemcuv2)")
    p.add_argument("--renamed", required=True, help="name the second advertiser (127.0.0.2) ended up with")
    p.add_argument("--first-pid", type=int, required=True, help="PID of the first advertiser, stopped at the end")
    p.add_argument("--other-address", required=True, help="an address on another interface of the namespace")
    p.add_argument("--device-host", required=True, help="hostname of the otakit device (espota and upload page)")
    p.add_argument("--device-address", required=True)
    p.add_argument("--device-ota-port", type=int, required=True)
    p.add_argument("--device-http-port", type=int, required=True)
    a = p.parse_args()

    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        check_a_query(zc, a.host, "127.0.0.1")

        events = []
        lock = threading.Lock()

        def on_change(zeroconf, service_type, name, state_change):
            with lock:
                events.append((name, state_change))

        browser = ServiceBrowser(zc, SERVICE, handlers=[on_change])
        seen = lambda name, state: any(e == (name, state) for e in list(events))
        first = f"{a.host}.{SERVICE}"
        second = f"{a.renamed}.{SERVICE}"
        check(wait_for(lambda: seen(first, ServiceStateChange.Added) and seen(second, ServiceStateChange.Added), 10),
              f"zeroconf ServiceBrowser lists {first} and {second}")
        check_service(zc, a.host, "127.0.0.1", 8266, "nodemcuv2", True)
        check_service(zc, a.renamed, "127.0.0.2", 8267, "generic", False)
        check_device(zc, a.device_host, a.device_address, a.device_ota_port, a.device_http_port)

        report = run_discover(a.otakit, "127.0.0.1")
        found = {d["name"]: (d["address"], d["port"], d["board"], d["auth"]) for d in report["devices"]}
        want = {a.host: ("127.0.0.1", 8266, "nodemcuv2", True), a.renamed: ("127.0.0.2", 8267, "generic", False),
                a.device_host: (a.device_address, a.device_ota_port, "generic", False)}
        check(found == want, f"otakit discover lists {found}, want {want}")
        other = run_discover(a.otakit, a.other_address)
        check(other["devices"] == [], f"otakit discover on {a.other_address} (another interface) sees nothing")

        os.kill(a.first_pid, signal.SIGTERM)  # the advertiser the calling script started: it says goodbye
        check(wait_for(lambda: seen(first, ServiceStateChange.Removed), 5), f"goodbye removes {first} from zeroconf")
        check(not seen(second, ServiceStateChange.Removed), f"{second} is still listed")
        browser.cancel()
    finally:
        zc.close()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
