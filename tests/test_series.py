"""Series: the part number, "to be continued" and the links between parts, one rule per row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from lxml import html

from crawler.extract import harvest
from crawler.extract.series import SeriesSigns, page_series, read_series_line, series_position
from models import Work

BASE = "https://www.marxists.org/"
FOLDER = "archive/baker/1943/06/"
PROSE = "The employers have answered the claim with a single word, and every steward knows its cost."


@dataclass(frozen=True)
class Case:
    id: str
    file: str = "wages.htm"
    title: str = "Wages and the War"
    page_title: str = "Thomas Baker: Wages and the War (June 1943)"
    header: str = ""  # lines between the title and the date line
    opening: str = ""  # lines between the colophon and the text
    middle: str = ""  # lines inside the text
    closing: str = ""  # lines after the text
    want: dict[str, Any] | None = None  # the series fields asserted; None: no series at all


def _page(case: Case) -> bytes:
    return (
        f"<html><head><title>{case.page_title}</title></head><body>\n"
        '<p class="toplink"><a href="../../index.htm">Baker</a></p>\n'
        f"<h2>Thomas Baker</h2>\n<h1>{case.title}</h1>\n{case.header}\n<h3>(June 1943)</h3>\n"
        '<p class="info">From <strong>The Weekly Worker</strong>, Vol. XX No. 25, 19 June 1943, p. 3.</p>\n'
        f"{case.opening}\n<p class=\"fst\">{PROSE}</p>\n{case.middle}\n<p>{PROSE}</p>\n{case.closing}\n"
        '<p class="updat">Last updated on 4.7.2019</p>\n</body></html>'
    ).encode()


def _next(name: str) -> str:
    return BASE + FOLDER + name


CASES = [
    # --- the part number ------------------------------------------------------------------
    Case("number-only-in-page-title", page_title="Thomas Baker: Wages and the War - 3 (June 1943)",
         want={"position": 3, "continued": False}),
    Case("dashed-roman-in-title", title="Wages and the War – II", want={"position": 2}),
    Case("dashed-number-opens-subtitle-in-page-title",
         page_title="Thomas Baker: Wages and the War – II. The Night Shift (June 1943)", want={"position": 2}),
    Case("part-word-ends-title", title="Wages and the War (Part Two)", want={"position": 2}),
    Case("part-abbreviated-in-page-title", page_title="Thomas Baker: Wages and the War, pt. I",
         want={"position": 1}),
    Case("part-word-opens-title", title="Part III: The Night Shift", want={"position": 3}),
    Case("installment-heading-opens-text", opening="<h3>Installment VII</h3>", want={"position": 7}),
    Case("part-headings-that-divide-the-text", opening="<h4>Part I</h4>", middle="<h4>Part II</h4>"),
    Case("heading-listing-parts", opening="<h4>Part 1 Part 2 Part 3</h4>"),
    Case("lecture-on-a-book-part", title="Lecture 9 Part V"),
    Case("chapter-split-over-pages", title="Chapter VI The Night Shift (Part 1)",
         closing='<p class="link"><a href="wages-b.htm">CONTINUED</a></p>',
         want={"position": 1, "continued": True, "next_url": _next("wages-b.htm")}),
    Case("bare-number-confirmed-by-file-name", file="wagewar2.htm", title="Wages and Prices 2",
         want={"position": 2}),
    Case("bare-roman-confirmed-by-continued", title="Wages and Prices II", closing="<p>(To be continued)</p>",
         want={"position": 2, "continued": True}),
    Case("bare-number-unconfirmed", title="Wages and Prices 2"),
    Case("bare-number-word-is-a-name", file="comm9.htm", title="The Commission of Nine"),
    Case("world-war-is-no-part", file="ww2.htm", title="Wages After World War II"),
    Case("numbered-heading-confirmed", file="wages2.htm", opening="<h4>II.</h4>",
         closing="<p>(To be continued)</p>", want={"position": 2, "continued": True}),
    Case("numbered-heading-of-a-chapter", file="wages11.htm", opening="<h4>XI.</h4>"),
    Case("file-name-alone-prints-no-number", file="wages1.htm",
         closing='<p class="c"><a href="wages2.htm">(To be continued)</a></p>',
         want={"position": None, "continued": True, "next_url": _next("wages2.htm")}),
    Case("date-file-name", file="29.htm", title="Wages and Prices 29"),
    # --- continued, concluded -----------------------------------------------------------------
    Case("continued-in-link-class", closing='<p class="link"><a href="wages4.htm">(To Be Continued)</a></p>',
         want={"continued": True, "next_url": _next("wages4.htm")}),
    Case("continued-from-in-link-class",
         opening='<p class="link"><a href="wages2.htm">(Continued from Last Issue)</a></p>',
         want={"continued": False, "previous_url": _next("wages2.htm")}),
    Case("concluded-in-next-issue",
         closing='<p class="c"><a href="wages5.htm"><strong>(Concluded in next issue)</strong></a></p>',
         want={"continued": True, "concluded": False, "next_url": _next("wages5.htm")}),
    Case("stray-spaces-and-points", closing="<p>( To be Continued . )</p>", want={"continued": True}),
    Case("marker-ending-a-paragraph", closing=f"<p>{PROSE} (to be continued in next issue)</p>",
         want={"continued": True, "next_url": None}),
    Case("marker-ending-a-paragraph-keeps-other-links",
         closing=f'<p>{PROSE} See <a href="../05/other.htm">the resolution</a>. (To be continued)</p>',
         want={"continued": True, "next_url": None}),
    Case("announced-next-part",
         closing='<p class="c">(The second part of this article will appear next week.)</p>',
         want={"position": None, "continued": True}),
    Case("announced-installment",
         opening="<p>EDITOR&#8217;S NOTE: The next installment will appear in the March issue.</p>",
         want={"continued": True}),
    Case("concluded-under-title", header="<h4>(Concluded)</h4>", want={"concluded": True, "continued": False}),
    Case("continued-heading-opens-text", opening="<h4>(Continued)</h4>",
         want={"marker": "Continued", "continued": False}),
    Case("conclusion-is-a-section", middle="<h4>Conclusion</h4>"),
    Case("conclusion-in-brackets", closing="<h4>(Conclusion)</h4>", want={"concluded": True}),
    Case("ordinary-article"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_series(case: Case) -> None:
    path = FOLDER + case.file
    record = harvest(_page(case), BASE + path, path)
    assert isinstance(record, Work)
    if case.want is None:
        assert record.series is None
        return
    assert record.series is not None
    got = record.series.model_dump()
    assert {key: got[key] for key in case.want} == case.want


def test_contents_page_takes_no_number_from_its_title() -> None:
    """A series' contents page often carries its first part's <title>; it is not that part."""
    signs = SeriesSigns(opening_headings=["Installment I Installment II Installment III"])
    kwargs: dict[str, Any] = {"title": "Father Coughlin", "page_title": "J. Hansen: Father Coughlin - 1 (June 1939)",
                              "subtitle": None, "sections": [], "text": [], "notes": [],
                              "page_id": "archive/hansen/1939/06/coughlin.html", "url": BASE}
    assert page_series(signs, kind="toc", **kwargs) is None
    part = page_series(SeriesSigns(), kind="work", **kwargs)
    assert part is not None and part.position == 1


@pytest.mark.parametrize(("title", "page_title", "file", "want"), [
    ("Wages and the War", "T. Baker: Wages and the War - 12 (1943)", "wages.htm", 12),
    ("Wages – 1917", "", "wages.htm", None),  # four figures: a year, not a part
    ("Wages and Prices IIII", "", "wages4.htm", None),  # not a Roman numeral
    ("Wages and Prices 3", "", "wages-3.htm", 3),
    ("Wages and Prices 1", "", "wages-14-1.htm", None),  # a day and month in the file name
], ids=["dashed-two-figures", "dashed-year", "invalid-roman", "file-hyphen", "file-date"])
def test_series_position(title: str, page_title: str, file: str, want: int | None) -> None:
    assert series_position(SeriesSigns(), title, page_title, None, [], FOLDER + file) == want


@pytest.mark.parametrize(("text", "opening", "fields"), [
    ("(To be continued)", False, {"continued": True}),
    ("[To Be Continued]", False, {"continued": True}),
    ("(Continued in the next issue)", False, {"continued": True}),
    ("(Continued from last issue)", True, {"continues": True}),
    ("(Continued)", True, {"continues": True}),
    ("CONTINUED", False, {"continued": True}),
    ("(Concluded)", False, {"concluded": True}),
    ("(The second of a series of articles)", True, {"position": 2}),
    ("Third and last of three articles", True, {"position": 3, "concluded": True}),
], ids=["to-be-continued", "brackets", "continued-in-next", "continued-from", "continued-opening",
        "continued-closing", "concluded", "series-marker", "last-of-three"])
def test_series_line(text: str, opening: bool, fields: dict[str, Any]) -> None:
    signs = SeriesSigns()
    assert read_series_line(signs, text, html.fromstring(f"<p>{text}</p>"), opening)
    assert {key: getattr(signs, key) for key in fields} == fields


@pytest.mark.parametrize("text", ["Conclusion", "Top of the page", "The continued growth of the union",
                                  "The End of the Truce"],
                         ids=["section-heading", "navigation", "sentence", "title-with-end"])
def test_not_a_series_line(text: str) -> None:
    signs = SeriesSigns()
    read_series_line(signs, text, html.fromstring(f"<p>{text}</p>"), opening=False)
    assert not signs.shows_part() and signs.position is None
