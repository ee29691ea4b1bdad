"""When the machine refuses (a full or read-only disk, permissions): the run stops at once,
unpublished, with one message, and resumes on the next run once the machine is mended."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from scrapy.utils.defer import deferred_from_coro

from crawler.errors import environment_message

ENVIRONMENT_ERRORS = (OSError, sqlite3.OperationalError)
STAT = "colophon/environment_error"
REASON = "environment_error"


def stop_for_environment(crawler: Any, error: BaseException) -> None:
    """Record the first refusal and close the spider (from the reactor, not from inside a callback)."""
    if crawler.stats.get_value(STAT):
        return
    crawler.stats.set_value(STAT, environment_message(error))

    def close() -> None:
        if crawler.engine is not None and crawler.engine.spider is not None:
            deferred_from_coro(crawler.engine.close_spider_async(reason=REASON)).addErrback(lambda failure: None)

    from twisted.internet import reactor  # the one Scrapy installed (imported late, never installing one)

    reactor.callLater(0, close)  # type: ignore[arg-type]


class EnvironmentGuard:
    """A spider middleware: a refusal of the machine inside a callback (the state store cannot be
    written) stops the run instead of failing page after page with tracebacks."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> EnvironmentGuard:
        return cls(crawler)

    def process_spider_exception(self, response: Any, exception: BaseException,
                                 spider: Any = None) -> Iterable[Any] | None:
        if isinstance(exception, ENVIRONMENT_ERRORS):
            stop_for_environment(self.crawler, exception)
            return []
        return None
