"""The page header, field by field: title, byline, date line, last updated and kind, each form in a
table of small hand-made pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crawler.extract import Catalogue, harvest
from models import Reject

CATALOGUE = Catalogue.from_json((Path(__file__).parent / "fixtures" / "authors.json").read_bytes())
BASE = "https://www.marxists.org/"
ARTICLE = "archive/baker/1922/04/article.htm"
CHAPTER = "archive/baker/1926/book/ch06.htm"
NO_AUTHOR = "subject/left-wing/group/1930/03.htm"  # a folder the catalogue names no author for
PROSE = ("<p class=\"fst\">The coalition has now lasted three years, and its record speaks for itself in every "
         "town and every workshop of the country, where the workers have learned what it means.</p>\n"
         "<p>Its record speaks for itself, and the workers will draw the lessons of it before long.</p>\n")
CONTENTS_LINK = '<p class="footer"><a href="index.htm">Contents</a></p>\n'


def _record(head: str, path: str = ARTICLE, tail: str = "") -> dict[str, Any]:
    body = f"<html><head><title>Page</title></head><body>\n{head}\n<hr />\n{PROSE}{tail}</body></html>"
    record = harvest(body.encode(), BASE + path, path, CATALOGUE)
    assert not isinstance(record, Reject), record
    data: dict[str, Any] = record.model_dump(mode="json")
    return data


def _date(record: dict[str, Any]) -> tuple[str, str | None] | None:
    date = record["date"]
    return (date["raw"], date["value"]) if date else None


TITLES = [
    ("note-superscript", '<h1>A Just War<sup class="anote"><a href="#1" name="1b">1</a></sup></h1>', ARTICLE, "",
     "A Just War"),
    ("note-superscript-paren", "<h1>Its Historical Significance<sup>1)</sup></h1>", ARTICLE, "",
     "Its Historical Significance"),
    ("note-bracketed-star", "<h1>A Title[*]</h1>", ARTICLE, "", "A Title"),
    ("note-link", '<h1>The Crisis in Europe<a href="#n2">[2]</a></h1>', ARTICLE, "", "The Crisis in Europe"),
    ("ordinal-superscript-kept", "<h1>The 1<sup>er</sup> Mai in Paris</h1>", ARTICLE, "", "The 1er Mai in Paris"),
    ("line-break-is-a-space", "<h1>Capitalist Exploitation in Indian Agriculture<br />Part I</h1>", ARTICLE, "",
     "Capitalist Exploitation in Indian Agriculture Part I"),
    ("bare-part-under-title", "<h1>What Communism Means</h1>\n<h4>Part IV</h4>", ARTICLE, "",
     "What Communism Means"),
    ("bare-chapter-then-its-name", "<h2>Tom Baker</h2>\n<h1>Chapter One</h1>\n<h2>Value as an Economic Category</h2>",
     CHAPTER, CONTENTS_LINK, "Chapter One Value as an Economic Category"),
    ("bare-chapter-under-book-title",
     "<h2>Tom Baker</h2>\n<h1>The Unbroken Thread</h1>\n<h4>Chapter 8</h4>\n<h3>Socialism in One Country</h3>",
     CHAPTER, CONTENTS_LINK, "Chapter 8 Socialism in One Country"),
    ("numbered-subtitle-of-dated-article",
     "<h2>Tom Baker</h2>\n<h1>Genoa and France</h1>\n<h4>II. Poincaré and his Bloc in Genoa</h4>\n"
     "<h3>(19 April 1922)</h3>", ARTICLE, "", "Genoa and France"),
    ("numbered-chapter-of-undated-book", "<h1>The Case for Socialism</h1>\n<h3>1: The Foaming Wave</h3>", CHAPTER, "",
     "1: The Foaming Wave"),
    ("section-under-chapter-heading",
     "<h1>Chapter VI.</h1>\n<h1>In the Strike Struggle</h1>\n<h2>1 -- The Fight Against Hunger</h2>", CHAPTER,
     CONTENTS_LINK, "Chapter VI. In the Strike Struggle"),
    ("title-over-two-h1-lower-case", "<h1>Rosa Luxemburg</h1>\n<h1>y el espontaneismo revolucionario</h1>",
     "espanol/guerin/1971/luxemburg/ch01.htm", "", "Rosa Luxemburg y el espontaneismo revolucionario"),
    ("title-over-two-h1-broken-off", "<h1>Controversial Questions in the</h1>\n<h1>Workers Party of America</h1>",
     ARTICLE, "", "Controversial Questions in the Workers Party of America"),
    ("second-h1-a-title-of-its-own", "<h1>Freeze: Profits Grow, Wages Lose</h1>\n<h1>A Socialist Plan Means More</h1>",
     ARTICLE, "", "Freeze: Profits Grow, Wages Lose"),
    ("delivered-heading-is-no-title",
     "<h2>V. I. Lenin</h2>\n<h3>Speech On The Nationalisation Of The Banks</h3>\n"
     "<h2>Delivered At A Meeting Of The Committee December 14(27), 1917</h2>", ARTICLE, "",
     "Speech On The Nationalisation Of The Banks"),
    ("date-on-the-last-line",
     "<h2>Tom Baker</h2>\n<h1>Report on Tactics and Strategy<sup>1</sup><br />\n"
     "<small><small>June 30, 1921</small></small></h1>", ARTICLE, "", "Report on Tactics and Strategy"),
    ("life-span-on-the-last-line-stays", "<h1>Life and Teachings of Engels<br />(1820-1895)</h1>", ARTICLE, "",
     "Life and Teachings of Engels (1820-1895)"),
    ("name-and-years-over-a-line-break", "<h1>Jane Doe<br>1874-1936</h1>", ARTICLE, "", "Jane Doe 1874-1936"),
]


@pytest.mark.parametrize(("head", "path", "tail", "expected"), [c[1:] for c in TITLES], ids=[c[0] for c in TITLES])
def test_title(head: str, path: str, tail: str, expected: str) -> None:
    assert _record(head, path, tail)["title"] == expected


def test_bare_part_under_title_stays_the_subtitle() -> None:
    assert _record("<h1>What Communism Means</h1>\n<h4>Part IV</h4>")["subtitle"] == "Part IV"


def test_chapter_under_book_title_names_its_book() -> None:
    record = _record("<h2>Tom Baker</h2>\n<h1>The Unbroken Thread</h1>\n<h4>Chapter 8</h4>\n"
                     "<h3>Socialism in One Country</h3>", CHAPTER, CONTENTS_LINK)
    assert record["part_of"] == {"title": "The Unbroken Thread", "url": BASE + "archive/baker/1926/book/index.htm"}


BYLINES = [
    ("name-then-book-title", "<h2>Thomas Baker:<br /> Böhm-Bawerk's Criticism of Marx</h2>\n<h1>Chapter One</h1>",
     ARTICLE, "Thomas Baker"),
    ("name-then-event", "<h2>Tom Baker<br />\n<small>Third Congress of the Communist International</small></h2>\n"
     "<h1>Report on Tactics</h1>", ARTICLE, "Tom Baker"),
    ("name-colon-book-title", "<h2>Tom Baker: A Worker Looks At History</h2>\n<h3>Chapter 1</h3>", ARTICLE,
     "Tom Baker"),
    ("pseudonym-note-kept", "<h2>Tom Baker<br />\n<small>(writing as William F. Warde)</small></h2>\n"
     "<h1>Roosevelt's Financial Problems</h1>", ARTICLE, "Tom Baker (writing as William F. Warde)"),
    ("two-names-one-to-a-line", "<h2>Ruth Ashdown<br />\nTom Baker</h2>\n<h1>The Strike</h1>", ARTICLE,
     "Ruth Ashdown Tom Baker"),
    ("organisation-above-title", "<h4>Group of International Communists</h4>\n<h1>Fundamental Principles</h1>",
     NO_AUTHOR, "Group of International Communists"),
    ("periodical-above-title-is-no-byline", "<h4>Notes of the Month</h4>\n<h1>Fundamental Principles</h1>",
     NO_AUTHOR, None),
    ("by-on-a-line-of-its-own", "<center><h1>History of the World Crisis</h1></center>\n<center>by</center>\n"
     "<center><b>J. C. MARIATEGUI</b></center>", ARTICLE, "J. C. MARIATEGUI"),
    ("by-and-name-in-a-heading", "<h3>The Trade Unions</h3>\n<h4>by Lance Sharkey.</h4>", ARTICLE, "Lance Sharkey"),
    ("by-and-initials", "<h3>The Trade Unions</h3>\n<h4>by L. L.</h4>", ARTICLE, "L. L."),
]


@pytest.mark.parametrize(("head", "path", "expected"), [c[1:] for c in BYLINES], ids=[c[0] for c in BYLINES])
def test_byline(head: str, path: str, expected: str | None) -> None:
    assert _record(head, path)["author"]["byline"] == expected


def test_periodical_above_title_stays_the_pretitle() -> None:
    record = _record("<h4>Notes of the Month</h4>\n<h1>Fundamental Principles</h1>", NO_AUTHOR)
    assert record["pretitle"] == "Notes of the Month"


DATES = [
    ("date-on-the-title-last-line",
     "<h1>Report on Tactics and Strategy<br />\n<small>June 30, 1921</small></h1>", ("June 30, 1921", "1921-06-30")),
    ("old-and-new-style-in-a-heading",
     "<h2>V. I. Lenin</h2>\n<h3>Speech On The Banks</h3>\n"
     "<h2>Delivered At A Meeting Of The Committee December 14(27), 1917<sup>[1]</sup></h2>",
     ("December 14(27), 1917", "1917-12-27")),
    ("delivered-note-over-two-lines",
     "<center><h1>History of the World Crisis</h1></center>\n"
     "<center><b>(Delivered to the People’s University,</b></center>\n"
     "<center><b>at the Student Federation hall, Lima, on June 15, 1923.)</b></center>",
     ("June 15, 1923", "1923-06-15")),
    ("bracketed-year-of-a-subtitle",
     "<h1>History of Trade Unionism</h1>\n<h3>from 1848 to the present day (1920)</h3>", ("1920", "1920")),
    ("year-in-running-words-is-no-date",
     "<h1>A Coup in Britain?</h1>\n<h4>Revelations of a 1968 Plot</h4>", ("1922/04", "1922-04")),
    ("year-ending-a-subtitle",
     "<h1>Strike Strategy</h1>\n<h3>Pamphlet issued by the Trade Union Educational League, 1926</h3>",
     ("1926", "1926")),
    ("old-and-new-style-with-a-slash", "<h1>On the Present Situation</h1>\n<h3>(October 11/24, 1917)</h3>",
     ("October 11/24, 1917", "1917-10-24")),
    ("span-of-days-under-the-title", "<h1>Tenth Congress of the R.C.P.(B.)</h1>\n<h4>March 8-16, 1921</h4>",
     ("March 8-16, 1921", "1921-03-08/1921-03-16")),
    ("bracketed-date-over-a-life-span",
     "<h1>A. Leon</h1>\n<h4>October 22, 1918-September, 1944</h4>\n<h3>(June 1947)</h3>", ("June 1947", "1947-06")),
    ("span-above-the-title-dates-something-else",
     "<h3>Seventh Congress</h3>\n<h2>MARCH 6-8, 1918</h2>\n<h3>Resolution On War And Peace</h3>",
     ("1922/04", "1922-04")),
    ("published-note-without-its-verb", "<h1>Party Work</h1>\n<h3>Published March-April 1928</h3>",
     ("March-April 1928", "1928-03/1928-04")),
]


@pytest.mark.parametrize(("head", "expected"), [c[1:] for c in DATES], ids=[c[0] for c in DATES])
def test_date(head: str, expected: tuple[str, str | None]) -> None:
    assert _date(_record(head)) == expected


LAST_UPDATED = [
    ("last-updated-on", '<p class="updat">Last updated on 27 June 2018</p>', "2018-06-27"),
    ("updated-on", '<p class="foot">Updated on 19 April 2020</p>', "2020-04-19"),
    ("last-up-dated-misprint", '<p class="foot">Last up dated on: <!-- WebWriter AutoDato -->23.8.2011<!-- WW --></p>',
     "2011-08-23"),
]


@pytest.mark.parametrize(("tail", "expected"), [c[1:] for c in LAST_UPDATED], ids=[c[0] for c in LAST_UPDATED])
def test_last_updated(tail: str, expected: str) -> None:
    assert _record("<h2>Tom Baker</h2>\n<h1>Labour and the War</h1>", tail=tail)["last_updated"]["value"] == expected


INTRODUCTION = ("<p>This pamphlet was issued by the League in the year of the great strike, when the militants "
                "of the unions turned against the policy of their leaders and fought for a class-struggle "
                "programme in every industry of the country, from the mines and the mills to the docks.</p>\n"
                "<p>It played a crucial role in turning militants away from the sects, and it is reprinted "
                "here in full with the foreword that the League printed with the second edition.</p>\n")
CHAPTER_LINKS = ('<p class="index"><a href="foreword.htm">Foreword</a><br />\n'
                 '<a href="ch01.htm">Chapter I. Strikes</a><br />\n'
                 '<a href="ch02.htm">Chapter II. Problems of Solidarity</a><br />\n'
                 '<a href="ch03.htm">Chapter III. Militant Leadership</a></p>\n')
SYNOPSES = "".join(
    f'{n}. <a href="ch0{n}.htm">{name}.</a> &mdash; The scope of the study, its use and its test, the '
    f"theories of history and the method outlined by Marx, with examples from the history of {name}.<br />\n"
    for n, name in enumerate(("Feudalism", "The Guilds", "The Merchants", "The Factory"), start=1))
KINDS = [
    ("contents-after-an-introduction", INTRODUCTION + CHAPTER_LINKS, "toc"),
    ("contents-before-an-introduction", CHAPTER_LINKS + INTRODUCTION, "toc"),
    ("contents-with-synopses", f"<p>{SYNOPSES}</p>\n", "toc"),
    ("numbered-lines-after-a-dash",
     INTRODUCTION + '<p class="indentb">1. &#8211; <a href="lenin.htm">Lenin</a><br />\n'
     '2. &#8211; <a href="trotsky.htm">Trotsky</a><br />\n3. &#8211; <a href="martov.htm">Martov</a></p>\n', "toc"),
    ("two-chapters-are-no-contents",
     INTRODUCTION + '<p><a href="ch01.htm">Chapter I</a><br />\n<a href="ch02.htm">Chapter II</a></p>\n', "work"),
    ("series-links-are-no-contents",
     '<p>[<a href="part1.htm">Continued from last issue</a>]</p>\n' + INTRODUCTION
     + '<p><a href="part3.htm">To be continued</a></p>\n', "work"),
    ("navigation-is-no-contents",
     INTRODUCTION + '<p class="footer"><a href="ch01.htm">Previous</a><br />\n<a href="index.htm">Index</a><br />\n'
     '<a href="ch03.htm">Next</a><br />\n<a href="ch04.htm">Last</a></p>\n', "work"),
    ("links-inside-a-sentence-are-no-contents",
     INTRODUCTION + '<p>See <a href="ch01.htm">the first</a>, <a href="ch02.htm">the second</a> and '
     '<a href="ch03.htm">the third</a> chapters of this book for the history of the League.</p>\n', "work"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in KINDS], ids=[c[0] for c in KINDS])
def test_kind(text: str, expected: str) -> None:
    head = "<h2>Tom Baker</h2>\n<h1>Strike Strategy</h1>\n<h3>(1926)</h3>"
    body = f"<html><head><title>Strike Strategy</title></head><body>\n{head}\n<hr />\n{text}</body></html>"
    path = "archive/baker/1926/strikes/index.htm"
    record = harvest(body.encode(), BASE + path, path, CATALOGUE)
    assert not isinstance(record, Reject)
    assert record.kind == expected
