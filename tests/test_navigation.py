"""Where a page leads: its links resolved as urljoin resolves them (the cheap path included), and the
contents page a chapter belongs to."""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import harvest_links
from crawler.extract.resolve import Resolver
from models import Work

EXACT = settings(max_examples=1500, deadline=None, database=None, derandomize=True)
BASES = [
    "https://www.marxists.org/archive/lenin/works/1917/apr/04.htm",
    "https://www.marxists.org/archive/lenin/works/",
    "https://www.marxists.org",
    "http://example.org:8080/a/b/c.html",
    "http://user@example.org/a/",
    "https://example.org/a//b/./c/../d.htm",
    "https://example.org/a;p/b.htm",
    "https://example.org/a/b.htm?q=1#top",
    "HTTPS://Example.org/A/b.htm",
    "file:///srv/archive/index.htm",
    "https://[::1]/a/b.htm",
    "https://example.org/caf%C3%A9/x.htm",
]
PIECES = ["a", "b.htm", "index.htm", ".", "..", "/", "//", "#", "#n1", "?", "?x=1", ":", ";", "%20", " ", "\t",
          "\n", "\\", "@", "[", "]", "~", "é", "http:", "https://example.org/", "mailto:x", "../", "./"]


def _expected(base: str, href: str) -> str | None:
    try:
        return urldefrag(urljoin(base, href))[0]
    except ValueError:
        return None  # a link urljoin cannot read leads nowhere


@given(st.sampled_from(BASES), st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join))
@EXACT
def test_resolver_is_urljoin_defragmented(base: str, href: str) -> None:
    assert Resolver(base)(href) == _expected(base, href)


@pytest.mark.parametrize(("href", "expected"), [
    ("05.htm", "https://www.marxists.org/archive/lenin/works/1917/apr/05.htm"),
    ("../../index.htm#top", "https://www.marxists.org/archive/lenin/works/index.htm"),
    ("../../../../../../x.htm", "https://www.marxists.org/x.htm"),
    ("/archive/index.htm", "https://www.marxists.org/archive/index.htm"),
    ("./", "https://www.marxists.org/archive/lenin/works/1917/apr/"),
    ("#n1", "https://www.marxists.org/archive/lenin/works/1917/apr/04.htm"),
    ("http://www.marxists.org/x.htm", "http://www.marxists.org/x.htm"),
    ("?page=2", "https://www.marxists.org/archive/lenin/works/1917/apr/04.htm?page=2"),
    ("javascript://[", None),
    ("//[x]/a.htm", None),
], ids=["sibling", "up-with-fragment", "above-the-root", "absolute-path", "folder", "fragment", "other-scheme",
        "query", "unbalanced-bracket", "bracketed-name"])
def test_resolver(href: str, expected: str | None) -> None:
    assert Resolver(BASES[0])(href) == expected


def test_page_links_and_contents_page() -> None:
    body = (b"<html><body><p class='toplink'><a href='index.htm'>Contents</a> | <a href='#n1'>1</a></p>"
            b"<h1>Chapter 2</h1><h3>(April 1917)</h3>"
            b"<p>The text of the chapter, which goes on for long enough to be read as the text of a work, "
            b"and links <a href='../../other.htm'>elsewhere</a>.</p>"
            b"<p><img src='x.png'><a href='mailto:x@example.org'>write</a></p></body></html>")
    record, links = harvest_links(body, BASES[0], "archive/lenin/works/1917/apr/04.htm")
    assert links == ["https://www.marxists.org/archive/lenin/works/1917/apr/index.htm",
                     "https://www.marxists.org/archive/lenin/works/other.htm"]
    assert isinstance(record, Work)
    assert record.part_of is not None
    assert record.part_of.url == links[0]
