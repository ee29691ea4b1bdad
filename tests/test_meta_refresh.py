"""A meta refresh inside the archive is followed as Scrapy follows it, whatever the page's encoding;
a page whose start cannot name one is not decoded to look for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.middlewares import REFRESH_CHARS, ScopedMetaRefreshMiddleware, may_refresh
from crawler.spiders.archive import ArchiveSpider

ROOT = "https://www.marxists.org/"
START = ROOT + "archive/baker/"
REFRESH = '<meta http-equiv="Refresh" content="0; url=1943/moved.htm">'


def _middleware(tmp_path: Path) -> ScopedMetaRefreshMiddleware:
    values = {name: getattr(project, name) for name in dir(project) if name.startswith("COLOPHON_")}
    crawler = get_crawler(ArchiveSpider, {**values, "COLOPHON_OUT": str(tmp_path)})
    crawler.spider = crawler._create_spider(start=START)
    crawler.spider.site = type(crawler.spider).from_crawler(crawler, start=START).site
    return ScopedMetaRefreshMiddleware.from_crawler(crawler)


class Counted(HtmlResponse):
    """A response that counts how often its text is decoded."""

    decoded = 0

    @property
    def text(self) -> str:
        Counted.decoded += 1
        return super().text


def _page(head: str, encoding: str = "utf-8", padding: int = 0) -> bytes:
    return (f"<html><head>{'<!-- ' + 'x' * padding + ' -->' if padding else ''}{head}<title>A page</title></head>"
            f"<body><p>Text \u2014 of a page.</p></body></html>").encode(encoding)


def _answer(middleware: ScopedMetaRefreshMiddleware, body: bytes, headers: dict[str, str] | None = None) -> Any:
    request = Request(START + "index.htm")
    response = Counted(request.url, body=body, headers=headers or {}, request=request)
    return response, middleware.process_response(request, response)


def test_a_refresh_is_followed_in_utf8_and_in_utf16(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    for body, headers in ((_page(REFRESH), {}),
                          (_page(REFRESH, "utf-16"), {}),  # with its BOM
                          (_page(REFRESH, "utf-16-le"), {"Content-Type": "text/html; charset=utf-16le"})):
        _, result = _answer(middleware, body, headers)
        assert isinstance(result, Request), body[:40]
        assert result.url == START + "1943/moved.htm"


def test_a_page_that_names_no_refresh_is_not_decoded_for_one(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    Counted.decoded = 0
    response, result = _answer(middleware, _page('<meta http-equiv="Content-Type" content="text/html">'))
    assert result is response
    assert Counted.decoded == 0
    # A page that spells the word elsewhere is read as Scrapy reads it, and refreshes nothing.
    response, result = _answer(middleware, _page("<meta name=description content='refresh your memory'>"))
    assert result is response
    assert Counted.decoded >= 1


def test_the_start_scrapy_reads_for_a_refresh_is_the_start_looked_at(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    # Scrapy reads a refresh in the page's first REFRESH_CHARS characters, not beyond.
    within = _page(REFRESH, padding=REFRESH_CHARS - 200)
    beyond = _page(REFRESH, padding=REFRESH_CHARS + 100)
    assert isinstance(_answer(middleware, within)[1], Request)
    response, result = _answer(middleware, beyond)
    assert result is response
    # Four-byte characters: the first REFRESH_CHARS characters are longer than REFRESH_CHARS bytes.
    wide = ("<html><head><!-- " + "\U0001F4DC" * (REFRESH_CHARS // 2) + " -->" + REFRESH + "</head></html>").encode()
    assert len(wide) > 2 * REFRESH_CHARS and may_refresh(wide)
    assert isinstance(_answer(middleware, wide)[1], Request)


def test_may_refresh() -> None:
    assert may_refresh(_page(REFRESH))
    assert may_refresh(_page(REFRESH.upper()))
    assert may_refresh("<p>refresh</p>".encode("utf-32"))
    assert not may_refresh(_page(""))
    assert not may_refresh(b"")


def test_a_page_whose_encoding_writes_ascii_otherwise_is_left_to_scrapy(tmp_path: Path) -> None:
    """EBCDIC (declared by the header), and ISO-2022-JP whose escapes push a refresh within
    Scrapy's first REFRESH_CHARS characters past four bytes a character: followed as Scrapy does."""
    middleware = _middleware(tmp_path)
    ebcdic = f"<html><head>{REFRESH}<title>A page</title></head><body><p>Text.</p></body></html>".encode("cp500")
    _, result = _answer(middleware, ebcdic, {"Content-Type": "text/html; charset=cp500"})
    assert isinstance(result, Request) and result.url == START + "1943/moved.htm"
    title = "\u8cc7a" * 1900  # the script switches at every character: an escape each time
    body = (f'<html><head><meta charset="iso-2022-jp"><title>{title}</title>{REFRESH}</head></html>'
            ).encode("iso-2022-jp")
    assert body.index(b"Refresh") > 4 * REFRESH_CHARS
    _, result = _answer(middleware, body)
    assert isinstance(result, Request) and result.url == START + "1943/moved.htm"
    assert not may_refresh(_page(""), "utf-8") and may_refresh(_page(""), "cp500") and may_refresh(_page(""), "x-no")
