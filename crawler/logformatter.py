"""Log formatting: dropped duplicates are routine, logged at DEBUG and counted in stats instead; the
DEBUG lines of every page crawled and scraped are made only when DEBUG is logged."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter

# The loggers Scrapy logs a page crawled (its engine) and an item scraped (its scraper) with.
_CRAWLED = logging.getLogger("scrapy.core.engine")
_SCRAPED = logging.getLogger("scrapy.core.scraper")


class QuietDrops(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        entry["msg"] = "Dropped: %(exception)s"
        entry["args"] = {"exception": exception}
        return entry

    def crawled(self, request: Any, response: Any, spider: Any) -> Any:
        return super().crawled(request, response, spider) if _CRAWLED.isEnabledFor(logging.DEBUG) else None

    def scraped(self, item: Any, response: Any, spider: Any) -> Any:
        return super().scraped(item, response, spider) if _SCRAPED.isEnabledFor(logging.DEBUG) else None
