"""Hostile pages: characters XML cannot carry never reach a record (and are counted), and a page
the parser cannot read whole is read again flattened, or rejected with a stable code, never an
empty record."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crawler.extract import Fetch, Harvest, harvest, harvest_links, harvest_page
from crawler.extract import document as document_module
from crawler.extract.vocab import BODY_LOST_MIN_TEXT
from models import Reject, Work

BASE = "https://www.marxists.org/"
PATH = "archive/baker/1943/xx/war.htm"
FETCH = Fetch(fetched_at="2024-01-01T00:00:00Z")
# What XML 1.0 forbids: C0 controls but TAB, LF, CR; DEL; C1 controls; U+FFFE, U+FFFF; surrogates.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
PROSE = "The coalition has now lasted three years, and its record speaks for itself. " * 8


def _page(title: str = "Labour and the War", text: str = "The coalition has now lasted three years.",
          transcriber: str = "Ted Fielding") -> str:
    return (
        "<html><head><title>Tom Baker: Labour and the War (1943)</title></head><body>\n"
        '<p class="toplink"><a href="../../index.htm">Baker</a></p>\n'
        f"<h1>{title}</h1>\n<h3>(Spring 1943)</h3>\n"
        '<p class="info">From <strong>Workers Quarterly</strong>, Vol. 8 No. 2, Spring 1943.<br />\n'
        f"Transcribed by {transcriber}.</p>\n"
        f'<p class="fst">{text}</p>\n<p>Its record speaks for itself.</p>\n'
        "</body></html>"
    )


def _harvest(body: bytes) -> Harvest:
    return harvest_page(body, BASE + PATH, PATH, fetch=FETCH)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _forbidden(record: Any) -> list[str]:
    return [match for s in _strings(record.model_dump(mode="python")) for match in FORBIDDEN.findall(s)]


def _credit(record: Work) -> str:
    return record.credits[0].name


# --- characters XML cannot carry ---------------------------------------------------------------

@pytest.mark.parametrize(("page", "field", "expected", "removed"), [
    (_page(title="Labour\x01 and the\x1f War"), "title", "Labour and the War", 2),
    (_page(text="The coalition has\x7f now lasted three years.\x08"), "text", "The coalition has now", 2),
    (_page(transcriber="Ted\x07 Fielding\x1b"), "credit", "Ted Fielding", 2),
    (_page(text="three\x0cyears"), "text", "three years", 1),
    (_page(text="The\ufffe coalition\uffff lasted"), "text", "The coalition lasted", 2),
    (_page(text="The\x85 coalition\x9f lasted"), "text", "The coalition lasted", 2),
    (_page(title="Labour&#1; and the&#x1F; War"), "title", "Labour and the War", 2),
    (_page(text="The coalition has&#x7f; now&#127; lasted"), "text", "The coalition has now lasted", 2),
    (_page(transcriber="Ted&#0000007; Fielding&#x00B;"), "credit", "Ted Fielding", 2),
    (_page(text="three&#12;years"), "text", "three years", 1),
    (_page(text="The&#1 coalition&#65535; lasted&#xFFFE;"), "text", "The coalition lasted", 3),
    (_page(text="The&#x81; coalition&#157; lasted"), "text", "The coalition lasted", 2),
], ids=["c0-title", "del-text", "c0-colophon", "form-feed-is-a-space", "fffe-ffff-text", "c1-text",
        "entity-c0-title", "entity-del-text", "entity-leading-zeros-colophon", "entity-form-feed",
        "entity-no-semicolon-and-nonchars", "entity-undefined-cp1252"])
def test_forbidden_characters_are_removed_and_counted(page: str, field: str, expected: str, removed: int) -> None:
    result = _harvest(page.encode("utf-8"))
    record = result.record
    assert isinstance(record, Work), record
    value = _credit(record) if field == "credit" else getattr(record, field)
    assert value.startswith(expected) if field == "text" else value == expected
    assert _forbidden(record) == []
    assert result.removed_characters == removed


@pytest.mark.parametrize(("text", "expected"), [
    ("pp.&#150;14 &#x93;quoted&#x94;", "pp.–14 “quoted”"),
    ("tab&#9;and newline&#10;stay", "tab and newline stay"),
    ("&#65;&#x42;C", "ABC"),
], ids=["cp1252-references", "whitespace-references", "ascii-references"])
def test_references_that_are_text_stay(text: str, expected: str) -> None:
    result = _harvest(_page(text=text).encode("utf-8"))
    assert isinstance(result.record, Work)
    assert result.record.text.startswith(expected)
    assert result.removed_characters == 0


@pytest.mark.parametrize(("body", "expected", "removed"), [
    (b"Malm\xf6 \x81and\x8d the\x8f war\x90 of\x9d 1943", "Malmö and the war of 1943", 5),
    (b"\x93quoted\x94 \x96 dash\x81", "“quoted” – dash", 1),
], ids=["all-five-undefined", "defined-kept-undefined-removed"])
def test_cp1252_undefined_bytes_are_removed(body: bytes, expected: str, removed: int) -> None:
    page = _page(text="@").encode("cp1252").replace(b"@", body)
    result = _harvest(page)
    assert isinstance(result.record, Work)
    assert result.record.provenance.encoding == "cp1252"
    assert result.record.text.startswith(expected)
    assert _forbidden(result.record) == []
    assert result.removed_characters == removed


def test_a_clean_page_removes_nothing() -> None:
    assert _harvest(_page().encode()).removed_characters == 0


def test_wrappers_agree_with_harvest_page() -> None:
    body = _page(title="Labour\x01 and the War").encode()
    result = _harvest(body)
    assert harvest(body, BASE + PATH, PATH, fetch=FETCH) == result.record
    assert harvest_links(body, BASE + PATH, PATH, fetch=FETCH) == (result.record, result.links)
    assert result.links == [BASE + "archive/baker/index.htm"]


# --- pages the parser cannot read whole -----------------------------------------------------------

def _nest(opening: str, closing: str, times: int) -> bytes:
    return ("<html><head><title>Deep</title></head><body><h1>A Deep Page</h1>"
            + opening * times + f"<p>{PROSE}</p>" + closing * times
            + "<p>After the nest the text goes on.</p></body></html>").encode()


@pytest.mark.parametrize("body", [
    _nest("<div>", "</div>", 100_000),
    _nest("<span>", "</span>", 100_000),
    _nest("<blockquote>", "</blockquote>", 20_000),
    _nest("<ul><li>", "</li></ul>", 20_000),
    _nest("<table><tr><td>", "</td></tr></table>", 20_000),
    _nest("<font size='2'>", "", 20_000),
    _nest("<div><b>", "</b></div>", 20_000),
], ids=["div-100000", "span-100000", "blockquote", "list", "table", "unclosed-font", "div-b"])
def test_deep_nesting_is_read_flattened(body: bytes) -> None:
    record = _harvest(body).record
    assert isinstance(record, Work), record
    assert record.text.startswith(PROSE.strip())
    assert record.text.endswith("After the nest the text goes on.")


def test_text_after_the_document_end_is_read() -> None:
    body = ("<html><body><h1>A Page</h1><p>First.</p></body></html>"
            f"<p>{PROSE}</p><p>Last words.</p>").encode()
    record = _harvest(body).record
    assert isinstance(record, Work), record
    assert record.text.endswith("Last words.")


def test_body_lost_when_a_read_keeps_too_little() -> None:
    # What parse_page checks of each read, the fallback's included: no page of HTML is known that
    # the flattened read loses too, so the check and its error are exercised on a read that lost
    # its body (a nest past the first parser's 256 levels, read without the fallback).
    text = ("<html><body><h1>A Page</h1><p>First.</p>" + "".join(f"<x{i}>" for i in range(300))
            + f"<p>{PROSE}</p></body></html>")
    read = document_module._read(text, document_module._PARSER)
    assert document_module._lost(text, read)
    error = document_module.body_lost(text, read)
    assert error.code == "body_lost"
    assert re.fullmatch(r"the parsed page keeps \d+ of the \d+ characters of text the document holds",
                        error.message)
    # The fallback reads it all (300 levels are within WALK_MAX_DEPTH).
    record = _harvest(text.encode()).record
    assert isinstance(record, Work), record
    assert record.text.endswith(PROSE.strip())


@pytest.mark.parametrize("levels", [600, 100_000])
def test_distinct_elements_nested_past_the_walk_are_too_deep(levels: int) -> None:
    # No element repeats, so flattening cannot unwrap the nest: deeper than the tree walk goes.
    body = ("<html><body><h1>A Deep Page</h1>" + "".join(f"<x{i}>" for i in range(levels))
            + f"<p>{PROSE}</p></body></html>").encode()
    result = _harvest(body)
    assert isinstance(result.record, Reject)
    assert (result.record.stage, result.record.code) == ("extract", "too_deep")
    assert result.removed_characters == 0


@pytest.mark.parametrize("body", [
    _nest("<div>", "</div>", 250),
    _nest("<ul><li>", "</li></ul>", 120),
], ids=["div-250", "list-120"])
def test_the_deepest_tree_the_parser_builds_is_read(body: bytes) -> None:
    record = _harvest(body).record
    assert isinstance(record, Work), record
    assert record.text.endswith("After the nest the text goes on.")


@pytest.mark.parametrize(("body", "kind"), [
    (b"<html><body></body></html>", "other"),
    (b"<html><head><title>Nothing</title></head><body><p>&nbsp;</p><div></div></body></html>", "other"),
    (("<html><body>" + "<div>" * 100_000 + "</div>" * 100_000 + "</body></html>").encode(), "other"),
    (("<html><body><h1>Short</h1>" + "<div>" * 1_000 + "x " * (BODY_LOST_MIN_TEXT // 4)
      + "</body></html>").encode(), "other"),
], ids=["empty", "blank", "empty-nest", "little-text-lost"])
def test_pages_with_little_text_are_no_reject(body: bytes, kind: str) -> None:
    record = _harvest(body).record
    assert not isinstance(record, Reject), record
    assert record.kind == kind


def test_an_empty_body_is_still_rejected() -> None:
    record = _harvest(b"  \n").record
    assert isinstance(record, Reject)
    assert record.code == "empty_body"


def test_a_text_node_past_the_parser_limit_is_read() -> None:
    # The parser keeps a text node of at most 10,000,000 characters unless told otherwise.
    body = ("<html><body><h1>A Long Page</h1><p>" + "word " * 2_000_100 + "</p><p>Last words.</p></body></html>")
    record = _harvest(body.encode()).record
    assert isinstance(record, Work), record
    assert record.word_count > 2_000_000
    assert record.text.endswith("Last words.")


# --- links no URL parser can read --------------------------------------------------------------

UNREADABLE = ["javascript://[", "http://[::1", "//[x]/a.htm", "http://a]b/"]


def _linked_part(bad: str) -> str:
    # The unreadable link stands in every place a link is read: the contents link, the licence, the
    # links to the next and previous parts, and the page's link list.
    return (
        "<html><head><title>Tom Baker: Labour and the War - 2 (1943)</title></head><body>\n"
        f'<p class="toplink"><a href="{bad}">Contents</a> | <a href="../../index.htm">Baker</a></p>\n'
        "<h1>Labour and the War</h1>\n<h3>(Spring 1943)</h3>\n"
        '<p class="info">From <strong>Workers Quarterly</strong>, Spring 1943.<br />\n'
        f'Transcribed by Ted Fielding.<br />\n<a href="{bad}/licenses/by-sa/2.0/">Creative Commons</a></p>\n'
        f'<p class="fst">{PROSE}</p>\n<p>To be continued</p>\n'
        f'<p><a href="{bad}">Previous</a> | <a href="{bad}">Next</a> | <a href="war3.htm">Part 3</a></p>\n'
        "</body></html>"
    )


def _contents(bad: str) -> str:
    return (
        "<html><head><title>Tom Baker Internet Archive</title></head><body>\n"
        "<h1>Tom Baker Archive</h1>\n<h3>Works</h3>\n"
        f'<p><a href="{bad}">Labour and the War</a>, Spring 1943</p>\n'
        '<p><a href="1943/xx/war.htm">Labour and the War</a>, Spring 1943</p>\n'
        '<p><a href="1944/02/jail.htm">In Jail</a>, February 1944</p>\n'
        '<p><a href="1944/03/out.htm">Out of Jail</a>, March 1944</p>\n'
        "</body></html>"
    )


@pytest.mark.parametrize("bad", UNREADABLE)
def test_unreadable_links_lead_nowhere(bad: str) -> None:
    result = _harvest(_linked_part(bad).encode())
    record = result.record
    assert isinstance(record, Work), record
    assert record.title == "Labour and the War"
    assert record.series is not None and record.series.next_url is None and record.series.previous_url is None
    assert record.part_of is None
    assert record.licence.status == "copyleft" and record.licence.url is None
    assert result.links == [BASE + "archive/baker/index.htm", BASE + "archive/baker/1943/xx/war3.htm"]


@pytest.mark.parametrize("bad", UNREADABLE)
def test_contents_pages_skip_unreadable_entries(bad: str) -> None:
    result = harvest_page(_contents(bad).encode(), BASE + "archive/baker/index.htm", "archive/baker/index.htm",
                          fetch=FETCH)
    record = result.record
    assert record.kind == "author_index", record
    assert [entry.url for entry in record.entries] == [
        BASE + "archive/baker/1943/xx/war.htm", BASE + "archive/baker/1944/02/jail.htm",
        BASE + "archive/baker/1944/03/out.htm"]


def test_a_volume_number_of_thousands_of_digits_is_read_as_no_number() -> None:
    # int() refuses more than 4,300 digits: the page is still read, its volume no number.
    body = ("<html><head><title>A Work</title></head><body><h1>A Work</h1><p class='information'>"
            f"<span class='info'>Source:</span> The Militant, Vol. {'9' * 5000} No. 2, 12 May 1934</p>"
            f"<p>{PROSE}</p></body></html>").encode()
    record = _harvest(body).record
    assert isinstance(record, Work), record
    assert record.citation is not None
    assert record.citation.volume_number is None
    assert record.citation.issue_number == 2
