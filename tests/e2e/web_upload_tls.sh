#!/usr/bin/env bash
# The upload page over HTTPS (`otakit device --https-port`, ESP8266HTTPUpdateServerSecure) against
# curl and Python's ssl module, with certificates made by the command the help text teaches: the
# page, credentials and uploads over TLS, the device booting what it staged; clients that do not
# trust the certificate, plain HTTP and noise on the TLS port, each failing cleanly while the
# device keeps serving; one upload at a time across the http and https ports; a broken-off upload;
# an RSA certificate on an HTTPS-only device; a browser's upload (headless Chromium, when
# installed); certificate files the device refuses.
set -euo pipefail
otakit=$1
source "$(dirname "$0")/device_helpers.sh"

free_tcp_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_tls_device NAME HTTPS_PORT [flags...]: waits up to 5 s for the https page's line.
start_tls_device() {
  local name=$1 port=$2
  shift 2
  "$otakit" device --flash "$dir/$name.bin" --https-port "$port" "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  wait_line "$dir/$name.log" "web: update page at https://127.0.0.1:$port" 5 && return 0
  fail "device $name did not start: $(cat "$dir/$name.log")"
}

# What docs and `otakit device --help` tell the user to run.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
  -days 365 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/rsa-key.pem" -out "$dir/rsa-cert.pem" \
  -days 365 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
"$otakit" mkimage --size 300001 --version 2.0.0 -o "$dir/v2.bin" >/dev/null 2>&1
"$otakit" mkimage --size 200000 --version 3.0.0 --seed 3 -o "$dir/v3.bin" >/dev/null 2>&1
"$otakit" mkimage --size 250000 --version 4.0.0 --seed 4 -o "$dir/v4.bin" >/dev/null 2>&1

tls_port=$(free_tcp_port)
http_port=$(free_tcp_port)
start_tls_device a "$tls_port" --https-cert "$dir/cert.pem" --https-key "$dir/key.pem" --http-port "$http_port" \
  --http-user admin --http-password secret
grep -q "web: update page at http://127.0.0.1:$http_port/update (Basic auth)" "$dir/a.log" ||
  fail "the plain page is not served beside the https one: $(cat "$dir/a.log")"
url="https://localhost:$tls_port/update"
tls=(--cacert "$dir/cert.pem")

# The page and credentials over TLS.
page=$(curl -sS "${tls[@]}" -u admin:secret "$url")
grep -q "name=.firmware" <<<"$page" || fail "the page over https has no firmware field"
code=$(curl -s "${tls[@]}" -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 401 ] || fail "GET without credentials over https answered $code, not 401"
code=$(curl -s "${tls[@]}" -o /dev/null -w '%{http_code}' -u admin:wrong -F "firmware=@$dir/v2.bin" "$url")
[ "$code" = 401 ] || fail "POST with a wrong password over https answered $code, not 401"
[ "$(version_of a)" = 1.0.0 ] || fail "a refused upload changed the image"

# A client that does not trust the certificate refuses it; the device says why and serves on.
set +e
curl -s -o /dev/null -u admin:secret "https://localhost:$tls_port/update"
rc=$?
set -e
[ $rc = 60 ] || fail "curl without --cacert gave exit $rc, not 60 (certificate problem)"
wait_line "$dir/a.log" "alert 48 (unknown_ca)" 3 || true
grep -q "alert 48 (unknown_ca): the client does not trust the device's certificate" "$dir/a.log" ||
  fail "the device did not log the client's refusal: $(tail -5 "$dir/a.log")"

# Plain HTTP to the TLS port: a plain 400 that names the scheme, nothing else happens.
body=$(curl -s -w ' %{http_code}' "http://localhost:$tls_port/update")
grep -q "over HTTPS only: use https://localhost:$tls_port/ 400" <<<"$(tr -d '\n' <<<"$body")" ||
  fail "plain HTTP on the TLS port answered: $body"
# Noise and a cut-off ClientHello: the connection closes, the device keeps serving.
python3 - "$tls_port" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for data in [bytes(range(256)) * 4, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 20]:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    if data[0] != 0x16:
        s.settimeout(5)
        assert s.recv(100) == b"", "the device answered noise"
    s.close()
EOF
curl -sS "${tls[@]}" -u admin:secret "$url?status" | grep -q '"uploading":false' ||
  fail "the device stopped serving after bad clients"

# curl as scripts for the original call it, over https: success, the reboot, the new image.
body=$(curl -sS "${tls[@]}" -u admin:secret -F "firmware=@$dir/v2.bin" "$url")
grep -q "Update Success! Rebooting..." <<<"$body" || fail "https upload answered: $body"
wait_version a 2.0.0

# One upload at a time across both ports: an https upload is under way (Python's ssl), a plain
# one is refused with 409, then the first completes and boots.
python3 - "$tls_port" "$http_port" "$dir/v3.bin" "$dir/v4.bin" "$dir/cert.pem" <<'EOF'
import base64, socket, ssl, subprocess, sys
tls_port, http_port, path, other, cafile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
image = open(path, "rb").read()
boundary = "otakit-e2e-boundary"
pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"v3.bin\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n").encode()
post = f"\r\n--{boundary}--\r\n".encode()
auth = base64.b64encode(b"admin:secret").decode()
head = (f"POST /update HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(pre) + len(image) + len(post)}\r\n\r\n").encode()
context = ssl.create_default_context(cafile=cafile)
s = context.wrap_socket(socket.create_connection(("127.0.0.1", tls_port), timeout=10), server_hostname="localhost")
assert s.version() == "TLSv1.2", s.version()
s.sendall(head + pre + image[:4096 * 3])
second = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "admin:secret",
                         "-F", "firmware=@" + other, f"http://127.0.0.1:{http_port}/update"],
                        capture_output=True, text=True, timeout=60)
assert second.stdout == "409", ("plain upload during the https one", second.stdout, second.stderr)
s.sendall(image[4096 * 3:] + post)
reply = b""
while b"Rebooting" not in reply:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
assert b"200 OK" in reply and b"Update Success" in reply, reply
EOF
wait_version a 3.0.0

# An https upload that breaks off (TCP closed, no close_notify): nothing changes.
python3 - "$tls_port" "$dir/v4.bin" "$dir/cert.pem" <<'EOF'
import base64, socket, ssl, sys
port, path, cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
image = open(path, "rb").read()
boundary = "b"
pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"v4.bin\"\r\n\r\n").encode()
auth = base64.b64encode(b"admin:secret").decode()
head = (f"POST /update HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(pre) + len(image) + 8}\r\n\r\n").encode()
s = ssl.create_default_context(cafile=cafile).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                                          server_hostname="localhost")
s.sendall(head + pre + image[: len(image) // 2])
s.shutdown(socket.SHUT_RDWR)  # TCP only: Python sends close_notify only in unwrap()
s.close()
EOF
for _ in $(seq 50); do
  curl -s "${tls[@]}" -u admin:secret "$url?status" | grep -q '"uploading":false' && break
  sleep 0.1
done
curl -s "${tls[@]}" -u admin:secret "$url?status" | grep -q '"uploading":false' || fail "the broken-off upload still runs"
[ "$(version_of a)" = 3.0.0 ] || fail "a broken-off https upload changed the image"
grep -q "the connection closed after" "$dir/a.log" || fail "the device did not say why the upload ended"

# HTTPS only, with an RSA certificate.
port_b=$(free_tcp_port)
start_tls_device b "$port_b" --https-cert "$dir/rsa-cert.pem" --https-key "$dir/rsa-key.pem"
grep -q "web: update page at http://" "$dir/b.log" && fail "device b serves plain http without --http-port"
body=$(curl -sS --cacert "$dir/rsa-cert.pem" -F "firmware=@$dir/v2.bin" "https://localhost:$port_b/update")
grep -q "Update Success! Rebooting..." <<<"$body" || fail "https upload to the RSA device answered: $body"
wait_version b 2.0.0

# A browser over https: headless Chromium (its own TLS, BoringSSL) loads the page, which reads
# ?status, and uploads through the file input; the device boots the image. The certificate is
# self-signed, so Chromium is told to accept it. Skipped where Chromium or Selenium is missing.
port_c=$(free_tcp_port)
start_tls_device web "$port_c" --https-cert "$dir/cert.pem" --https-key "$dir/key.pem"
set +e
/usr/bin/python3 - "$port_c" "$dir/v3.bin" "$dir" <<'EOF'
import os, sys
port, image, folder = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    sys.exit(77)
if not all(os.access(p, os.X_OK) for p in ("/usr/bin/chromium", "/usr/bin/chromedriver")):
    sys.exit(77)
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--ignore-certificate-errors", f"--user-data-dir={os.path.join(folder, 'chromium-profile')}"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.set_page_load_timeout(20)
    driver.get(f"https://localhost:{port}/update")
    wait = lambda seconds: WebDriverWait(driver, seconds, poll_frequency=0.1)
    wait(10).until(lambda d: "1.0.0" in d.find_element(By.ID, "version").text)
    driver.find_element(By.ID, "file").send_keys(image)
    driver.find_element(By.ID, "upload").click()
    message = lambda: driver.find_element(By.ID, "message")
    wait(60).until(lambda d: message().get_attribute("data-state") in ("ok", "error"))
    assert message().get_attribute("data-state") == "ok", message().text
    assert "Updated to 3.0.0" in message().text, message().text
finally:
    driver.quit()
EOF
rc=$?
set -e
if [ $rc = 77 ]; then
  echo "note: the browser case is skipped (no Chromium or python3-selenium; scripts/install-deps.sh installs them)"
elif [ $rc != 0 ]; then
  fail "the browser upload over https failed: $(tail -5 "$dir/web.log")"
else
  wait_version web 3.0.0
fi

# Files the device cannot serve with: bad input (exit 3), named.
set +e
"$otakit" device --flash "$dir/c.bin" --https-port "$(free_tcp_port)" --https-cert "$dir/cert.pem" \
  --https-key "$dir/rsa-key.pem" >"$dir/c.out" 2>&1
rc=$?
set -e
[ $rc = 3 ] || fail "a key of another certificate gave exit $rc, not 3: $(cat "$dir/c.out")"
grep -q "does not belong to the first certificate" "$dir/c.out" || fail "no reason given: $(cat "$dir/c.out")"
set +e
"$otakit" device --flash "$dir/c.bin" --https-port "$(free_tcp_port)" >"$dir/c.out" 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "requires --https-cert" "$dir/c.out" || fail "--https-port alone was accepted: $(cat "$dir/c.out")"
echo "web upload over TLS: all cases passed"
