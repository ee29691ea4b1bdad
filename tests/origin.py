"""A local origin for crawl tests and benchmarks: a static web server on 127.0.0.1 that behaves
like a real one (ETag, Last-Modified, 304, HEAD, robots.txt) plus routes that misbehave on purpose.

    python -m tests.origin --root DIR [--robots TEXT] [--port 0]

prints `PORT <n>` once listening.  `/_stats` reports requests per path, when each came,
how many were conditional, and bytes sent; `/_reset` clears them.  Fault routes live under `/_faults/`.

    python -m tests.origin --many

serves as many origins as it is told on its standard input, one JSON command a line:
`{"mount": {"root": DIR, "robots": TEXT|null, "slow": S}}` answers `PORT <n>` once that origin
listens on a port of its own; `{"unmount": n}` closes it (the port then refuses connections, as a
server that is down) and answers `OK`.  One such process serves a whole test session.
"""

from __future__ import annotations

import argparse
import collections
import json
import mimetypes
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from twisted.internet import reactor, stdio, task
from twisted.protocols import basic
from twisted.web import http, resource, server

FAULT_PAGE = (b"<html><head><title>Fault</title></head><body><h2>Test Writer</h2><h1>A Page That Came "
              b"Back</h1><h3>(1 May 1940)</h3><p>The body of a page served after a fault, long enough "
              b"to be a work of its own and not an empty shell.</p></body></html>")


class Origin(resource.Resource):
    isLeaf = True

    def __init__(self, root: Path, robots: str | None, slow: float) -> None:
        super().__init__()
        self.root = root.resolve()
        self.robots = robots
        self.slow = slow
        self.requests: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []  # when each request came (time.time()), for rate checks
        self.conditional = 0          # requests with If-None-Match or If-Modified-Since
        self.bytes_sent = 0
        self.flaky: collections.Counter[str] = collections.Counter()

    def render_HEAD(self, request: server.Request) -> bytes:
        return self.render_GET(request)

    def render_GET(self, request: server.Request) -> bytes | int:
        path = unquote(request.path.decode("utf-8", "replace"))
        if path == "/_stats":
            request.setHeader(b"content-type", b"application/json")
            return json.dumps({"requests": self.requests, "bytes": self.bytes_sent, "times": self.times,
                               "conditional": self.conditional}).encode()
        if path == "/_reset":
            self.requests.clear()
            self.times.clear()
            self.conditional = 0
            self.bytes_sent = 0
            return b"ok"
        self.requests[path] += 1
        self.times.append(time.time())
        if request.getHeader(b"if-none-match") or request.getHeader(b"if-modified-since"):
            self.conditional += 1
        if path.startswith("/_faults/"):
            return self.fault(request, path.removeprefix("/_faults/"))
        if path == "/robots.txt" and self.robots is not None:
            return self.send(request, self.robots.encode(), "text/plain")
        target = (self.root / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root):
            request.setResponseCode(403)
            return b"forbidden"
        if target.is_dir():
            for name in ("index.htm", "index.html"):
                if (target / name).is_file():
                    target = target / name
                    break
        if not target.is_file():
            request.setResponseCode(404)
            return self.send(request, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
        stat = target.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'.encode()
        # A conditional request answered 304 as RFC 9110 says: If-None-Match, when it is sent, decides
        # alone (a page edited within the second it was fetched has the same Last-Modified).
        if request.getHeader(b"if-none-match") is not None:
            request.setHeader(b"last-modified", http.datetimeToString(int(stat.st_mtime)))
            if request.setETag(etag) == http.CACHED:
                return b""
        elif request.setETag(etag) == http.CACHED or request.setLastModified(int(stat.st_mtime)) == http.CACHED:
            return b""
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return self.send(request, target.read_bytes(), kind)

    def send(self, request: server.Request, body: bytes, kind: str) -> bytes:
        request.setHeader(b"content-type", kind.encode())
        if request.method != b"HEAD":
            self.bytes_sent += len(body)
        return body

    def fault(self, request: server.Request, name: str) -> bytes | int:
        if name.startswith("500"):
            request.setResponseCode(500)
            return b"<html><body>Internal Server Error</body></html>"
        if name.startswith("flaky"):
            # Fails twice, then answers: a crawl with retries must come back with the page.
            self.flaky[name] += 1
            if self.flaky[name] <= 2:
                request.setResponseCode(503)
                return b"busy"
            return self.send(request, FAULT_PAGE, "text/html")
        if name.startswith("slow"):
            def finish() -> None:
                if not request.finished and not request._disconnected:
                    request.write(FAULT_PAGE)
                    request.finish()
            task.deferLater(reactor, self.slow, finish)
            return server.NOT_DONE_YET
        if name.startswith("redirect"):
            request.redirect(b"/_faults/landing.htm")
            return b""
        if name.startswith("landing"):
            return self.send(request, FAULT_PAGE, "text/html")
        if name.startswith("loop"):
            number = int("".join(c for c in name if c.isdigit()) or 0)
            request.redirect(f"/_faults/loop{number % 2 + 1}.htm".encode())
            return b""
        if name.startswith("truncated"):
            request.setHeader(b"content-type", b"text/html")
            request.setHeader(b"content-length", str(len(FAULT_PAGE) * 10).encode())
            request.write(FAULT_PAGE[:60])
            request.channel.transport.loseConnection()
            return server.NOT_DONE_YET
        if name.startswith("huge"):
            size = int(request.args.get(b"bytes", [b"3000000"])[0])
            padding = b"<p>" + b"x" * 1000 + b"</p>\n"
            body = FAULT_PAGE.replace(b"</body>", padding * (size // len(padding)) + b"</body>")
            return self.send(request, body, "text/html")
        if name.startswith("binary"):
            return self.send(request, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2048), "text/html")
        request.setResponseCode(404)
        return b"no such fault"


def listen(root: Path, robots: str | None, slow: float, port: int = 0) -> Any:
    site = server.Site(Origin(root, robots, slow))
    site.displayTracebacks = False
    return reactor.listenTCP(port, site, interface="127.0.0.1", backlog=256)


class Mounts(basic.LineReceiver):
    """The --many control channel: mounts and unmounts origins as standard input tells it."""

    delimiter = b"\n"

    def __init__(self) -> None:
        self.ports: dict[int, Any] = {}

    def lineReceived(self, line: bytes) -> None:
        command = json.loads(line)
        if "mount" in command:
            spec = command["mount"]
            listening = listen(Path(spec["root"]), spec.get("robots"), float(spec.get("slow", 5.0)))
            number = listening.getHost().port
            self.ports[number] = listening
            self.sendLine(f"PORT {number}".encode())
        elif "unmount" in command:
            listening = self.ports.pop(int(command["unmount"]), None)
            done = listening.stopListening() if listening is not None else None
            if done is not None:
                done.addCallback(lambda _: self.sendLine(b"OK"))
            else:
                self.sendLine(b"OK")

    def connectionLost(self, reason: Any = None) -> None:
        if reactor.running:
            reactor.stop()  # the test session closed our standard input: it is over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root")
    parser.add_argument("--many", action="store_true", help="origins mounted on commands read from stdin")
    parser.add_argument("--robots", default=None, help="robots.txt text to serve instead of the file's")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slow", type=float, default=5.0, help="seconds /_faults/slow waits")
    args = parser.parse_args()
    if args.many:
        stdio.StandardIO(Mounts())
    elif args.root:
        port = listen(Path(args.root), args.robots, args.slow, args.port)
        print(f"PORT {port.getHost().port}", flush=True)
    else:
        parser.error("give --root DIR or --many")
    started = time.monotonic()

    def watchdog() -> None:
        # Never outlive a test run that forgot us: stop when the parent is gone, or (one origin of
        # its own, not a session's) after an hour.
        if os.getppid() == 1 or (not args.many and time.monotonic() - started > 3600):
            reactor.stop()

    task.LoopingCall(watchdog).start(5, now=False)
    reactor.run()


if __name__ == "__main__":
    sys.exit(main())
