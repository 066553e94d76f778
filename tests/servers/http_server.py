
import base64, hashlib, http.server, os, re, sys, tempfile, threading, time
from urllib.parse import unquote

HOST, PORT, ROOT = sys.argv[1], int(sys.argv[2]), os.path.realpath(sys.argv[3])
AUTH = os.environ.get("HTTP_AUTH")
# A faulty store for the tests: uploads are kept with their first byte changed.
CORRUPT = os.environ.get("HTTP_CORRUPT_UPLOADS") == "1"
# More faults, for requests under /files/ only (HTTP_FAULT):
#   503x<N>      the first N requests of each method and path answer 503
#   429:<S>      a path answers 429 with `Retry-After: S` until S seconds after its first 429
#   500          every request answers 500
#   slow:<S>     GET waits S seconds before it answers
#   truncate     GET announces the whole length and sends half, then closes
#   oversize     GET sends 16 bytes more than the object (and says so in Content-Length)
FAULT = os.environ.get("HTTP_FAULT", "")
SEEN = {}
SEEN_LOCK = threading.Lock()
# ETags for the import-url tests: the quoted md5 of a file's content on GET and HEAD.
ETAGS = os.environ.get("HTTP_ETAGS") == "1"

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _path(self):
        rel = unquote(self.path.split("?", 1)[0]).lstrip("/")
        full = os.path.realpath(os.path.join(ROOT, rel))
        if not full.startswith(ROOT + os.sep):
            return None
        return full

    def _send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self):
        if not AUTH:
            return True
        want = "Basic " + base64.b64encode(AUTH.encode()).decode()
        if self.headers.get("Authorization") == want:
            return True
        self._drain()
        self._send(401, b"unauthorized\n", [("WWW-Authenticate", 'Basic realm="t"')])
        return False

    def _drain(self):
        if self.command in ("POST", "PUT"):
            try:
                self._body(open(os.devnull, "wb"))
            except Exception:
                self.close_connection = True

    def _fault(self):
        """Answers the request with the configured fault; True when it did."""
        if not FAULT or "/files/" not in self.path:
            return False
        key = (self.command, self.path)
        if FAULT.startswith("503x"):
            with SEEN_LOCK:
                SEEN[key] = SEEN.get(key, 0) + 1
                n = SEEN[key]
            if n <= int(FAULT[4:]):
                self._drain()
                self._send(503, b"busy\n")
                return True
        elif FAULT.startswith("429:"):
            wait = int(FAULT[4:])
            with SEEN_LOCK:
                first = SEEN.setdefault(self.path, time.monotonic())
            if time.monotonic() - first < wait:
                self._drain()
                self._send(429, b"slow down\n", [("Retry-After", str(wait))])
                return True
        elif FAULT == "500":
            self._drain()
            self._send(500, b"broken\n")
            return True
        elif FAULT.startswith("slow:") and self.command == "GET":
            time.sleep(float(FAULT[5:]))
        return False

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if not self._authorized():
            return
        if self._fault():
            return
        p = self._path()
        if p is None or not os.path.isfile(p):
            return self._send(404, b"not found\n")
        size = os.path.getsize(p)
        start, end, code = 0, size - 1, 200
        m = re.match(r"bytes=(\d*)-(\d*)$", (self.headers.get("Range") or "").strip())
        if m and size > 0:
            if m.group(1):
                start = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), size - 1)
            elif m.group(2):
                start = max(0, size - int(m.group(2)))
            if start > end:
                return self._send(416, b"", [("Content-Range", "bytes */%d" % size)])
            code = 206
        extra = 16 if FAULT == "oversize" and "/files/" in self.path else 0
        self.send_response(code)
        self.send_header("Content-Length", str((end - start + 1 if size else 0) + extra))
        self.send_header("Accept-Ranges", "bytes")
        if ETAGS:
            with open(p, "rb") as f:
                self.send_header("ETag", '"%s"' % hashlib.md5(f.read()).hexdigest())
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if self.command == "HEAD" or size == 0:
            return
        if extra:
            with open(p, "rb") as f:
                f.seek(start)
                self.wfile.write(f.read(end - start + 1) + b"\0" * extra)
            return
        with open(p, "rb") as f:
            f.seek(start)
            left = end - start + 1
            if FAULT == "truncate" and "/files/" in self.path:
                self.wfile.write(f.read(max(1, left // 2)))
                self.close_connection = True
                return
            while left > 0:
                chunk = f.read(min(left, 1 << 16))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _body(self, out):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                n = int(self.rfile.readline().strip().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                while n:
                    chunk = self.rfile.read(min(n, 1 << 16))
                    if not chunk:
                        raise IOError("short chunk")
                    out.write(chunk)
                    n -= len(chunk)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    raise IOError("short body")
                out.write(chunk)
                left -= len(chunk)

    def do_POST(self):
        if not self._authorized():
            return
        if self._fault():
            return
        p = self._path()
        if p is None:
            self._drain()
            return self._send(403)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(p), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                self._body(out)
            if CORRUPT and os.path.getsize(tmp) > 0:
                with open(tmp, "r+b") as f:
                    first = f.read(1)
                    f.seek(0)
                    f.write(bytes([first[0] ^ 0xFF]))
            os.chmod(tmp, 0o644)
            os.replace(tmp, p)
        except BaseException:
            os.unlink(tmp)
            raise
        self._send(200, b"ok\n")

    do_PUT = do_POST

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

Server((HOST, PORT), Handler).serve_forever()
