"""The archive spider: from start pages through index and contents pages to every work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer, error
from twisted.web import _newclient


def _errors(*names: str, fallback: tuple[type[BaseException], ...] = ()) -> tuple[type[BaseException], ...]:
    """Scrapy's own download errors (2.13+) with the Twisted ones older versions raise."""
    found = tuple(getattr(scrapy_errors, name) for name in names if hasattr(scrapy_errors, name))
    return found + fallback


TOO_LARGE = _errors("DownloadCancelledError", fallback=(defer.CancelledError,))
TIMEOUT = _errors("DownloadTimeoutError", fallback=(error.TimeoutError, error.TCPTimedOutError))
TRUNCATED = _errors("ResponseDataLossError", fallback=(_newclient.ResponseFailed, error.ConnectionLost))
UNREACHABLE = _errors("DownloadConnectionRefusedError", "CannotResolveHostError",
                      fallback=(error.DNSLookupError, error.ConnectionRefusedError))

from crawler.extract import Catalogue, Fetch, harvest_links
from crawler.extract.catalogue import AUTHORS_PATH
from crawler.items import PageItem
from crawler.urls import Site, file_folder_pages, to_url
from models import Index, Reject, Work

MISSING = (404, 410)


class ArchiveSpider(scrapy.Spider):
    name = "archive"

    def __init__(self, start: str | list[str] | None = None, scope: str | None = None,
                 root: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        starts = start if isinstance(start, list) else [s for s in (start or "").split(",") if s]
        if not starts:
            raise NotConfigured("archive spider: give at least one start URL (-a start=URL[,URL...])")
        self.start_args = [to_url(s) for s in starts]
        self.scope_arg = scope
        self.root_arg = root
        self.catalogue = Catalogue()
        self.skipped: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "ArchiveSpider":
        spider: ArchiveSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        scope = spider.scope_arg or settings.get("COLOPHON_SCOPE", "folder")
        if scope not in ("folder", "site"):
            raise ValueError(f"COLOPHON_SCOPE must be 'folder' or 'site', got {scope!r}")
        spider.include_non_html = settings.getbool("COLOPHON_INCLUDE_NON_HTML")
        spider.site = Site.for_starts(spider.start_args, scope, spider.root_arg or settings.get("COLOPHON_ROOT_URL"))
        return spider

    async def start(self) -> Any:
        for request in self._initial():
            yield request

    def _initial(self) -> Iterator[scrapy.Request]:
        # The author catalogue first: canonical names come from the archive being read.
        yield scrapy.Request(self.site.root + AUTHORS_PATH, callback=self.parse_catalogue,
                             errback=self.catalogue_missing, priority=100, dont_filter=True,
                             meta={"dont_retry": True, "handle_httpstatus_all": False})

    def _starts(self) -> Iterator[scrapy.Request]:
        for url in self.start_args:
            canonical = self.site.canonical(url)
            assert canonical is not None
            for page in file_folder_pages(canonical) or [canonical]:
                yield self._request(self.site.canonical(page) or page, leaf=False)

    def parse_catalogue(self, response: Response) -> Iterator[scrapy.Request]:
        self.catalogue = Catalogue.from_json(response.body)
        self.crawler.stats.set_value("colophon/catalogue_authors", len(self.catalogue.authors))
        yield from self._starts()

    def catalogue_missing(self, failure: Any) -> Iterator[scrapy.Request]:
        self.logger.info("no author catalogue at %s; canonical names come from bylines", failure.request.url)
        yield from self._starts()

    def _request(self, url: str, leaf: bool) -> scrapy.Request:
        if url.startswith("file:") and url.endswith("/"):
            # A local mirror has no server to answer a folder URL with its index page.
            url = (file_folder_pages(url) or [url])[0]
        return scrapy.Request(url, callback=self.parse, errback=self.failed, meta={"leaf": leaf})

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        stats = self.crawler.stats
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if content_type and "html" not in content_type and not content_type.startswith("text/plain") \
                and not response.url.lower().endswith((".htm", ".html")):
            stats.inc_value("colophon/skipped_non_html")
            return
        page_id = self.site.page_id(response.url)
        if page_id is None:
            stats.inc_value("colophon/offsite_after_redirect")
            return
        charset = None
        if "charset=" in content_type:
            charset = content_type.split("charset=", 1)[1].split(";")[0].strip()
        fetch = Fetch(
            fetched_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            http_status=response.status if response.url.startswith("http") else None,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            charset=charset,
        )
        url = self.site.canonical(response.url) or response.url
        record, links = harvest_links(response.body, url, page_id, self.catalogue, fetch)
        yield PageItem(record=record, links=links)
        if isinstance(record, Reject):
            return
        yield from self._follow(record, links, response.meta)

    def _follow(self, record: Any, links: list[str], meta: dict[str, Any]) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        here_in_scope = not meta.get("leaf")
        is_index = isinstance(record, Index)
        is_toc = isinstance(record, Work) and record.kind == "toc"
        toc_folder = record.url.rsplit("/", 1)[0] + "/" if is_toc else None
        listed = {entry.url for entry in record.entries} if is_index else None
        for link in links:
            url = self.site.canonical(link)
            if url is None:
                stats.inc_value("colophon/offsite_links")
                continue
            if not self.include_non_html and self.site.is_non_html(url):
                if url not in self.skipped:
                    self.skipped.add(url)
                    stats.inc_value("colophon/skipped_non_html")
                continue
            if self.site.in_folder(url):
                if here_in_scope or (toc_folder and url.startswith(toc_folder)):
                    yield self._request(url, leaf=not here_in_scope)
            elif here_in_scope and (is_toc or (listed is not None and url in listed)):
                # A work listed by an index or contents page of the folder, filed elsewhere.
                yield self._request(url, leaf=True)
            elif not here_in_scope and toc_folder and url.startswith(toc_folder):
                yield self._request(url, leaf=True)

    def failed(self, failure: Any) -> Iterator[PageItem]:
        stats = self.crawler.stats
        request = failure.request
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        code, message = "fetch_error", repr(failure.value)
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in MISSING:
                stats.inc_value("colophon/missing")
                return
            code, message = f"http_{status}", f"the server answered {status}"
        elif failure.check(IgnoreRequest):
            text = str(failure.value)
            if "robots.txt" in text:
                stats.inc_value("colophon/robots_forbidden")
                return
            if "redirect" in text.lower():
                code, message = "redirect_limit", text
            else:
                stats.inc_value("colophon/ignored")
                return
        elif failure.check(*TOO_LARGE):
            code, message = "too_large", "the response was larger than DOWNLOAD_MAXSIZE"
        elif failure.check(*TIMEOUT):
            code, message = "timeout", "the server did not answer in time"
        elif failure.check(*TRUNCATED):
            code, message = "truncated", "the connection closed before the whole body arrived"
        elif failure.check(*UNREACHABLE):
            code, message = "unreachable", str(failure.value)
        stats.inc_value(f"colophon/fetch_failed/{code}")
        yield PageItem(record=Reject(url=request.url, stage="fetch", code=code, message=message[:500],
                                     fetched_at=now))


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
