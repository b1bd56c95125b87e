#!/usr/bin/env python3
"""A scripted update server for the pull client's end-to-end test (tests/e2e/pull_cli.sh).

Loopback only, stdlib only. The path picks the behaviour; `?img=NAME` picks the image
(DIR/NAME.bin, default DIR/fw.bin). Every request head received is appended to --log as the
request line and the header lines as they came, then an empty line. The port it listens on is
written to --port-file once it listens. With --cert and --key it speaks TLS. With --silent it
accepts nothing: connections complete in the kernel's backlog and then hear nothing (a TLS
handshake that never ends). It exits by itself after --lifetime seconds.

  /fw.bin         200 with Content-Length, x-MD5, a strong ETag and Accept-Ranges: bytes;
                  "Range: bytes=N-" (with no If-Range, or the right one) gets 206 and the rest
  /same           304 Not Modified
  /auth           401 unless "Authorization: Basic" admin:secret, then as /fw.bin
  /forbidden      403
  /error          500
  /chunked        200, the image as a chunked body
  /nolength       200 without Content-Length, the image, then close
  /redirect       302 to /fw.bin (keeping the query), or to the URL in ?to=
  /loop           302 to /loop
  /short          Content-Length of the whole image, half of it, close (no ranges offered)
  /stall          the head and 4096 bytes, then silence (no ranges offered)
  /stall-head     reads the request, answers nothing
  /stall-once     as /fw.bin (ranges offered), but the first request without Range for this path
                  and query gets half the body and then silence, as when the device loses power
  /badmd5         as /fw.bin with an x-MD5 of other bytes
  /md5-malformed  as /fw.bin with an x-MD5 that is not 32 hex digits
  /big            a Content-Length larger than any free space, then close
  /cut-once       as /fw.bin, but the first request (without Range) for this path and query
                  gets half the body and a close; Range requests get 206 and the rest
  /cut-always     as /cut-once for every request, Range ones included (half of what was asked)
  /cut-then-change  as /cut-once, but afterwards the image is ?then=NAME (default v3): the Range
                  request's If-Range no longer matches, so it gets 200 and the whole new image
  /notimage       200 with bytes that do not start like an ESP image
  anything else   404
"""
import argparse
import base64
import hashlib
import os
import signal
import socket
import socketserver
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

BIG_LENGTH = 16 * 1024 * 1024
STALL_SECONDS = 30


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "otakit-e2e-pull-server"
    timeout = STALL_SECONDS + 5

    def log_message(self, fmt, *args):  # quiet: the request log is the record
        pass

    # --- the answer's parts ---

    def head(self, status, reason, headers=()):
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines += ["Connection: close", "", ""]
        self.wfile.write("\r\n".join(lines).encode())

    def empty(self, status, reason, headers=()):
        self.head(status, reason, list(headers) + [("Content-Length", "0")])

    def image_headers(self, image, length, md5=None):
        return [("Content-Type", "application/octet-stream"), ("Content-Length", str(length)),
                ("x-MD5", md5 if md5 is not None else hashlib.md5(image).hexdigest()),
                ("ETag", '"%s"' % hashlib.md5(image).hexdigest()), ("Accept-Ranges", "bytes")]

    def close_early(self):
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.close_connection = True

    def range_start(self, image):
        """N of "Range: bytes=N-" when it applies to this image, else None."""
        wanted = self.headers.get("Range", "")
        if not wanted.startswith("bytes=") or not wanted.endswith("-"):
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range != '"%s"' % hashlib.md5(image).hexdigest():
            return None
        try:
            start = int(wanted[len("bytes="):-1])
        except ValueError:
            return None
        return start if 0 <= start < len(image) else None

    def send_image(self, image, md5=None, cut=False):
        start = self.range_start(image)
        if start is None:
            self.head(200, "OK", self.image_headers(image, len(image), md5))
            body = image
        else:
            headers = self.image_headers(image, len(image) - start, md5)
            headers.append(("Content-Range", f"bytes {start}-{len(image) - 1}/{len(image)}"))
            self.head(206, "Partial Content", headers)
            body = image[start:]
        if cut:
            self.wfile.write(body[: len(body) // 2])
            return self.close_early()
        self.wfile.write(body)

    def wait_for_close(self):
        """Silence until the client goes away (or STALL_SECONDS pass)."""
        self.wfile.flush()
        self.connection.settimeout(STALL_SECONDS)
        try:
            while self.connection.recv(1024):
                pass
        except OSError:
            pass
        self.close_connection = True

    # --- the behaviours ---

    def do_GET(self):
        self.server.record(self.requestline, self.headers)
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        name = query.get("img", ["fw"])[0]
        try:
            image = self.server.image(name)
        except OSError:
            return self.empty(404, "Not Found")
        path = url.path
        if path == "/fw.bin":
            return self.send_image(image)
        if path == "/same":
            return self.empty(304, "Not Modified")
        if path == "/auth":
            expected = "Basic " + base64.b64encode(b"admin:secret").decode()
            if self.headers.get("Authorization") != expected:
                return self.empty(401, "Unauthorized", [("WWW-Authenticate", 'Basic realm="firmware"')])
            return self.send_image(image)
        if path == "/forbidden":
            return self.empty(403, "Forbidden")
        if path == "/error":
            return self.empty(500, "Internal Server Error")
        if path == "/chunked":
            self.head(200, "OK", [("Content-Type", "application/octet-stream"), ("Transfer-Encoding", "chunked")])
            for at in range(0, len(image), 4000):
                piece = image[at:at + 4000]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            return self.wfile.write(b"0\r\n\r\n")
        if path == "/nolength":
            self.head(200, "OK", [("Content-Type", "application/octet-stream")])
            self.wfile.write(image)
            return self.close_early()
        if path == "/redirect":
            target = query["to"][0] if "to" in query else "/fw.bin" + (("?" + url.query) if url.query else "")
            return self.empty(302, "Found", [("Location", target)])
        if path == "/loop":
            return self.empty(302, "Found", [("Location", "/loop")])
        if path == "/short":
            self.head(200, "OK", [("Content-Length", str(len(image)))])
            self.wfile.write(image[: len(image) // 2])
            return self.close_early()
        if path == "/stall":
            self.head(200, "OK", [("Content-Length", str(len(image)))])
            self.wfile.write(image[:4096])
            return self.wait_for_close()
        if path == "/stall-head":
            return self.wait_for_close()
        if path == "/stall-once":
            if self.headers.get("Range") is None and self.server.first_time(self.path):
                self.head(200, "OK", self.image_headers(image, len(image)))
                self.wfile.write(image[: len(image) // 2])
                return self.wait_for_close()
            return self.send_image(image)
        if path == "/badmd5":
            return self.send_image(image, md5=hashlib.md5(image + b"other").hexdigest())
        if path == "/md5-malformed":
            return self.send_image(image, md5="not-an-md5")
        if path == "/big":
            self.head(200, "OK", [("Content-Length", str(BIG_LENGTH))])
            return self.close_early()
        if path == "/cut-once":
            first = self.headers.get("Range") is None and self.server.first_time(self.path)
            return self.send_image(image, cut=first)
        if path == "/cut-then-change":
            if self.server.first_time(self.path):
                return self.send_image(image, cut=True)
            return self.send_image(self.server.image(query.get("then", ["v3"])[0]))
        if path == "/cut-always":
            return self.send_image(image, cut=True)
        if path == "/notimage":
            junk = bytes((i * 7 + 3) & 0xFF for i in range(8192))  # starts with 0x03, not 0xE9
            self.head(200, "OK", [("Content-Length", str(len(junk)))])
            return self.wfile.write(junk)
        self.empty(404, "Not Found")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, args):
        super().__init__(("127.0.0.1", 0), Handler)
        self.dir = args.dir
        self.log_path = args.log
        self.lock = threading.Lock()
        self.seen = set()
        self.tls = None
        if args.cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.cert, args.key)

    def image(self, name):
        if not name.replace("-", "").replace("_", "").isalnum():
            raise OSError("bad image name")
        with open(os.path.join(self.dir, name + ".bin"), "rb") as f:
            return f.read()

    def first_time(self, key):
        with self.lock:
            if key in self.seen:
                return False
            self.seen.add(key)
            return True

    def record(self, requestline, headers):
        text = requestline + "\n" + "".join(f"{k}: {v}\n" for k, v in headers.items()) + "\n"
        with self.lock, open(self.log_path, "a") as f:
            f.write(text)

    # TLS handshakes run in the request's thread, so a client that never finishes one
    # (or speaks plain HTTP) holds up nobody else.
    def process_request_thread(self, request, client_address):
        if self.tls is not None:
            try:
                request.settimeout(10)
                request = self.tls.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                print(f"pull_server: TLS handshake failed: {e}", file=sys.stderr, flush=True)
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="folder of the images (NAME.bin)")
    parser.add_argument("--log", required=True, help="append every request head here")
    parser.add_argument("--port-file", required=True, help="write the port here once listening")
    parser.add_argument("--cert", help="TLS: the server's certificate chain (PEM)")
    parser.add_argument("--key", help="TLS: its private key (PEM)")
    parser.add_argument("--silent", action="store_true", help="listen, but accept and answer nothing")
    parser.add_argument("--lifetime", type=float, default=120, help="exit after this many seconds")
    args = parser.parse_args()

    if args.silent:
        listener = socket.create_server(("127.0.0.1", 0), backlog=16)
        port = listener.getsockname()[1]
    else:
        server = Server(args)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    # Bounded: the test stops it by PID (a signal ends pause()), or it ends itself at its lifetime.
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    signal.pause()


if __name__ == "__main__":
    main()
