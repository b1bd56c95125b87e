#!/usr/bin/env bash
# `otakit device pull` (the ESP8266httpUpdate client) against tests/e2e/pull_server.py on
# loopback: what the request carries, every answer the original knows (200, 304, 401, 403, 404,
# 500, redirects, no size, bad MD5, too large, not an image), chunked bodies, broken and stalled
# transfers and their Range resume, a filesystem update, and https in every trust mode (CA file,
# public key pin, SHA-1 fingerprint) with the usual certificate failures. After every failure the
# running image must be the one before. PULL_E2E_TIMES=1 prints each case as it begins.
set -euo pipefail
otakit=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/device_helpers.sh"  # $dir, $pids (killed at exit), fail, version_of

requests=$dir/requests  # every request head the servers received, cleared before each pull
# Debian's python3 (stdlib only) when there is one: it also starts faster than a version
# manager's shim, and the script runs it a few times per case.
python=python3
if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; fi
mkdir -p "$dir/img" "$dir/tls"

# --- helpers ---------------------------------------------------------------------------------

# start_server NAME [--cert C --key K]: a server of our own; port_of NAME gives its port.
start_server() {
  local name=$1
  shift
  timeout 150 "$python" "$here/pull_server.py" --dir "$dir/img" --log "$requests" --port-file "$dir/$name.port" \
    --lifetime 120 "$@" 2>>"$dir/servers.err" &
  pids+=($!)
  wait_line "$dir/$name.port" "" 5 || fail "server $name did not start: $(cat "$dir/servers.err")"
}
port_of() { cat "$dir/$1.port"; }

status_field() {  # status_field DEVICE KEY: a key of the running image in `device status --json`
  timeout 10 "$otakit" device status --flash "$dir/$1.bin" --json |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["image"][sys.argv[1]])' "$2"
}
md5_of() { md5sum "$1" | cut -d' ' -f1; }

# pull DEVICE URL [flags...]: one `otakit device pull --json`; the exit code in $rc, the JSON in
# $dir/out.json, the running image's md5 before it in $before.
pull() {
  local device=$1 url=$2
  shift 2
  before=$(status_field "$device" md5 2>/dev/null || echo "no device yet")
  : >"$requests"
  set +e
  timeout 30 "$otakit" device pull --flash "$dir/$device.bin" --url "$url" --json "$@" >"$dir/out.json" 2>"$dir/err"
  rc=$?
  set -e
  result=()  # the JSON's fields, read once
  while IFS=$'\t' read -r key value; do result[$key]=$value; done < <(
    "$python" -c 'import json,sys; [print(f"{k}\t{v}") for k, v in json.load(open(sys.argv[1])).items()]' \
      "$dir/out.json" 2>/dev/null || true)
}
declare -A result

case_name=""
begin() { case_name=$1; [ -z "${PULL_E2E_TIMES:-}" ] || echo "$(date +%s.%N | cut -c1-14) $1"; }
oops() { fail "[$case_name] $*
--- JSON: $(cat "$dir/out.json")
--- stderr: $(tail -5 "$dir/err")"; }

field() { echo "${result[$1]-}"; }
expect_exit() { [ "$rc" = "$1" ] || oops "exit $rc, expected $1"; }
expect_field() { [ "$(field "$1")" = "$2" ] || oops "$1 is '$(field "$1")', expected '$2'"; }
expect_field_has() { grep -qF -- "$2" <<<"$(field "$1")" || oops "$1 '$(field "$1")' does not mention '$2'"; }

# The server saw a request line or header line exactly like this (or did not).
expect_request() { grep -qxF -- "$1" "$requests" || oops "no request line '$1' in: $(cat "$requests")"; }
expect_no_request() { ! grep -qiF -- "$1" "$requests" || oops "a request had '$1': $(cat "$requests")"; }
expect_requests() {
  local n
  n=$(grep -c '^GET ' "$requests" || true)
  [ "$n" = "$1" ] || oops "$n requests, expected $1: $(grep '^GET ' "$requests")"
}

expect_unchanged() {
  local now
  now=$(status_field "$1" md5)
  [ "$now" = "$before" ] || oops "the running image changed from $before to $now"
}
# expect_boots DEVICE IMAGE: the pull staged IMAGE (img/IMAGE.bin) and the device runs it now.
expect_boots() {
  expect_exit 0
  expect_field result ok
  expect_field error 0
  expect_field written "$(stat -c %s "$dir/img/$2.bin")"
  local now
  now=$(status_field "$1" md5)
  [ "$now" = "$(md5_of "$dir/img/$2.bin")" ] || oops "the device runs $now, not $2 ($(md5_of "$dir/img/$2.bin"))"
}
# expect_failure DEVICE EXIT ERROR ERROR_TEXT: failed with the original's code and text, and the
# running image is the one before.
expect_failure() {
  expect_exit "$2"
  expect_field result failed
  expect_field error "$3"
  expect_field error_text "$4"
  expect_unchanged "$1"
}

# --- images, certificates, servers -----------------------------------------------------------

timeout 30 "$otakit" mkimage --size 300001 --version 2.0.0 -o "$dir/img/fw.bin" >/dev/null 2>&1
timeout 30 "$otakit" mkimage --size 200000 --version 3.0.0 --seed 3 -o "$dir/img/v3.bin" >/dev/null 2>&1
timeout 30 "$otakit" mkimage --size 250000 --version 4.0.0 --seed 4 -o "$dir/img/v4.bin" >/dev/null 2>&1
head -c 65536 /dev/urandom >"$dir/img/fsimage.bin"
gzip -c "$dir/img/v3.bin" >"$dir/img/v3gz.bin"
timeout 30 "$otakit" mkimage --size 300001 --version 6.0.0 --seed 6 -o "$dir/img/v6.bin" >/dev/null 2>&1
gzip -c "$dir/img/v6.bin" >"$dir/img/v6gz.bin"
# A key pair, and v4 signed with it for a device that takes only signed images.
timeout 30 "$otakit" keygen --out-private "$dir/private.key" --out-public "$dir/public.key" >/dev/null 2>&1
timeout 30 "$otakit" sign --mode sign --bin "$dir/img/v4.bin" --privatekey "$dir/private.key" \
  --out "$dir/img/v4signed.bin" >/dev/null 2>&1

# A CA and a server certificate for DNS:localhost it signed; a second CA that signed nothing;
# a certificate from the CA for the same key that expired in 2020 (`openssl ca` takes dates in
# the past, which `openssl x509` 3.0 cannot; no python3-cryptography needed).
tls=$dir/tls
ssl() { timeout 30 openssl "$@" 2>>"$tls/openssl.log" >/dev/null || fail "openssl $1 failed: $(tail -3 "$tls/openssl.log")"; }
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 3 -subj "/CN=otakit e2e CA"
ssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/other.key" -out "$tls/other.pem" -days 3 -subj "/CN=another CA"
ssl req -newkey rsa:2048 -nodes -keyout "$tls/server.key" -out "$tls/server.csr" -subj "/CN=localhost"
printf '%s\n' "subjectAltName = DNS:localhost" "basicConstraints = CA:FALSE" "extendedKeyUsage = serverAuth" >"$tls/ext.cnf"
ssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3 \
  -extfile "$tls/ext.cnf" -out "$tls/server.pem"
: >"$tls/index.txt"
echo 1000 >"$tls/serial"
cat >"$tls/ca.cnf" <<EOF
[ca]
default_ca = e2e
[e2e]
database = $tls/index.txt
new_certs_dir = $tls
serial = $tls/serial
default_md = sha256
policy = any_name
[any_name]
commonName = supplied
[server]
subjectAltName = DNS:localhost
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
EOF
ssl ca -batch -config "$tls/ca.cnf" -cert "$tls/ca.pem" -keyfile "$tls/ca.key" -in "$tls/server.csr" \
  -out "$tls/expired.pem" -startdate 20200101000000Z -enddate 20200201000000Z -extensions server -notext
# The trust values as the pull's help says to get them: SHA-256 of the public key (SPKI), SHA-1 of
# the certificate.
spki_sha256() { timeout 30 openssl x509 -in "$1" -pubkey -noout | timeout 30 openssl pkey -pubin -outform der |
  timeout 30 openssl dgst -sha256 -binary; }
sha1_fingerprint() { timeout 30 openssl x509 -in "$1" -noout -fingerprint -sha1 | cut -d= -f2; }
pin=$(spki_sha256 "$tls/server.pem" | od -An -tx1 | tr -d ' \n')
pin_base64=$(spki_sha256 "$tls/server.pem" | base64)
fingerprint=$(sha1_fingerprint "$tls/server.pem")

start_server plain
start_server tls --cert "$tls/server.pem" --key "$tls/server.key"
start_server expired --cert "$tls/expired.pem" --key "$tls/server.key"
start_server silent --silent
port_plain=$(port_of plain)
port_tls=$(port_of tls)
port_expired=$(port_of expired)
port_silent=$(port_of silent)
http=http://127.0.0.1:$port_plain
https=https://localhost:$port_tls

# Device a: the 1M layout's factory image 1.0.0, no filesystem.
timeout 30 "$otakit" device --flash "$dir/a.bin" --once >/dev/null
factory_md5=$(status_field a md5)

# --- success over http -----------------------------------------------------------------------

begin "a new flash file: the pull makes it with the factory image, then updates it"
pull new "$http/fw.bin"
expect_boots new fw
expect_request "x-ESP8266-version: 1.0.0"

begin "plain 200: the image boots; the request is the original's"
pull a "$http/fw.bin"
expect_boots a fw
expect_field http_status 200
[ "$(version_of a)" = 2.0.0 ] || oops "the device runs $(version_of a), not 2.0.0"
expect_request "GET /fw.bin HTTP/1.0"
expect_request "Host: 127.0.0.1:$port_plain"
expect_request "User-Agent: ESP8266-http-Update"
expect_request "Connection: close"
expect_request "x-ESP8266-mode: sketch"
expect_request "x-ESP8266-version: 1.0.0"
expect_request "x-ESP8266-sketch-md5: $factory_md5"
expect_request "x-ESP8266-chip-size: 1048576"
expect_request "Content-Length: 0"
grep -qE '^x-ESP8266-STA-MAC: ([0-9A-F]{2}:){5}[0-9A-F]{2}$' "$requests" || oops "no uppercase STA MAC: $(cat "$requests")"
grep -qE '^x-ESP8266-free-space: [0-9]+$' "$requests" || oops "no free space: $(cat "$requests")"
expect_no_request "Authorization"

begin "304: no update, exit 0, nothing changes; the version sent is the running one"
pull a "$http/same"
expect_exit 0
expect_field result no_updates
expect_field error 0
expect_field http_status 304
expect_unchanged a
expect_request "x-ESP8266-version: 2.0.0"

begin "--version overrides x-ESP8266-version"
pull a "$http/same" --version 7.7-beta
expect_field result no_updates
expect_request "x-ESP8266-version: 7.7-beta"

begin "chunked body"
pull a "$http/chunked?img=v3"
expect_boots a v3

begin "302 followed with --follow-redirects strict; the x-ESP8266 headers go out again"
pull a "$http/redirect?img=fw" --follow-redirects strict
expect_boots a fw
expect_field redirects 1
expect_requests 2
expect_request "GET /redirect?img=fw HTTP/1.0"
expect_request "GET /fw.bin?img=fw HTTP/1.0"
[ "$(grep -c '^x-ESP8266-mode: sketch$' "$requests")" = 2 ] || oops "the second hop lacks the x-ESP8266 headers"

begin "Basic auth from --user/--password"
pull a "$http/auth?img=v3" --user admin --password secret
expect_boots a v3
expect_request "Authorization: Basic $(printf admin:secret | base64)"

begin "Basic auth from the URL's user:password@"
pull a "http://admin:secret@127.0.0.1:$port_plain/auth?img=fw"
expect_boots a fw

begin "a gzip image with a Content-Length: inflated, it boots"
pull a "$http/fw.bin?img=v3gz"
expect_exit 0
expect_field result ok
expect_field written "$(stat -c %s "$dir/img/v3gz.bin")"
[ "$(status_field a md5)" = "$(md5_of "$dir/img/v3.bin")" ] || oops "the device does not run the inflated v3"

begin "a chunked gzip image (its size shows only at the end): moved up, inflated, it boots"
pull a "$http/chunked?img=v6gz"
expect_exit 0
expect_field result ok
[ "$(status_field a md5)" = "$(md5_of "$dir/img/v6.bin")" ] || oops "the device does not run the inflated v6"

# --- resume ----------------------------------------------------------------------------------

begin "the body breaks off once: a Range request fetches the rest"
pull a "$http/cut-once?img=v4"
expect_boots a v4
expect_field resumes 1
expect_field http_status 206
expect_requests 2
expect_request "Range: bytes=125000-"
expect_request "If-Range: \"$(md5_of "$dir/img/v4.bin")\""

begin "the image changed between the break and the Range request: start over with the new one"
pull a "$http/cut-then-change?img=fw&then=v3"
expect_boots a v3
expect_field resumes 1
expect_field http_status 200
grep -q "the image changed on the server" "$dir/err" || oops "no line about starting over"

begin "--max-resumes 0: a broken body fails as in the original, no Range request"
pull a "$http/cut-once?img=fw" --max-resumes 0
expect_failure a 6 6 "Update error: ERROR[6]: Stream Read Timeout"
expect_field resumes 0
expect_no_request "Range:"

begin "the device dies (kill -9) mid-download: the next run continues from its resume record"
: >"$requests"
running=$(status_field a md5)
"$otakit" device pull --flash "$dir/a.bin" --url "$http/stall-once?img=fw" --json >"$dir/out.json" 2>"$dir/err" &
victim=$!
pids+=("$victim")
wait_line "$dir/err" "pull: 25%" 10 || oops "the first half never arrived"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
[ "$(status_field a md5)" = "$running" ] || oops "the cut damaged the running image"
pull a "$http/stall-once?img=fw"
expect_exit 0
expect_field result ok
expect_field http_status 206
[ "$(field resumed_from)" -gt 0 ] || oops "resumed_from is '$(field resumed_from)', expected the record's offset"
expect_request "Range: bytes=$(field resumed_from)-"
[ "$(status_field a md5)" = "$(md5_of "$dir/img/fw.bin")" ] || oops "the device does not run fw"

begin "it breaks off every time: gives up after --max-resumes"
pull a "$http/cut-always?img=fw" --max-resumes 1
expect_failure a 6 6 "Update error: ERROR[6]: Stream Read Timeout"
expect_field resumes 1
expect_requests 2

# --- the server's answers the original refuses -----------------------------------------------

begin "401 without credentials"
pull a "$http/auth"
expect_failure a 5 -108 "Unauthorized (401)"
expect_field http_status 401

begin "401 with a wrong password"
pull a "$http/auth" --user admin --password wrong
expect_failure a 5 -108 "Unauthorized (401)"

begin "403"
pull a "$http/forbidden"
expect_failure a 5 -103 "Forbidden (403)"
expect_field http_status 403

begin "404"
pull a "$http/nothing-here"
expect_failure a 7 -102 "File Not Found (404)"
expect_field http_status 404

begin "500"
pull a "$http/error"
expect_failure a 7 -104 "Wrong HTTP Code"
expect_field http_status 500

begin "302 while following redirects is off (the original's default)"
pull a "$http/redirect"
expect_failure a 7 -104 "Wrong HTTP Code"
expect_field http_status 302
expect_requests 1

begin "a redirect loop stops at the default limit of 10"
pull a "$http/loop" --follow-redirects strict
expect_failure a 7 -104 "Wrong HTTP Code"
expect_field redirects 10
expect_requests 11
expect_field_has message "limit"

begin "a redirect loop stops at --redirect-limit 3"
pull a "$http/loop" --follow-redirects force --redirect-limit 3
expect_failure a 7 -104 "Wrong HTTP Code"
expect_field redirects 3
expect_requests 4

begin "credentials do not follow a redirect to another origin"
pull a "$http/redirect?to=http://localhost:$port_plain/auth" --user admin --password secret --follow-redirects strict
expect_failure a 5 -108 "Unauthorized (401)"
expect_requests 2
[ "$(grep -c '^Authorization:' "$requests")" = 1 ] || oops "the credentials went to the other origin too"

begin "200 without a Content-Length"
pull a "$http/nolength"
expect_failure a 7 -101 "Server Did Not Report Size"

begin "an x-MD5 that is not 32 hex digits"
pull a "$http/md5-malformed"
expect_failure a 7 -105 "Wrong MD5"

begin "an x-MD5 of other bytes: the Updater's MD5 error after the whole body"
pull a "$http/badmd5"
claimed=$(cat "$dir/img/fw.bin" <(printf other) | md5sum | cut -d' ' -f1)  # what the server sends
expect_failure a 7 7 "Update error: ERROR[7]: MD5 verification failed: expected: $claimed, calculated: $(md5_of "$dir/img/fw.bin")"
expect_field written 300001

begin "a Content-Length larger than the free space"
pull a "$http/big"
expect_failure a 7 -100 "Not Enough space"
expect_field_has message "16777216 bytes"

begin "bytes that are not an ESP image"
pull a "$http/notimage"
expect_failure a 7 -106 "Verify Bin Header Failed"

begin "a device that takes only signed images refuses an unsigned one: the Updater's error 12"
timeout 30 "$otakit" device --flash "$dir/signed.bin" --public-key "$dir/public.key" --once >/dev/null
pull signed "$http/fw.bin?img=v3" --public-key "$dir/public.key"
expect_exit 7
expect_field result failed
expect_field error 12
expect_field_has error_text "Update error: ERROR[12]: Signature verification failed"
expect_unchanged signed

begin "... and boots a signed one"
pull signed "$http/fw.bin?img=v4signed" --public-key "$dir/public.key"
expect_exit 0
expect_field result ok
[ "$(status_field signed md5)" = "$(md5_of "$dir/img/v4.bin")" ] || oops "the device does not run the signed v4"

# --- broken transfers ------------------------------------------------------------------------

begin "half the body, then the server closes (no ranges offered)"
pull a "$http/short"
expect_failure a 6 6 "Update error: ERROR[6]: Stream Read Timeout"
expect_field written 150000
expect_field_has message "closed"

begin "the body stalls: --timeout 1 ends it"
pull a "$http/stall" --timeout 1
expect_failure a 6 6 "Update error: ERROR[6]: Stream Read Timeout"
expect_field written 4096
expect_field_has message "idle timeout"

begin "no response head: --timeout 1 ends it"
pull a "$http/stall-head" --timeout 1
expect_failure a 6 -11 "HTTP error: read Timeout"
expect_field http_status 0

begin "a malformed URL is bad input (exit 3), not a failed connection"
pull a "ftp://127.0.0.1:$port_plain/fw.bin"
expect_exit 3
grep -q "does not start with http:// or https://" "$dir/err" || oops "no word about the scheme"
expect_unchanged a

begin "nothing listens on the port"
closed_port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pull a "http://127.0.0.1:$closed_port/fw.bin"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "refused"

# --- a filesystem image (updateFS) -----------------------------------------------------------

begin "--fs on a device without a filesystem (1M): no space"
pull a "$http/fw.bin?img=fsimage" --fs
expect_failure a 7 -100 "Not Enough space"
expect_request "x-ESP8266-mode: spiffs"

begin "--fs on 4M1M: the filesystem region holds the image, the sketch stays"
timeout 30 "$otakit" device --flash "$dir/fs.bin" --layout 4M1M --once >/dev/null
pull fs "$http/fw.bin?img=fsimage" --fs --layout 4M1M
expect_exit 0
expect_field result ok
expect_field written 65536
expect_unchanged fs
expect_request "x-ESP8266-mode: spiffs"
cmp -s <(dd if="$dir/fs.bin" bs=4096 skip=$((0x300000 / 4096)) count=16 2>/dev/null) "$dir/img/fsimage.bin" ||
  oops "the filesystem region does not hold the image"

# --- https -----------------------------------------------------------------------------------

begin "https with --ca-file"
pull a "$https/fw.bin?img=fw" --ca-file "$tls/ca.pem"
expect_boots a fw
expect_request "Host: localhost:$port_tls"

begin "https with 512-byte records (--tls-buffer 1434, MFLN)"
pull a "$https/fw.bin?img=v3" --ca-file "$tls/ca.pem" --tls-buffer 1434
expect_boots a v3

begin "--tls-buffer below 1434 bytes is bad input (exit 3), not a failed connection"
pull a "$https/fw.bin" --ca-file "$tls/ca.pem" --tls-buffer 1000
expect_exit 3
grep -q "at least 1434 bytes" "$dir/err" || oops "no word about the smallest buffer"
expect_requests 0
expect_unchanged a

begin "https: a broken body resumes"
pull a "$https/cut-once?img=v4" --ca-file "$tls/ca.pem"
expect_boots a v4
expect_field resumes 1
expect_request "Range: bytes=125000-"

begin "https with the right --pin-sha256 (hex)"
pull a "$https/fw.bin?img=fw" --pin-sha256 "$pin"
expect_boots a fw

begin "https with the right --pin-sha256 (curl's sha256//base64)"
pull a "$https/fw.bin?img=v3" --pin-sha256 "sha256//$pin_base64"
expect_boots a v3

begin "https with a wrong --pin-sha256"
pull a "$https/fw.bin" --pin-sha256 "$(printf '%064d' 0)"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "pin"
expect_requests 0

begin "https with the right --fingerprint"
pull a "$https/fw.bin?img=fw" --fingerprint "$fingerprint"
expect_boots a fw

begin "https with a wrong --fingerprint"
pull a "$https/fw.bin" --fingerprint "$(printf '%040d' 0)"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "fingerprint does not match"

begin "https to 127.0.0.1 with a certificate for localhost: name mismatch"
pull a "https://127.0.0.1:$port_tls/fw.bin" --ca-file "$tls/ca.pem"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "does not match the server name"

begin "https with a CA that did not sign the certificate: unknown issuer"
pull a "$https/fw.bin" --ca-file "$tls/other.pem"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "not issued by a trusted CA"

begin "https with an expired certificate"
pull a "https://localhost:$port_expired/fw.bin" --ca-file "$tls/ca.pem"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "expired"
expect_requests 0

# A fingerprint trusts the certificate itself, dates unchecked, as WiFiClientSecure's
# setFingerprint() does.
begin "https with the expired certificate's --fingerprint"
pull a "https://localhost:$port_expired/fw.bin?img=v4" \
  --fingerprint "$(sha1_fingerprint "$tls/expired.pem")"
expect_boots a v4

begin "https to a server that never answers the handshake: --timeout 1 ends it"
started=$(date +%s%N)
pull a "https://localhost:$port_silent/fw.bin" --pin-sha256 "$pin" --timeout 1
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "connect timeout"
took_ms=$((($(date +%s%N) - started) / 1000000))
[ "$took_ms" -lt 5000 ] || oops "it took $took_ms ms: --timeout 1 did not cover the handshake"

begin "https redirected to http: refused"
pull a "$https/redirect?to=$http/fw.bin" --ca-file "$tls/ca.pem" --follow-redirects strict
expect_failure a 7 -104 "Wrong HTTP Code"
expect_field_has message "from https to http"
expect_requests 1

begin "http:// to the TLS port: the server closes, no answer"
pull a "http://localhost:$port_tls/fw.bin"
expect_failure a 6 -5 "HTTP error: connection lost"
expect_requests 0

begin "https:// to the plain port"
pull a "https://localhost:$port_plain/fw.bin" --ca-file "$tls/ca.pem"
expect_failure a 4 -1 "HTTP error: connection failed"
expect_field_has message "does not speak TLS"

! grep -q Traceback "$dir/servers.err" || fail "the test server failed: $(cat "$dir/servers.err")"
echo "pull: all cases passed"
