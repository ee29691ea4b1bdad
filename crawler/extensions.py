"""Crawl progress: a live line on a terminal, plain periodic log lines otherwise. Where the size of
the walk is known (a refresh: the pages the dataset knows), the share done and the time left."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

logger = logging.getLogger("colophon.progress")


class Progress:
    def __init__(self, crawler: Any, interval: float, live: bool) -> None:
        self.crawler = crawler
        self.interval = interval
        self.live = live
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.expected = 0  # pages the walk is expected to reach (0: unknown, a first crawl)
        self.to_log = False  # a log file is the crawl's output (scrapyd): progress goes there

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = crawler.settings.getfloat("COLOPHON_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval, sys.stderr.isatty())
        extension.to_log = bool(crawler.settings.get("LOG_FILE"))
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def snapshot(self) -> dict[str, float]:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        try:
            engine = self.crawler.engine
            scheduler = getattr(getattr(engine, "_slot", None) or getattr(engine, "slot", None), "scheduler", None)
            queue = len(scheduler) if scheduler is not None else 0
        except (RuntimeError, TypeError):  # no engine yet, or a scheduler that cannot count
            queue = 0
        # Every page reached: fetched, or followed from the store (not due, visited before resuming).
        reached = pages + stats.get_value("colophon/not_due", 0) + stats.get_value("colophon/visited_before", 0)
        return {
            "pages": pages,
            "reached": reached,
            "reach_rate": reached / elapsed,
            "rate": pages / elapsed,
            "works": stats.get_value("colophon/records/works", 0),
            "indexes": stats.get_value("colophon/records/indexes", 0),
            "rejects": stats.get_value("colophon/records/rejects", 0),
            "queue": queue,
        }

    def report(self) -> None:
        s = self.snapshot()
        text = (f"pages {s['pages']:.0f} | {s['rate']:.1f} pages/s | works {s['works']:.0f} | "
                f"indexes {s['indexes']:.0f} | rejects {s['rejects']:.0f} | queue {s['queue']:.0f}")
        share = self.share(s)
        if share is not None:
            text += f" | {share[0]:.0%} | ETA {share[1]}"
        if self.live:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        elif self.to_log:
            logger.info("progress: %s", text)  # the job's log (scrapyd's, or a LOG_FILE of one's own)
        else:
            # A plain line for logs (cron, systemd), whatever the log level.
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            sys.stderr.write(f"{stamp} [colophon] progress: {text}\n")
            sys.stderr.flush()

    def share(self, s: dict[str, float]) -> tuple[float, str] | None:
        """The share of the walk done (below 100% until it ends) and the time left, when its size is
        known; None otherwise."""
        if not self.expected:
            return None
        done = min(s["reached"] / self.expected, 0.99)
        left = max(self.expected - s["reached"], 0) / s["reach_rate"] if s["reach_rate"] > 0 else None
        return done, _duration(left) if left is not None else "?"

    def opened(self, spider: Any) -> None:
        run = getattr(spider, "run", None)
        if run is not None:
            self.expected = run.state.known_pages()
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            sys.stderr.write("\r\033[K")


def _duration(seconds: float) -> str:
    """A time left as people read it: 45s, 3m05s, 2h10m."""
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
