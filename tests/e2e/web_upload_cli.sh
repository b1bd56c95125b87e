#!/usr/bin/env bash
# The browser upload page of `otakit device --http-port` against curl (as scripts written for
# ESP8266HTTPUpdateServer use it) and `otakit upload --url`: compatibility, credentials, the
# failure cases (bad image, too large, wrong password, a broken-off upload, a second upload during
# the first) each leaving the running image as it was, and many targets in one run.
set -euo pipefail
otakit=$1
source "$(dirname "$0")/device_helpers.sh"

free_tcp_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_web_device NAME PORT [flags...]: waits up to 5 s for the page's line.
start_web_device() {
  local name=$1 port=$2
  shift 2
  "$otakit" device --flash "$dir/$name.bin" --http-port "$port" "$@" >"$dir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do grep -q "web: update page at http://127.0.0.1:$port" "$dir/$name.log" && return 0; sleep 0.1; done
  fail "device $name did not start: $(cat "$dir/$name.log")"
}

"$otakit" mkimage --size 300001 --version 2.0.0 -o "$dir/v2.bin" >/dev/null 2>&1
"$otakit" mkimage --size 200000 --version 3.0.0 --seed 3 -o "$dir/v3.bin" >/dev/null 2>&1
"$otakit" mkimage --size 600000 --version 9.9.9 -o "$dir/huge.bin" >/dev/null 2>&1
head -c 8192 /dev/urandom >"$dir/bad.bin"

port=$(free_tcp_port)
start_web_device a "$port" --http-user admin --http-password secret
url="http://127.0.0.1:$port/update"

# The page and the preflight, as the original serves them.
page=$(curl -s -u admin:secret "$url")
grep -q "name=.firmware" <<<"$page" || fail "the page has no firmware field"
grep -q "name=.filesystem" <<<"$page" || fail "the page has no filesystem field"
curl -s -i -X OPTIONS "$url" | grep -qi "^Access-Control-Allow-Origin: \*" || fail "no CORS headers on OPTIONS"

# Credentials are checked on every request.
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 401 ] || fail "GET without credentials answered $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:wrong -F "firmware=@$dir/v2.bin" "$url")
[ "$code" = 401 ] || fail "POST with a wrong password answered $code, not 401"
[ "$(version_of a)" = 1.0.0 ] || fail "a refused upload changed the image"

# A bad image: an honest status and the Updater's text; the image stays.
body=$(curl -s -w ' %{http_code}' -u admin:secret -F "firmware=@$dir/bad.bin" "$url" | tr -d '\n')
grep -q "ERROR\[10\]: Magic byte is not 0xE9 422" <<<"$body" || fail "bad image answered: $body"
# Larger than the free space: 413.
code=$(curl -s -o "$dir/huge.out" -w '%{http_code}' -u admin:secret -F "firmware=@$dir/huge.bin" "$url")
[ "$code" = 413 ] || fail "an image larger than the free space answered $code: $(cat "$dir/huge.out")"
[ "$(version_of a)" = 1.0.0 ] || fail "a rejected image changed the running one"

# curl as scripts for the original call it: success, the original's body, the reboot.
body=$(curl -s -u admin:secret -F "firmware=@$dir/v2.bin" "$url")
grep -q "Update Success! Rebooting..." <<<"$body" || fail "curl upload answered: $body"
wait_version a 2.0.0

# An upload that breaks off after half the image: nothing changes, and the next one works.
python3 - "$port" "$dir/v3.bin" <<'EOF'
import socket, sys, base64
port, path = int(sys.argv[1]), sys.argv[2]
image = open(path, "rb").read()
boundary = "otakit-e2e-boundary"
pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"v3.bin\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n").encode()
post = f"\r\n--{boundary}--\r\n".encode()
auth = base64.b64encode(b"admin:secret").decode()
head = (f"POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(pre) + len(image) + len(post)}\r\n\r\n").encode()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(head + pre + image[: len(image) // 2])
s.close()
EOF
for _ in $(seq 50); do
  curl -s -u admin:secret "$url?status" | grep -q '"uploading":false' && break
  sleep 0.1
done
curl -s -u admin:secret "$url?status" | grep -q '"uploading":false' || fail "the broken-off upload is still running"
[ "$(version_of a)" = 2.0.0 ] || fail "a broken-off upload changed the image"
grep -q "the connection closed after" "$dir/a.log" || fail "the device did not say why the upload ended"

# otakit upload --url: exit codes like the espota path.
set +e
"$otakit" upload --url "$url" -f "$dir/v3.bin" --user admin --password wrong 2>"$dir/err"
rc=$?
set -e
[ $rc = 5 ] || fail "a wrong password gave exit $rc, not 5: $(cat "$dir/err")"
set +e
"$otakit" upload --url "$url" -f "$dir/bad.bin" --user admin --password secret --json >"$dir/bad.json" 2>/dev/null
rc=$?
set -e
[ $rc = 7 ] || fail "a bad image gave exit $rc, not 7"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; assert r["device_error"] == 10, r' "$dir/bad.json" ||
  fail "the JSON does not carry the device's error number: $(cat "$dir/bad.json")"

# A second upload while one runs: 409, the first one is not disturbed.
python3 - "$port" "$dir/v3.bin" "$otakit" "$url" <<'EOF'
import socket, subprocess, sys, base64
port, path, otakit, url = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
image = open(path, "rb").read()
boundary = "otakit-e2e-boundary"
pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"firmware\"; filename=\"v3.bin\"\r\n"
       "Content-Type: application/octet-stream\r\n\r\n").encode()
post = f"\r\n--{boundary}--\r\n".encode()
auth = base64.b64encode(b"admin:secret").decode()
head = (f"POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(pre) + len(image) + len(post)}\r\n\r\n").encode()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(head + pre + image[:4096 * 3])
second = subprocess.run([otakit, "upload", "--url", url, "-f", path, "--user", "admin", "--password", "secret",
                         "--retries", "0"], capture_output=True, text=True, timeout=60)
assert second.returncode == 7, (second.returncode, second.stderr)
assert "busy (409)" in second.stderr, second.stderr
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

# Many targets in one run: a table, both devices updated.
port_b=$(free_tcp_port)
port_c=$(free_tcp_port)
start_web_device b "$port_b"
start_web_device c "$port_c"
"$otakit" upload --url "http://127.0.0.1:$port_b/update" --url "http://127.0.0.1:$port_c" -f "$dir/v2.bin" \
  >"$dir/table" 2>/dev/null || fail "two-target upload failed: $(cat "$dir/table")"
grep -q "127.0.0.1:$port_b .* ok" "$dir/table" || fail "no ok row for b: $(cat "$dir/table")"
wait_version b 2.0.0
wait_version c 2.0.0
echo "web upload: all cases passed"
