"""A hostile origin and a canary, both on 127.0.0.1, in one process that logs every request.

    python -m tests.hostile.servers

prints `PORTS <origin> <canary>` once both listen. The origin serves a small archive in the site's
format whose author index lists pages that misbehave on purpose (redirects out of the archive,
decompression bombs, control characters, absurd nesting, loops, links with newlines); the canary
stands for everything else on the machine: any request it receives is a request that left the
archive. `/_log` on the origin reports both logs as JSON.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import time
import zlib

from twisted.internet import reactor, task
from twisted.web import resource, server

WORK = """<html><head><meta charset="utf-8"><title>Hostile Writer: {title}</title></head><body>
<h2>Hostile Writer</h2>
<h1>{title}</h1>
<h3>(1 May 1940)</h3>
<hr class="infotop" />
<p class="info">From <strong>The Test Weekly</strong>, Vol. 1 No. 2, 1 May 1940, p. 3.<br />
Transcribed by Ann Example.</p>
<hr class="infobot" />
<p class="fst">{text}</p>
<p>A second paragraph of ordinary prose, long enough for a work of its own.</p>
{extra}
<p class="footer"><a href="index.htm">Hostile Writer Internet Archive</a></p>
</body></html>
"""

# page name -> (what it does, the outcomes a crawl may give it)
PAGES = {
    "plain.htm": "an ordinary work that links off-site (the links must never be followed)",
    "redirect-localhost.htm": "302 to http://localhost:CANARY/",
    "redirect-ip.htm": "302 to http://127.0.0.1:CANARY/",
    "redirect-protocol-relative.htm": "302 to //127.0.0.1:CANARY/",
    "redirect-userinfo.htm": "302 to http://127.0.0.1:ORIGIN@127.0.0.1:CANARY/",
    "redirect-ipv6.htm": "302 to http://[::1]:CANARY/",
    "redirect-second-hop.htm": "302 inside the archive, whose target 302s to the canary",
    "redirect-outside-root.htm": "302 to /elsewhere/page.htm on the same host, outside the archive root",
    "redirect-file.htm": "302 to file:///etc/passwd",
    "redirect-https.htm": "302 to the same host and port over https (another origin)",
    "redirect-loop.htm": "a redirect loop",
    "redirect-unreadable.htm": "302 to http://[::1 (a Location no URL parser can read)",
    "unreadable-links.htm": "a work whose links no URL parser can read (javascript://[, //[x]/)",
    "meta-refresh.htm": "a meta refresh to the canary",
    "gzip-bomb.htm": "1 MB of gzip that expands to 1 GB",
    "deflate-bomb.htm": "a deflate body that expands past the size limit",
    "nested.htm": "100,000 nested <div> elements around the text",
    "controls.htm": "control characters in the title and the text, raw and as entities",
    "huge.htm": "a 12 MB page",
    "slow.htm": "answers after 30 s",
}
ROOT_PREFIX = "/site/"  # the archive's root: the origin also answers outside it, on purpose


def index_page(canary: int) -> bytes:
    links = "".join(f'<p class="toc"><a href="{name}">{name}</a></p>\n' for name in PAGES)
    links += '<p class="toc"><a href="bad%0Aname.htm">a newline in a path</a></p>\n'
    links += '<p class="toc"><a href="..%2F..%2F..%2Fetc%2Fpasswd">a climb</a></p>\n'
    links += f'<p class="toc"><a href="http://127.0.0.1:{canary}/listed.htm">off-site, listed</a></p>\n'
    return (f"<html><head><title>Hostile Writer</title></head><body><p class=\"title\">Marxist Writers: "
            f"Hostile Writer</p><h1>Hostile Writer</h1>\n{links}</body></html>").encode()


def _bomb(size: int, wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(size >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


class Canary(resource.Resource):
    isLeaf = True

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def render(self, request: server.Request) -> bytes:
        self.log.append(f"{request.method.decode()} {request.uri.decode('latin-1')}")
        return b"<html><body><h1>canary</h1></body></html>"


class Hostile(resource.Resource):
    isLeaf = True

    def __init__(self, canary_log: list[str]) -> None:
        super().__init__()
        self.log: list[str] = []
        self.canary_log = canary_log
        self.origin_port = 0
        self.canary_port = 0
        # Made before the origin listens: making them blocks for a few seconds.
        self._gzip = _bomb(1 << 30, 31)
        self._deflate = _bomb(64 << 20, 15)

    def render(self, request: server.Request) -> bytes | int:
        path = request.path.decode("latin-1")
        if path == "/_log":
            return json.dumps({"origin": self.log, "canary": self.canary_log}).encode()
        self.log.append(f"{request.method.decode()} {request.uri.decode('latin-1')}")
        canary = self.canary_port
        if path == "/robots.txt":
            request.redirect(f"http://127.0.0.1:{canary}/robots.txt".encode())
            return b""
        if not path.startswith(ROOT_PREFIX):
            return self.page(request, "Outside the Root", "A page outside the archive root.")
        name = path[len(ROOT_PREFIX):]
        if name in ("", "index.htm", "archive/hostile/index.htm"):
            request.setHeader(b"content-type", b"text/html")
            return index_page(canary)
        name = name.removeprefix("archive/hostile/")
        redirects = {
            "redirect-localhost.htm": f"http://localhost:{canary}/stolen",
            "redirect-ip.htm": f"http://127.0.0.1:{canary}/stolen",
            "redirect-protocol-relative.htm": f"//127.0.0.1:{canary}/stolen",
            "redirect-userinfo.htm": f"http://127.0.0.1:{self.origin_port}@127.0.0.1:{canary}/stolen",
            "redirect-ipv6.htm": f"http://[::1]:{canary}/stolen",
            "redirect-second-hop.htm": f"{ROOT_PREFIX}archive/hostile/hop.htm",
            "hop.htm": f"http://127.0.0.1:{canary}/second",
            "redirect-outside-root.htm": "/elsewhere/page.htm",
            "redirect-file.htm": "file:///etc/passwd",
            "redirect-https.htm": f"https://127.0.0.1:{self.origin_port}{ROOT_PREFIX}archive/hostile/plain.htm",
            "redirect-loop.htm": f"{ROOT_PREFIX}archive/hostile/redirect-loop-2.htm",
            "redirect-loop-2.htm": f"{ROOT_PREFIX}archive/hostile/redirect-loop.htm",
            "redirect-unreadable.htm": f"http://[::1:{canary}/stolen",
        }
        if name in redirects:
            request.setResponseCode(302)
            request.setHeader(b"location", redirects[name].encode())
            return b""
        if name == "meta-refresh.htm":
            extra = f'<meta http-equiv="refresh" content="0; url=http://127.0.0.1:{canary}/refreshed">'
            return self.page(request, "A Refresh", "A page that refreshes elsewhere.", head=extra)
        if name == "gzip-bomb.htm":
            request.setHeader(b"content-encoding", b"gzip")
            request.setHeader(b"content-type", b"text/html")
            return self._gzip
        if name == "deflate-bomb.htm":
            request.setHeader(b"content-encoding", b"deflate")
            request.setHeader(b"content-type", b"text/html")
            return self._deflate
        if name == "nested.htm":
            # The whole text of the work sits inside the nesting, as in the pages that lost it.
            request.setHeader(b"content-type", b"text/html; charset=utf-8")
            buried = ("<p>The text of a work buried under a hundred thousand divisions, still a work that "
                      "deserves its record, with enough words in it to count as a body.</p>" * 3)
            return (f"<html><head><title>Deep Nesting</title></head><body>{'<div>' * 100_000}<h1>Deep Nesting</h1>"
                    f"{buried}{'</div>' * 100_000}</body></html>").encode()
        if name == "controls.htm":
            return self.page(request, "Control\x01 Char\x1f\x7f acters &#1;&#x7f;",
                             "Text with \x02 controls \x0b and \x1b escapes &#27; inside.")
        if name == "huge.htm":
            return self.page(request, "A Huge Page", "Huge.", extra=("<p>" + "x" * 1000 + "</p>\n") * 12_000)
        if name == "slow.htm":
            def finish() -> None:
                if not request.finished and not request._disconnected:
                    request.write(WORK.format(title="Slow", text="Slow.", extra="").encode())
                    request.finish()
            task.deferLater(reactor, 30, finish)
            return server.NOT_DONE_YET
        if name == "unreadable-links.htm":
            extra = ('<p><a href="javascript://[">a script</a> <a href="//[x]/a.htm">a bracket</a> '
                     '<a href="http://a]b/">a stray bracket</a> <a href="plain.htm">plain</a></p>')
            return self.page(request, "Unreadable Links", "A work whose links cannot be read.", extra=extra)
        if name == "plain.htm":
            extra = (f'<p><a href="http://127.0.0.1:{canary}/offsite.htm">off-site</a> '
                     f'<a href="//localhost:{canary}/relative.htm">protocol-relative</a> '
                     f'<a href="http://localhost:{canary}/other.htm">localhost</a></p>')
            return self.page(request, "A Plain Work", "An ordinary work that links elsewhere.", extra=extra)
        request.setResponseCode(404)
        return b"<html><body><h1>404</h1></body></html>"

    def page(self, request: server.Request, title: str, text: str, extra: str = "", head: str = "") -> bytes:
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        html = WORK.format(title=title, text=text, extra=extra)
        return html.replace("<head>", "<head>" + head, 1).encode("utf-8")


def gzip_check() -> None:  # the bomb really is one: a sanity check used by the tests
    data = _bomb(8 << 20, 31)
    assert len(gzip.GzipFile(fileobj=io.BytesIO(data)).read()) == 8 << 20


def main() -> None:
    canary_log: list[str] = []
    hostile = Hostile(canary_log)
    origin_site = server.Site(hostile)
    origin_site.displayTracebacks = False
    canary_port = reactor.listenTCP(0, server.Site(Canary(canary_log)), interface="127.0.0.1")
    origin_port = reactor.listenTCP(0, origin_site, interface="127.0.0.1")
    hostile.origin_port, hostile.canary_port = origin_port.getHost().port, canary_port.getHost().port
    print(f"PORTS {hostile.origin_port} {hostile.canary_port}", flush=True)
    started = time.monotonic()

    def watchdog() -> None:
        if time.monotonic() - started > 1800 or os.getppid() == 1:
            reactor.stop()

    task.LoopingCall(watchdog).start(5, now=False)
    reactor.run()


if __name__ == "__main__":
    sys.exit(main())
