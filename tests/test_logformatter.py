"""Scrapy's DEBUG line for each page crawled and each item scraped is made only when DEBUG is logged."""

from __future__ import annotations

import logging

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.logformatter import QuietDrops


@pytest.mark.parametrize(("logger", "method"), [("scrapy.core.engine", "crawled"),
                                               ("scrapy.core.scraper", "scraped")])
def test_the_line_of_each_page_is_made_only_at_debug(logger: str, method: str) -> None:
    formatter = QuietDrops()
    request = Request("https://www.marxists.org/archive/")
    response = HtmlResponse(request.url, body=b"<html></html>", request=request)
    first = (request, response, None) if method == "crawled" else ({"page": 1}, response, None)
    scrapy_logger = logging.getLogger(logger)
    level = scrapy_logger.level
    try:
        scrapy_logger.setLevel(logging.INFO)
        assert getattr(formatter, method)(*first) is None
        scrapy_logger.setLevel(logging.DEBUG)
        entry = getattr(formatter, method)(*first)
        assert entry["level"] == logging.DEBUG and entry["msg"]
    finally:
        scrapy_logger.setLevel(level)
