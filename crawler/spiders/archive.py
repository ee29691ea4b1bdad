"""The archive spider: from start pages through index and contents pages to every work."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any
from urllib.parse import quote

import orjson
import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.capture import WARC_META, stored_response
from crawler.extract import Catalogue
from crawler.extract.catalogue import AUTHORS_PATH
from crawler.failures import Abandoned, FetchRefused, NotCaptured, RobotsForbidden, failure_code
from crawler.harvesters import HARVESTED, ExtractionBroken, Harvester, header_text, page_fetch
from crawler.incremental import REMEMBERED
from crawler.items import PageItem
from crawler.run import WALK, CrawlRun, queue_dir
from crawler.urls import Site, base_url, file_folder_pages, to_url
from models import Index, Reject, WarcLocation, utc_now
from output.warc import OPEN, read_stored

MISSING = (404, 410)
VISIT_CHUNK = 1000  # pages planned together: what waits to be planned stays small


class PageRequest(scrapy.Request):
    """A request of the archive spider. It waits in the disk queue with its callbacks by name, found
    on the spider's class: Scrapy finds a name by listing every member of the spider, each of its
    properties evaluated, for every request queued."""

    def to_dict(self, *, spider: scrapy.Spider | None = None) -> dict[str, Any]:
        callback, errback = _method_name(spider, self.callback), _method_name(spider, self.errback)
        if callback is _UNNAMED or errback is _UNNAMED:
            return super().to_dict(spider=spider)
        queued: dict[str, Any] = {"url": self.url, "callback": callback, "errback": errback,
                                  "headers": dict(self.headers)}
        for attribute in self.attributes:
            queued.setdefault(attribute, getattr(self, attribute))
        queued["_class"] = f"{type(self).__module__}.{type(self).__name__}"
        return queued


_UNNAMED = object()  # a callback that is not a method of the spider's class: Scrapy's own search


def _method_name(spider: Any, function: Any) -> Any:
    if function is None or not callable(function):
        return function
    name = getattr(function, "__name__", None)
    if (spider is not None and getattr(function, "__self__", None) is spider and name is not None
            and getattr(type(spider), name, None) is getattr(function, "__func__", None)):
        return name
    return _UNNAMED


class ArchiveSpider(scrapy.Spider):
    """Navigation only: the starts, the links in scope, one extraction call per response. The run it
    navigates (state store, revisit policy, identity) is handed to it by crawler.run.RunOwner;
    conditional requests are made by crawler.incremental."""

    name = "archive"
    site: Site  # set in from_crawler, from the crawl's settings
    base_url: str | None = None  # the address records cite, when it is not the site crawled (a mirror)
    include_non_html: bool
    run: CrawlRun  # set by crawler.run.RunOwner (adopt)
    harvester: Harvester  # where pages are read: this process, or a pool beside it (COLOPHON_WORKERS)

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
        self.first_url: dict[str, str] = {}  # page id -> the first URL it was reached by
        self.variants: set[tuple[str, str]] = set()
        self.start_ids: set[str] = set()
        self.start_pages: list[str] = []  # the start URLs as walked (a local folder: its index or pages)
        self.replaying = False  # pages answered from WARC files (crawler.capture): no local folder is read

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Requests wait in Scrapy's disk queue inside the dataset folder (crawler.run.QUEUE_DIR)."""
        super().update_settings(settings)
        if not settings.get("JOBDIR"):
            settings.set("JOBDIR", str(queue_dir(settings.get("COLOPHON_OUT"))), priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider: ArchiveSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        scope = spider.scope_arg or settings.get("COLOPHON_SCOPE", "folder")
        if scope not in ("folder", "site"):
            raise ValueError(f"COLOPHON_SCOPE must be 'folder' or 'site', got {scope!r}")
        spider.include_non_html = settings.getbool("COLOPHON_INCLUDE_NON_HTML")
        spider.site = Site.for_starts(spider.start_args, scope, spider.root_arg or settings.get("COLOPHON_ROOT_URL"))
        spider.start_ids = {spider.site.page_id(url) or url for url in spider.start_args}
        if settings.get("COLOPHON_BASE_URL"):
            spider.base_url = base_url(settings.get("COLOPHON_BASE_URL"))
        spider.harvester = Harvester.from_settings(settings)
        spider.replaying = bool(settings.getlist("COLOPHON_FROM_WARC"))
        crawler.signals.connect(spider.dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider._close_harvester, signal=signals.spider_closed)
        return spider

    async def _close_harvester(self, spider: Any = None) -> None:
        await self.harvester.close()

    def adopt(self, run: CrawlRun) -> None:
        """The run this spider navigates (crawler.run.RunOwner opens it)."""
        self.run = run

    @property
    def state(self) -> Any:
        return self.run.state

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def release(self) -> None:
        """Drop what the crawl kept in memory to navigate (URLs reached, pages scheduled): of no use
        once it is over."""
        self.first_url.clear()
        self.variants.clear()
        self.skipped.clear()
        self.state.release_scheduled()

    async def start(self) -> Any:
        for request in self._initial():
            yield request

    def _initial(self) -> Iterator[scrapy.Request]:
        # The author catalogue first: canonical names come from the archive being read. Asked
        # conditionally (crawler.incremental); a 304, or a failure after its retries, falls back to the
        # copy kept last time.
        yield PageRequest(self.site.root + AUTHORS_PATH, callback=self.parse_catalogue,
                          errback=self.catalogue_missing, priority=100, dont_filter=True,
                          meta={REMEMBERED: AUTHORS_PATH})  # retried as any request

    def _starts(self) -> Iterator[scrapy.Request]:
        self.harvester.start(self.catalogue)  # the pages are read with the catalogue as it now stands
        if self.run.resumed:
            # The walk starts again; every page the run had visited is followed from the store.
            self.logger.info("resuming run %s: the pages it visited are followed from the state store", self.run_id)
        starts = []
        for url in self.start_args:
            canonical = self.site.canonical(url)
            assert canonical is not None
            # Read from WARC files, a folder is what they hold (crawler.capture), not what a disk holds now.
            pages = None if self.replaying else file_folder_pages(canonical, self.site.root)
            starts += [(self.site.canonical(p) or p, False) for p in pages or [canonical]]
        self.start_ids |= {self.site.page_id(url) or url for url, _ in starts}
        self.start_pages = [url for url, _ in starts]
        self.state.remember(WALK, orjson.dumps(self.walk()), None, None)  # for `colophon reextract`
        yield from self._visit(starts)

    def parse_catalogue(self, response: Response) -> Iterator[scrapy.Request]:
        cached = self.state.recall(AUTHORS_PATH)
        fresh = Catalogue.from_json(response.body) if response.status != 304 else Catalogue()
        if fresh.authors:
            self.state.remember(AUTHORS_PATH, response.body, header_text(response, b"ETag"),
                                header_text(response, b"Last-Modified"))
            self.catalogue = fresh
        elif cached is not None:
            # Not modified, or empty or broken today: yesterday's names stand.
            self.catalogue = Catalogue.from_json(cached[0])
        self.crawler.stats.set_value("colophon/catalogue_authors", len(self.catalogue.authors))
        yield from self._starts()

    def catalogue_missing(self, failure: Any) -> Iterator[scrapy.Request]:
        cached = self.state.recall(AUTHORS_PATH)
        if cached is not None:
            # Unreachable this time: the names stay what they were, no record changes for it.
            self.catalogue = Catalogue.from_json(cached[0])
        else:
            self.logger.info("no author catalogue at %s; canonical names come from bylines", failure.request.url)
        yield from self._starts()

    def _file_page(self, url: str) -> str:
        if url.startswith("file:") and url.endswith("/") and not self.replaying:
            # A local mirror has no server to answer a folder URL with its index page.
            return (file_folder_pages(url, self.site.root) or [url])[0]
        return url

    def _visit(self, targets: list[tuple[str, bool]]) -> Iterator[scrapy.Request]:
        """Requests for pages new to this run; a page the revisit plan does not ask (not due, or
        visited before the run was interrupted) is visited from the state store instead, its links
        followed without a request. Visited a chunk at a time, the pages a chunk leads to before
        the rest: what waits stays small however many pages are not due."""
        waiting = [iter(targets)]
        now = self.state.now()
        while waiting:
            chunk = list(itertools.islice(waiting[-1], VISIT_CHUNK))
            if not chunk:
                waiting.pop()
                continue
            batch = [(self.site.page_id(url) or url, url, leaf) for url, leaf in chunk]
            stack: list[tuple[str, bool]] = []
            for page_id, url, _ in batch:
                if self.first_url.setdefault(page_id, url) != url and (page_id, url) not in self.variants:
                    # One page under two URLs ("/" and "/index.htm"): fetched and kept once, counted.
                    self.variants.add((page_id, url))
                    self.crawler.stats.inc_value("colophon/duplicates")
            for page_id, url, leaf in self.state.schedule(batch):
                replay = self.state.plan(page_id, self.run.policy, now, self.run_id)
                if replay is not None:
                    links, visited = replay
                    self.state.replayed(self.run_id, page_id)
                    self.crawler.stats.inc_value("colophon/visited_before" if visited else "colophon/not_due")
                    stack += self._targets((None, None), self._urls(links), url, leaf)
                    continue
                yield PageRequest(url, callback=self.parse, errback=self.failed,
                                  meta={"leaf": leaf, "frontier_id": page_id})
            if stack:
                waiting.append(iter(stack))

    def citation(self, url: str) -> str:
        """The address a record cites for a page of the site crawled at ``url`` (canonical): under
        the archive's base URL when a mirror or a local copy is crawled with one, else itself."""
        if self.base_url is None or not url.startswith(self.site.root):
            return url
        return self.base_url + url[len(self.site.root):]

    def crawled(self, link: str) -> str:
        """The address on the site crawled of a link a page gives: a link under the base URL (read
        relative to the cited address, or written absolute in the page) is the same page here."""
        if self.base_url is not None and link.startswith(self.base_url):
            return self.site.root + link[len(self.base_url):]
        return link

    def _urls(self, ids: list[str]) -> list[str]:
        return [self.site.root + quote(page_id) for page_id in ids]

    def _ids(self, links: list[str]) -> list[str]:
        """The pages of this site a page links to, as ids: how the state store keeps them."""
        ids = (self.site.page_id(link) for link in links)
        return list(dict.fromkeys(i for i in ids if i))

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        stats = self.crawler.stats
        frontier_id = response.meta.get("frontier_id") or self.site.page_id(response.url) or response.url
        leaf = bool(response.meta.get("leaf"))
        stamp = utc_now()
        if response.status == 304 and (stored := self._stored_copy(response, frontier_id)) is not None:
            response = stored  # not modified, but its record was made by another extractor: read again
        if response.status == 304:  # not modified (crawler.incremental asked conditionally)
            # Where it led is read again from the store (not carried in the queued request).
            links = self.state.known_links(frontier_id) or []
            self.state.unchanged(self.run_id, frontier_id, self.run.policy, self.state.now(), stamp)
            for request in self._visit(self._targets(self._shape(*self.state.shape(frontier_id)), self._urls(links),
                                                     response.url, leaf)):
                yield request
            return
        page_id = self.site.page_id(response.url)
        fetch = page_fetch(response, stamp)
        if fetch is None or page_id is None:
            stats.inc_value("colophon/skipped_non_html" if page_id else "colophon/offsite_after_redirect")
            self.state.seen(self.run_id, frontier_id)
            return
        url = self.site.canonical(response.url) or response.url
        cited = self.citation(url)
        if cited != response.url:
            fetch = dataclasses.replace(fetch, fetched_from=response.url)
        # Read by a worker of a distributed crawl (crawler.distributed), or here.
        try:
            harvest = response.meta.get(HARVESTED) or await self.harvester.harvest(response.body, cited, page_id, fetch)
        except ExtractionBroken as error:  # no page to blame: the crawl stops, its pages left for the next run
            self.logger.critical("%s", error)
            raise CloseSpider("extraction_broken") from error
        record = harvest.record
        provenance = getattr(record, "provenance", None)
        if provenance is not None and response.meta.get(WARC_META):
            provenance.warc = WarcLocation(**response.meta[WARC_META])
        links = harvest.links if self.base_url is None else [self.crawled(link) for link in harvest.links]
        if harvest.removed_characters:
            stats.inc_value("colophon/text/characters_removed", harvest.removed_characters)
        shape = self._shape(getattr(record, "kind", None),
                            {e.url for e in record.entries} if isinstance(record, Index) else None)
        requests = [] if isinstance(record, Reject) else list(self._visit(self._targets(shape, links, url, leaf)))
        yield PageItem(record=record, page_id=page_id, links=self._ids(links), frontier_id=frontier_id, fetch={
            "fetched_at": stamp, "etag": fetch.etag, "last_modified": fetch.last_modified,
            "content_sha256": getattr(provenance, "content_sha256", None), "extractor": self.harvester.version})
        for request in requests:
            yield request

    def _stored_copy(self, response: Response, frontier_id: str) -> Response | None:
        """The page as its last capture holds it, when the origin answers 304 but the stored record
        was made by another extractor than this crawl's: the record is made again from those bytes."""
        made_by = self.state.extracted_by(frontier_id)
        if made_by is None or made_by == self.harvester.version:
            return None
        capture = self.state.capture(response.url)
        if capture is None:
            return None
        path = self.state.folder / capture.file
        try:
            stored = read_stored(path if path.is_file() else path.with_name(path.name + OPEN), capture.offset,
                                 decoded=True)
        except Exception as error:
            self.logger.warning("%s: its capture in %s cannot be read (%s); its record stays", response.url,
                                capture.file, error)
            return None
        self.crawler.stats.inc_value("colophon/reextracted")
        response.meta[WARC_META] = {"file": capture.file, "offset": capture.offset}
        return stored_response(stored, response.request or scrapy.Request(response.url))

    def walk(self) -> dict[str, Any]:
        """How this crawl walks the archive, kept so that `colophon reextract` walks it again."""
        return {"starts": self.start_pages or self.start_args, "scope": self.site.scope, "root_url": self.site.root,
                "base_url": self.base_url, "include_non_html": self.include_non_html}

    def _shape(self, kind: str | None, listed: set[str] | None) -> tuple[str | None, set[str] | None]:
        """A page's kind and the ids of the pages it lists (an index), as _targets reads them."""
        if listed is None:
            return kind, None
        return kind, {self.site.page_id(url) or url for url in map(self.crawled, listed)}

    def _targets(self, shape: tuple[str | None, set[str] | None], links: list[str], here: str,
                 leaf: bool) -> list[tuple[str, bool]]:
        """Where a page leads, within scope: (url, leaf). ``shape``: the page's kind and, for an
        index, the ids of the pages it lists (a listed work filed outside the folder is followed too)."""
        stats = self.crawler.stats
        here_in_scope = not leaf
        kind, listed = shape
        is_toc = kind == "toc"
        toc_folder = here.rsplit("/", 1)[0] + "/" if is_toc else None
        targets = []
        for link in links:
            url = self.site.canonical(link)
            if url is None:
                stats.inc_value("colophon/offsite_links")
                continue
            url = self._file_page(url)
            if not self.include_non_html and self.site.is_non_html(url):
                if url not in self.skipped:
                    self.skipped.add(url)
                    stats.inc_value("colophon/skipped_non_html")
                continue
            if self.site.in_folder(url):
                if here_in_scope or (toc_folder and url.startswith(toc_folder)):
                    targets.append((url, not here_in_scope))
            elif here_in_scope and (is_toc or (listed is not None and (self.site.page_id(url) or url) in listed)):
                # A work listed by an index or contents page of the folder, filed elsewhere.
                targets.append((url, True))
            elif not here_in_scope and toc_folder and url.startswith(toc_folder):
                targets.append((url, True))
        return targets

    def _keep_known(self, frontier_id: str, url: str, request: scrapy.Request) -> Generator[scrapy.Request, None, bool]:
        """A known page that could not be had now keeps its record, and the pages it led to are still
        visited: a transient fault (an origin that is down, a gap in a capture) removes nothing.
        Returns whether the page was known."""
        known = self.state.page(frontier_id)
        if known is None or known.get("status") != "live":
            return False
        if known.get("links") is None:
            # Where this page leads is unknown (a rebuilt state store): the run cannot tell which
            # pages are gone, so it removes none.
            self.crawler.stats.inc_value("colophon/links_unknown")
        links = orjson.loads(known["links"]) if known.get("links") else []
        self.state.keep(self.run_id, frontier_id)
        yield from self._visit(self._targets(self._shape(*self.state.shape(frontier_id)), self._urls(links), url,
                                             bool(request.meta.get("leaf"))))
        return True

    def dropped(self, request: scrapy.Request, spider: Any = None) -> None:
        """A request the scheduler filtered (a redirect to a page already visited): it is done."""
        frontier_id = request.meta.get("frontier_id")
        if frontier_id:
            self.state.seen(self.run_id, frontier_id)

    def failed(self, failure: Any) -> Iterator[PageItem | scrapy.Request]:
        stats = self.crawler.stats
        request = failure.request
        # The page asked for, not the last hop of a redirect chain (the message names that).
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        frontier_id = request.meta.get("frontier_id") or self.site.page_id(url) or url
        now = utc_now()
        code, message = failure_code(failure.value), str(failure.value) or repr(failure.value)
        if failure.check(NotCaptured):
            # The WARC files read hold no copy: a known page stays as it is, and where it led is still
            # visited (a gap in a capture removes nothing).
            stats.inc_value("colophon/not_captured")
            if not (yield from self._keep_known(frontier_id, url, request)):
                self.state.seen(self.run_id, frontier_id)
            return
        if failure.check(Abandoned):
            stats.inc_value("colophon/abandoned")  # the crawl is stopping: the resumed run asks it again
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in MISSING:
                stats.inc_value("colophon/missing")
                if frontier_id in self.start_ids:
                    # A start page that is gone (a moved archive, a typo in the schedule): nothing this
                    # run reached can tell what was removed, so it removes nothing.
                    stats.inc_value("colophon/start_missing")
                    self.logger.warning("start page %s answered %d: this run removes nothing", url, status)
                self.state.gone(self.run_id, frontier_id, url, self.run.policy, self.state.now(), now)
                return
            code, message = f"http_{status}", f"the server answered {status}"
        elif failure.check(IgnoreRequest) and not failure.check(FetchRefused):
            # Not fetched on purpose (robots.txt forbids it), never a reject.
            stats.inc_value("colophon/robots_forbidden" if failure.check(RobotsForbidden) else "colophon/ignored")
            self.state.seen(self.run_id, frontier_id)
            return
        stats.inc_value(f"colophon/fetch_failed/{code}")
        if (yield from self._keep_known(frontier_id, url, request)):
            stats.inc_value("colophon/kept_after_failure")
            return
        yield PageItem(record=Reject(url=self.citation(url), stage="fetch", code=code, message=message[:500],
                                     fetched_at=now), page_id=frontier_id, frontier_id=frontier_id,
                       fetch={"fetched_at": now})

