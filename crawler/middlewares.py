"""Downloader middlewares that keep a crawl inside its archive: every request and every redirect hop
is checked against the archive's scope before it is sent; redirect loops end in a counted reject."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from w3lib.encoding import http_content_type_encoding
from w3lib.url import safe_url_string

from crawler.failures import OffsiteRedirect, OutOfScope, RedirectLimit, RobotsForbidden, TooLarge

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, effective port): `http://h/` and `http://h:80/` are one origin, `https://h/` another."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return scheme, "", -1
    return scheme, (parts.hostname or "").lower(), port


def allowed(spider: Any, request: Request) -> bool:
    """Whether a request stays inside the crawl's archive: the archive's own scheme, host and port
    (robots.txt, asked by Scrapy itself, anywhere on that origin), and for everything else a page
    under the archive's root (Site.canonical). Links to the archive's other spellings (`http`/`https`,
    with or without `www.`) are canonicalised before they are requested; a redirect to one of them is
    a hop off the archive's origin, refused like any other."""
    site = getattr(spider, "site", None)
    if site is None:
        return False
    if _origin(request.url) != _origin(site.root):
        return False
    if request.meta.get("dont_obey_robotstxt"):
        return True
    return site.canonical(request.url) is not None


class ScopeMiddleware:
    """Refuses, before it is sent, any request outside the archive (a last line of defence: the
    spider only yields requests in scope, and redirects are checked hop by hop)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        if not allowed(self.crawler.spider, request):
            self.crawler.stats.inc_value("colophon/scope/refused")
            raise OutOfScope(f"refused a request outside the archive: {request.url}")


class _ScopedRedirects:
    """Each redirect hop is checked against the archive's scope before it is followed, and a chain
    that runs past REDIRECT_MAX_TIMES (a loop included) fails with its own reason."""

    crawler: Any
    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        if not allowed(self.crawler.spider, redirected):
            self.crawler.stats.inc_value("colophon/scope/offsite_redirect")
            raise OffsiteRedirect(f"{request.url} redirects ({reason}) outside the archive, to {redirected.url}")
        try:
            result: Request = super()._redirect(redirected, request, reason)  # type: ignore[misc]
        except IgnoreRequest:
            raise RedirectLimit(f"more than {self.max_redirect_times} redirects, last to {redirected.url}") from None
        if result.url in result.meta.get("redirect_urls", []):
            # A redirect back into its own chain is not silently dropped by the duplicate filter:
            # it runs on to REDIRECT_MAX_TIMES and fails as redirect_limit.
            result.dont_filter = True
        return result


class ScopedRedirectMiddleware(_ScopedRedirects, RedirectMiddleware):
    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        location = response.headers.get(b"Location")
        if response.status in (301, 302, 303, 307, 308) and location and not request.meta.get("dont_redirect"):
            try:
                target = urljoin(request.url, safe_url_string(location))
                scheme = urlsplit(target).scheme.lower()
            except ValueError:
                self.crawler.stats.inc_value("colophon/scope/offsite_redirect")
                shown = location[:200].decode("latin-1")
                raise OffsiteRedirect(f"{request.url} redirects ({response.status}) outside the archive, to an "
                                      f"address that cannot be read: {shown!r}") from None
            if scheme not in ("http", "https"):
                # Scrapy would hand such a redirect back as a plain 3xx answer; it leaves the archive.
                self.crawler.stats.inc_value("colophon/scope/offsite_redirect")
                raise OffsiteRedirect(f"{request.url} redirects ({response.status}) outside the archive, to {target}")
        return super().process_response(request, response)


REFRESH_CHARS = 4096  # how much of a page Scrapy's get_meta_refresh reads for a refresh: characters


def may_refresh(body: bytes, declared: str | None = None) -> bool:
    """Whether the start of a page may hold a meta refresh: its first REFRESH_CHARS characters are
    within its first 4 bytes a character (UTF-8's widest), and spell "refresh" in ASCII bytes. Not
    ruled out: a page whose header declares an encoding that does not write ASCII as ASCII (EBCDIC),
    UTF-16 and UTF-32 (whose ASCII characters carry NUL bytes), and ISO-2022 (whose escapes, ESC,
    can make a character longer than 4 bytes)."""
    if declared is not None and not _ascii_compatible(declared):
        return True
    head = body[: 4 * REFRESH_CHARS]
    return b"\x00" in head or b"\x1b" in head or b"refresh" in head.lower()  # (ASCII letters only)


@functools.cache
def _ascii_compatible(encoding: str) -> bool:
    probe = '<meta http-equiv="refresh">'
    try:
        return probe.encode(encoding) == probe.encode("ascii")
    except (LookupError, UnicodeError):
        return False


class ScopedMetaRefreshMiddleware(_ScopedRedirects, MetaRefreshMiddleware):
    """Scrapy's meta refresh, scoped; a page whose start cannot name a refresh is not decoded for
    it (Scrapy decodes the whole body to look at its start: a tenth of a page's cost in a crawl)."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if isinstance(response, HtmlResponse):
            declared = http_content_type_encoding((response.headers.get(b"Content-Type") or b"").decode("latin-1"))
            if not may_refresh(response.body, declared):
                return response
        return super().process_response(request, response)


class BoundedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, whose size limit (a gzip bomb) ends in a `too_large` reject."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:  # the only refusal decompression makes: the size limit
            raise TooLarge(f"the body grew past the size limit while it was decompressed "
                           f"({len(response.body)} bytes compressed)") from error


class RobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt rules, whose refusals carry a type of their own."""

    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as error:
            raise RobotsForbidden(str(error)) from error
