"""How a run starts and ends, in one place: a Scrapy extension that owns the run's resources as
Scrapy's own `extensions/spiderstate.py` owns its file, through the crawler's signals.

Start (when the crawler is built, before anything is sent): lock the dataset folder, finish any
half-done publication (output.publish.recover), open the state store, and resume the interrupted
run or begin a new one; the spider is handed the run (`ArchiveSpider.run`).

End (`spider_closed`): publish the run (snapshot shards, change set, run report, datapackage.json,
atomically), or leave it to resume when it was interrupted or the machine refused; then drop
Scrapy's request queue and close the store, which commits its last batch and releases the lock.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.environment import ENVIRONMENT_ERRORS, REASON, STAT
from crawler.errors import environment_message
from crawler.extract import EXTRACTOR_VERSION
from crawler.extract.inherit import Inheritance
from crawler.options import redact
from models import utc_now
from output.publish import publish, recover
from output.state import Policy, StateStore, new_run_id
from output.warc import WarcWriter, repair

# Scrapy's disk queue of the requests waiting to be sent (its JOBDIR), inside the dataset folder:
# the crawl's memory does not grow with the number of pages queued. It only lives as long as one
# process (a resumed run walks again from its starts, following what it had visited from the store).
QUEUE_DIR = ".queue"
WALK = "colophon:walk"  # memo key: the starts, scope and root of the dataset's last crawl


def queue_dir(out: str | Path) -> Path:
    return Path(out) / QUEUE_DIR


@dataclass
class CrawlRun:
    """One run over a dataset folder: its state store (locked), revisit policy and identity."""

    state: StateStore
    policy: Policy
    run_id: str
    started: str
    resumed: bool
    warc: WarcWriter | None = None  # where what the run fetches is kept (None: --no-warc, or read from WARC)


def open_run(settings: Any) -> CrawlRun:
    """Lock the dataset folder, finish any half-done publication, and resume the interrupted run
    or begin a new one. Raises RunLocked when another live process holds the folder."""
    policy = Policy(
        minimum=settings.getfloat("COLOPHON_REVISIT_MIN"),
        maximum=settings.getfloat("COLOPHON_REVISIT_MAX"),
        revalidate=settings.getbool("COLOPHON_REVALIDATE"),
    )
    if policy.minimum > policy.maximum:
        raise ValueError("COLOPHON_REVISIT_MIN must not exceed COLOPHON_REVISIT_MAX")
    state = StateStore.open(Path(settings.get("COLOPHON_OUT")))
    shutil.rmtree(queue_dir(state.folder), ignore_errors=True)  # a killed process's queue: the walk redoes it
    recover(state)
    state.batching = True  # a crawl's pages commit in batches (StateStore.unit)
    interrupted = state.interrupted_run()
    run_id = interrupted or settings.get("COLOPHON_RUN_ID") or new_run_id()
    if not interrupted and run_id in {r["run"] for r in state.runs()}:
        # A fixed COLOPHON_RUN_ID (scrapyd's nightly job) names each run, never reuses one: a run's
        # change set and report are written once.
        run_id = f"{run_id}-{new_run_id()}"
    started = utc_now()
    state.begin_run(run_id, started, settings.getdict("COLOPHON_RUN_OPTIONS"))
    for sealed in repair(state.folder):  # files a killed process was writing: cut to their whole records
        state.add_warc(sealed, None)
    warc = None
    if settings.getbool("COLOPHON_WARC") and not settings.getlist("COLOPHON_FROM_WARC"):
        warc = WarcWriter(state.folder, run_id, max_bytes=settings.getint("COLOPHON_WARC_BYTES"),
                          info={"isPartOf": run_id, "http-header-user-agent": settings.get("USER_AGENT") or ""})
        state.before_commit.append(warc.sync)  # nothing committed points at WARC bytes that could be lost
    return CrawlRun(state, policy, run_id, started, interrupted is not None, warc)


def scrapy_options(crawler: Any, spider: Any) -> dict[str, Any]:
    """What a run started by Scrapy itself (`scrapy crawl`, scrapyd) was asked for: the spider's
    arguments (the start list by count and digest, as `colophon crawl` records it) and every setting
    given on its command line (-s, scrapyd's `setting=`)."""
    from scrapy.settings import SETTINGS_PRIORITIES

    starts = [str(url) for url in getattr(spider, "start_args", [])]
    options: dict[str, Any] = {
        "starts": {"count": len(starts), "sha256": hashlib.sha256("\n".join(starts).encode()).hexdigest()},
        "scope": getattr(getattr(spider, "site", None), "scope", None),
        "root_url": getattr(getattr(spider, "site", None), "root", None),
    }
    settings = crawler.settings
    given = {name: settings[name] for name in settings
             if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and name != "COLOPHON_RUN_OPTIONS"}
    options["settings"] = {name: _recorded(value) for name, value in sorted(given.items())}
    return options


def _recorded(value: Any) -> Any:
    """A setting as a run report keeps it: a URL with its password shown as ***, a list by count and
    digest (a start list can be a whole mirror's worth), anything else as text."""
    if isinstance(value, str):
        return redact(value) if "://" in value else value
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        text = "\n".join(map(str, value))
        return {"count": len(value), "sha256": hashlib.sha256(text.encode()).hexdigest()}
    return redact(str(value))


def _inheritable(toc: dict[str, Any]) -> dict[str, Any]:
    """What a chapter can inherit from its contents page (crawler.extract.inherit), and no more:
    the contents pages of a whole archive are held at once."""
    return {key: toc.get(key) for key in ("id", "title", "citation", "date", "licence", "credits")}


class Inherited:
    """What each published record inherits (crawler.extract.inherit), from the pages in the store;
    a record's basis names the contents page (and its version) and the part before it."""

    def __init__(self, state: Any) -> None:
        self.toc_hash: dict[str, str] = {}

        def tocs() -> Iterator[tuple[dict[str, Any], list[str]]]:
            for toc_id, _, record, links, digest in state.tocs():
                self.toc_hash[toc_id] = digest
                yield _inheritable(orjson.loads(record)), orjson.loads(links or b"[]")

        self.inheritance = Inheritance.build(tocs(), state.series_links())

    def basis(self, page_id: str) -> str:
        toc = self.inheritance.chapter_of.get(page_id)
        toc_id = toc["id"] if toc is not None else ""
        return f"{toc_id}:{self.toc_hash.get(toc_id, '')}|{self.inheritance.previous_of.get(page_id, '')}"

    def __call__(self, page_id: str, line: bytes) -> bytes:
        inheritance = self.inheritance
        inherited = inheritance.apply(orjson.loads(line)) if (
            page_id in inheritance.chapter_of or page_id in inheritance.previous_of) else None
        return line if inherited is None else orjson.dumps(inherited) + b"\n"


class RunOwner:
    """The extension that opens a run when the crawler is built and publishes it when the spider
    closes. Disabled (NotConfigured) without COLOPHON_OUT."""

    def __init__(self, crawler: Any, run: CrawlRun) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.run = run
        self.shard_bytes = crawler.settings.getint("COLOPHON_SHARD_BYTES")

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunOwner:
        if not crawler.settings.get("COLOPHON_OUT"):
            raise NotConfigured("COLOPHON_OUT is not set")
        run = open_run(crawler.settings)  # raises RunLocked when another run holds the folder
        owner = cls(crawler, run)
        spider = getattr(crawler, "spider", None)
        if spider is not None and hasattr(spider, "adopt"):
            spider.adopt(run)
        crawler.signals.connect(owner.opened, signal=signals.spider_opened)
        crawler.signals.connect(owner.closed, signal=signals.spider_closed)
        return owner

    def opened(self, spider: Any) -> None:
        self.stats.set_value("colophon/run_id", self.run.run_id)
        self.stats.set_value("colophon/resumed", self.run.resumed)

    def closed(self, spider: Any, reason: str) -> None:
        state = self.run.state
        try:
            if self.run.warc is not None:
                try:
                    for sealed in self.run.warc.close():  # sealed whatever happens: a resumed run begins anew
                        state.add_warc(sealed, self.run.run_id)
                except ENVIRONMENT_ERRORS as error:
                    if not self.stats.get_value(STAT):
                        self.stats.set_value(STAT, environment_message(error))
            if reason == REASON or self.stats.get_value(STAT):
                return  # nothing published: the run resumes when the machine is mended
            if reason == "shutdown":
                # Interrupted (a signal): nothing is published and nothing removed; the next run
                # on this folder resumes this one.
                self.stats.set_value("colophon/run", {"id": self.run.run_id, "interrupted": True})
                return
            self._publish(spider, reason)
        finally:
            shutil.rmtree(queue_dir(state.folder), ignore_errors=True)
            try:
                state.close()  # commits the open batch of pages (output.state.StateStore.unit)
            except ENVIRONMENT_ERRORS as error:
                # The machine refused the last batch: its pages are visited again by the next run.
                if not self.stats.get_value(STAT):
                    self.stats.set_value(STAT, environment_message(error))

    def _publish(self, spider: Any, reason: str) -> None:
        run, state = self.run, self.run.state
        stats = self.stats.get_stats()
        unknown_links = stats.get("colophon/links_unknown", 0)
        start_missing = stats.get("colophon/start_missing", 0)
        # Finished: every page reached was visited (the scheduler ran dry); a run stopped early is partial.
        complete = reason == "finished" and not unknown_links and not start_missing
        report: dict[str, Any] = {
            "started": run.started,
            "finish_reason": reason,
            "resumed": run.resumed,
            "colophon_version": EXTRACTOR_VERSION,
            "options": self.crawler.settings.getdict("COLOPHON_RUN_OPTIONS") or scrapy_options(self.crawler, spider),
            "counts": {
                "pages": stats.get("response_received_count", 0),
                "bytes_received": stats.get("downloader/response_bytes", 0),
                "not_modified": stats.get("colophon/not_modified", 0),
                "not_due": stats.get("colophon/not_due", 0),
                "works": stats.get("colophon/records/works", 0),
                "indexes": stats.get("colophon/records/indexes", 0),
                "other": stats.get("colophon/records/other", 0),
                "rejects": stats.get("colophon/records/rejects", 0),
                "missing": stats.get("colophon/missing", 0),
                "duplicates": stats.get("colophon/duplicates", 0),
                "kept_after_failure": stats.get("colophon/kept_after_failure", 0),
                "links_unknown": unknown_links,
                "start_missing": start_missing,
                "skipped_non_html": stats.get("colophon/skipped_non_html", 0),
                "robots_forbidden": stats.get("colophon/robots_forbidden", 0),
                "offsite_refused": stats.get("colophon/scope/refused", 0)
                + stats.get("colophon/scope/offsite_redirect", 0),
                "characters_removed": stats.get("colophon/text/characters_removed", 0),
                "visited_before_resuming": stats.get("colophon/visited_before", 0),
                "reextracted": stats.get("colophon/reextracted", 0),
                "not_captured": stats.get("colophon/not_captured", 0),
                "warc_unreadable": stats.get("colophon/warc/unreadable", 0),
                "warc_records": stats.get("colophon/warc/records", 0) + stats.get("colophon/warc/revisits", 0),
            },
        }
        if not (report["counts"]["pages"] or report["counts"]["not_due"]):
            # Not even a start page could be fetched (the origin is down, or refused everything):
            # publishing would only shrink what readers have. The run is recorded as failed.
            state.fail_run(run.run_id, utc_now(), {**report, "run": run.run_id, "complete": False})
            self.stats.set_value("colophon/run", {**report, "run": run.run_id, "complete": False,
                                                  "unpublished": True, "changes": {}})
            return
        if hasattr(spider, "release"):
            spider.release()  # the crawl's bookkeeping in memory: publication reuses the room
        try:
            self.stats.set_value("colophon/run", publish(state, run.run_id, complete=complete, report=report,
                                                         finish=Inherited(state), shard_bytes=self.shard_bytes))
        except ENVIRONMENT_ERRORS as error:
            # Nothing half-published is ever visible (output.publish); the run resumes next time.
            self.stats.set_value(STAT, environment_message(error))
