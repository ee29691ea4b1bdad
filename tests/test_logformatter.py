"""Scrapy's DEBUG line for each page crawled and each item scraped is made only when the crawl logs
at DEBUG (its LOG_LEVEL: Scrapy leaves its loggers' own levels open)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.logformatter import QuietDrops, logs_debug


@pytest.mark.parametrize("method", ["crawled", "scraped"])
def test_the_line_of_each_page_is_made_only_at_debug(method: str) -> None:
    request = Request("https://www.marxists.org/archive/")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    first = (request, response, None) if method == "crawled" else ({"page": 1}, response, None)
    for level in ("INFO", "ERROR", 20):
        quiet = QuietDrops.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": level}))
        assert getattr(quiet, method)(*first) is None
    for level in ("DEBUG", "debug", 10):
        loud = QuietDrops.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": level}))
        entry = getattr(loud, method)(*first)
        assert entry["level"] == 10 and entry["msg"]


def test_logs_debug() -> None:
    assert logs_debug("DEBUG") and logs_debug(5) and logs_debug("NOT A LEVEL")
    assert not logs_debug("INFO") and not logs_debug("WARNING") and not logs_debug(40)
