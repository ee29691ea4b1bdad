"""Crawl progress: a live line on a terminal, plain periodic log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class Progress:
    def __init__(self, crawler: Any, interval: float, live: bool) -> None:
        self.crawler = crawler
        self.interval = interval
        self.live = live
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        interval = crawler.settings.getfloat("COLOPHON_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval, sys.stderr.isatty())
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
        return {
            "pages": pages,
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
        if self.live:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
        else:
            # A plain line for logs (cron, systemd), whatever the log level.
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            sys.stderr.write(f"{stamp} [colophon] progress: {text}\n")
            sys.stderr.flush()

    def opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            sys.stderr.write("\r\033[K")
