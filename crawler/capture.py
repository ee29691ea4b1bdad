"""Archival capture in a crawl (the files themselves: output.warc).

`WarcMiddleware`, the downloader middleware nearest the network, writes every response the crawl
receives as WARC records: the request and the response as received (its headers, and its body
before any Content-Encoding is undone), a `revisit` record (profile server-not-modified) for a
304, and a `revisit` (identical-payload-digest) for a body the last capture already holds. Files
read from a local folder are `resource` records. Where a page's response is kept goes into its
record's `provenance.warc`.

`WarcReplayHandler` is the download handler of a crawl that reads WARC files instead of the
network (`colophon crawl --from-warc`, `colophon reextract`): each request is answered with the
last response the files hold for its URL, through the same middlewares, scope rules and spider as a
live crawl; it opens no connection of any kind.
"""

from __future__ import annotations

import asyncio
import http
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url

from crawler.environment import ENVIRONMENT_ERRORS, stop_for_environment
from crawler.failures import CaptureUnreadable, NotCaptured, TooLarge
from crawler.urls import INDEX_PAGES
from output.warc import (
    Capture,
    CaptureTooLarge,
    Entry,
    Exchange,
    Records,
    Stored,
    UnreadableCapture,
    WriterClosed,
    exchange_records,
    read_stored,
    scan,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

WARC_META = "colophon_warc"      # request meta: where the response is kept ({file, offset})
REPLAYED = "colophon_replayed"   # request meta: the response came from a WARC file, not the network


def _text(value: bytes) -> str:
    """A header's bytes as text: UTF-8 where they are (warcio keeps non-ASCII values percent-encoded,
    as RFC 8187 does, so a UTF-8 Location replays as the URL a client follows), else Latin-1."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return [(_text(name), _text(value)) for name, values in headers.items() for value in values]


def _response_pairs(response: Response) -> list[tuple[str, str]]:
    """The response's headers; a Content-Length that no longer fits the body (a body a worker of a
    distributed crawl decoded) says what the body kept holds."""
    pairs = _pairs(response.headers)
    encoded = any(name.lower() == "content-encoding" for name, _ in pairs)
    size = str(len(response.body))
    return [(name, size if name.lower() == "content-length" and not encoded and value != size else value)
            for name, value in pairs]


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class WarcMiddleware:
    """Writes what the crawl fetched into the run's WARC files (crawler.run.CrawlRun.warc). The
    records are built where the spider reads its pages (its extraction processes, when it has them:
    crawler.harvesters), and written here, in the crawl's order, by its one writer."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        request.meta.pop(WARC_META, None)  # a redirect hop's location is not its target's

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        crawling = self.crawler.spider
        run = getattr(crawling, "run", None)
        writer = getattr(run, "warc", None)
        if run is None or writer is None or request.meta.get(REPLAYED):
            return response
        harvester = getattr(crawling, "harvester", None)
        try:
            exchange = _exchange(request, response, run.state.capture(response.url))
            if harvester is None or not harvester.pooled:
                records = exchange_records(exchange)
            else:
                records = await harvester.capture(exchange)
                known = run.state.capture(response.url)
                if known != exchange.known:  # the URL was kept meanwhile (another response for it came first)
                    exchange = exchange._replace(known=known)
                    records = exchange_records(exchange)
            location = self._store(run, exchange, records)
        except ENVIRONMENT_ERRORS as error:  # the disk refused: the run stops, to resume once mended
            stop_for_environment(self.crawler, error)
            return response
        except WriterClosed:  # came after the run ended: its page is not stored either
            return response
        if location is not None:
            request.meta[WARC_META] = location
        return response

    def _store(self, run: Any, exchange: Exchange, records: Records) -> dict[str, Any] | None:
        """The exchange's records, written; where the response is kept (None: a response that is
        no page's capture)."""
        known = exchange.known
        offset = None
        if records.members:
            appended = run.warc.append_members(records.members)
            for sealed in appended.sealed:  # a file sealed to make room: listed from now on
                run.state.add_warc(sealed, run.run_id)
            file, offset = appended.file, appended.offsets[-1]
        if records.counted is not None:
            self.stats.inc_value(f"colophon/warc/{records.counted}")
        if records.location == "known" and known is not None:
            return {"file": known.file, "offset": known.offset}
        if records.location == "new" and offset is not None:
            run.state.captured(exchange.url, Capture(file, offset, records.record_id, records.date, records.digest))
            return {"file": file, "offset": offset}
        return None


def _exchange(request: Request, response: Response, known: Capture | None) -> Exchange:
    """What the crawl received for ``request``, as its WARC records keep it."""
    url, status = response.url, response.status
    if url.startswith("file:"):
        content_type = (response.headers.get(b"Content-Type") or b"text/html").decode("latin-1")
        return Exchange(url, status, "", "", [], response.body, "", [], b"", known, local=True,
                        content_type=content_type)
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Exchange(url, status, f"{status} {_reason(status)}".strip(),
                    getattr(response, "protocol", None) or "HTTP/1.1", _response_pairs(response), response.body,
                    f"{request.method} {target} HTTP/1.1", [("Host", parts.netloc), *_pairs(request.headers)],
                    request.body or b"", known)


def stored_response(stored: Stored, request: Request, url: str | None = None) -> Response:
    """A Scrapy response from a stored one, for ``request`` (at ``url``: the request's by default)."""
    headers = Headers()
    for name, value in stored.headers:
        headers.appendlist(name, value)
    url = url or request.url
    cls = responsetypes.from_args(headers=headers, url=url, body=stored.body)
    return cls(url=url, status=stored.status, headers=headers, body=stored.body, request=request)


def url_key(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


TRANSIENT = (429, 500, 502, 503, 504)  # an answer that does not replace a capture the files already hold


class WarcIndex:
    """The response each URL has in a set of WARC files, found by one pass over them: the last one,
    unless it is a transient failure after a good one; a revisit record stands for the response it
    names (by its record id, else by its payload digest), whatever URL that response was for."""

    def __init__(self, files: list[tuple[Path, str]]) -> None:
        self.entries: dict[str, Entry] = {}
        self.problems: list[str] = []
        by_id: dict[str, Entry] = {}
        by_digest: dict[str, Entry] = {}
        for item in scan(files, self.problems):
            key = url_key(item.url)
            if item.kind == "revisit":
                original = by_id.get(item.refers_to) or by_digest.get(item.digest)
                if original is not None:
                    self.entries[key] = original
                continue
            if item.status is not None and 200 <= item.status < 300:
                by_id[item.record_id] = item.entry
                if item.digest:
                    by_digest[item.digest] = item.entry
            if item.status in TRANSIENT and key in self.entries:
                continue
            self.entries[key] = item.entry

    def get(self, url: str) -> tuple[str, Entry] | None:
        """The URL a request is answered from, and where its response is (a local folder's URL: its
        index page, as the file:// handler answers it)."""
        candidates = [url + name for name in INDEX_PAGES] if url.startswith("file:") and url.endswith("/") else [url]
        for candidate in candidates:
            entry = self.entries.get(url_key(candidate))
            if entry is not None:
                return candidate, entry
        return None


class WarcReplayHandler(BaseDownloadHandler):
    """Answers every request from WARC files (COLOPHON_FROM_WARC: [(path, label)]), never the network,
    within the size limit a page has. A URL the files do not hold is NotCaptured (a robots.txt they
    do not hold: 404, as a site without one answers); a record that cannot be replayed is a reject
    (`warc_unreadable`, `too_large`)."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.files = [(Path(path), label) for path, label in crawler.settings.getlist("COLOPHON_FROM_WARC")]
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.building: asyncio.Future[WarcIndex] | None = None
        self.stats = crawler.stats

    async def _index(self) -> WarcIndex:
        """The index of the files, built once (by the first request) whatever the requests in flight."""
        if self.building is None:
            self.building = asyncio.ensure_future(asyncio.to_thread(WarcIndex, self.files))
            index = await asyncio.shield(self.building)
            self.stats.set_value("colophon/warc/replayable", len(index.entries))
            for problem in index.problems:  # whatever the log level: what a capture lacks must be seen
                logger.error("%s", problem)
                self.stats.inc_value("colophon/warc/unreadable")
        return await asyncio.shield(self.building)

    async def download_request(self, request: Request) -> Response:
        found = (await self._index()).get(request.url)
        if found is None:
            if urlsplit(request.url).path == "/robots.txt":
                return Response(url=request.url, status=404, request=request)
            raise NotCaptured(f"{request.url} is in none of the WARC files read")
        url, entry = found
        limit = int(request.meta.get("download_maxsize", self.maxsize))
        try:
            stored = await asyncio.to_thread(read_stored, entry.path, entry.offset, decoded=False, limit=limit)
        except CaptureTooLarge as error:
            raise TooLarge(str(error)) from None
        except UnreadableCapture as error:
            raise CaptureUnreadable(str(error)) from None
        request.meta[REPLAYED] = True
        request.meta[WARC_META] = {"file": entry.label, "offset": entry.offset}
        self.stats.inc_value("colophon/warc/replayed")
        return stored_response(stored, request, url)
