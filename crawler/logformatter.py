"""Log formatting: dropped duplicates are routine, logged at DEBUG and counted in stats instead; the
DEBUG lines of every page crawled and scraped are made only when the crawl logs at DEBUG."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


def logs_debug(level: Any) -> bool:
    """Whether a LOG_LEVEL setting (a name or a number) lets DEBUG lines through."""
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    return not isinstance(number, int) or number <= logging.DEBUG


class QuietDrops(LogFormatter):
    debug = True  # the crawl logs at DEBUG (from its LOG_LEVEL)

    @classmethod
    def from_crawler(cls, crawler: Any) -> QuietDrops:
        formatter = cls()
        formatter.debug = logs_debug(crawler.settings.get("LOG_LEVEL"))
        return formatter

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        entry["msg"] = "Dropped: %(exception)s"
        entry["args"] = {"exception": exception}
        return entry

    def crawled(self, request: Any, response: Any, spider: Any) -> Any:
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item: Any, response: Any, spider: Any) -> Any:
        return super().scraped(item, response, spider) if self.debug else None
