# A reverse proxy for the tests that puts faults in front of a real store (the GCS and
# Azure emulators), so that every backend's handling of them can be tested:
#
#   python fault_proxy.py HOST PORT UPSTREAM
#
# PROXY_FAULT:
#   429:<S>   each method and path answers 429 with `Retry-After: S` until S seconds
#             after its first 429, then goes through
# Every request is logged to stdout as `<monotonic seconds> <status> <method> <path>`.
import http.client, http.server, os, sys, threading, time
from urllib.parse import urlsplit

HOST, PORT, UPSTREAM = sys.argv[1], int(sys.argv[2]), urlsplit(sys.argv[3])
FAULT = os.environ.get("PROXY_FAULT", "")
FIRST = {}
LOCK = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate", "content-length"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _log(self, status):
        print(f"{time.monotonic():.3f} {status} {self.command} {self.path}", flush=True)

    def _handle(self):
        body = self._body()
        if FAULT.startswith("429:"):
            wait = int(FAULT[4:])
            key = (self.command, self.path.split("?", 1)[0])
            with LOCK:
                first = FIRST.setdefault(key, time.monotonic())
            if time.monotonic() - first < wait:
                self._log(429)
                msg = b"slow down\n"
                self.send_response(429)
                self.send_header("Retry-After", str(wait))
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(msg)
                return
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self._log(resp.status)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = _handle


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer((HOST, PORT), Handler).serve_forever()
