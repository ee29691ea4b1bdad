"""The archive spider's requests wait in Scrapy's disk queue as Scrapy would queue them: the same
dict, callbacks by name, read back into the same request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import scrapy
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.spiders.archive import ArchiveSpider, PageRequest

START = "https://www.marxists.org/archive/baker/"


def _spider(tmp_path: Path) -> Any:
    values = {name: getattr(project, name) for name in dir(project) if name.startswith("COLOPHON_")}
    crawler = get_crawler(ArchiveSpider, {**values, "COLOPHON_OUT": str(tmp_path)})
    return crawler._create_spider(start=START)


def test_a_page_request_queues_as_scrapy_queues_it(tmp_path: Path) -> None:
    spider = _spider(tmp_path)
    arguments: dict[str, Any] = {"callback": spider.parse, "errback": spider.failed, "priority": 3,
                                 "meta": {"leaf": True, "frontier_id": "archive/baker/index.htm"},
                                 "headers": {"If-None-Match": '"abc"'}, "dont_filter": True}
    page = PageRequest(START + "index.htm", **arguments)
    queued = page.to_dict(spider=spider)
    expected = scrapy.Request(START + "index.htm", **arguments).to_dict(spider=spider)
    assert queued == {**expected, "_class": "crawler.spiders.archive.PageRequest"}
    assert queued["callback"] == "parse" and queued["errback"] == "failed"
    back = request_from_dict(queued, spider=spider)
    assert type(back) is PageRequest
    assert back.callback == spider.parse and back.errback == spider.failed
    assert (back.url, back.meta, back.priority, back.dont_filter) == (page.url, page.meta, 3, True)
    assert back.headers == page.headers


def test_a_callback_that_is_no_method_of_the_spider_is_left_to_scrapy(tmp_path: Path) -> None:
    spider = _spider(tmp_path)

    def elsewhere(response: Any) -> None:
        return None

    # A function of no spider: Scrapy's own search, which refuses it.
    try:
        PageRequest(START, callback=elsewhere).to_dict(spider=spider)
    except ValueError as error:
        assert "is not an instance method" in str(error)
    else:
        raise AssertionError("a foreign callback was queued by name")
    # Another spider's method: named as Scrapy names it.
    other = _spider(tmp_path)
    assert PageRequest(START, callback=other.parse).to_dict(spider=spider)["callback"] == "parse"
    # No callback at all: none queued, as Scrapy queues it.
    assert PageRequest(START).to_dict(spider=spider)["callback"] is None
