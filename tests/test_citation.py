"""Citations: a source statement as the archive prints it -> container, volume, issue, date and
pages; and which unlabelled colophon lines are source statements at all."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import html

from crawler.extract.citation import first_sentence, is_source_statement, number_of, parse_citation
from crawler.extract.colophon import read_colophon

CITATIONS: list[tuple[str, str, list[str], dict[str, Any]]] = [
    ("etol-periodical", "From The Militant, Vol. X No. 24, 15 June 1946, p. 3.", ["The Militant"],
     {"container_title": "The Militant", "volume": "X", "issue": "24", "date": "1946-06-15", "pages": "3"}),
    ("book-after-author", 'Jane Doe "A Short History of the Movement", Some Press, 1935', [],
     {"container_title": "A Short History of the Movement", "date": "1935", "pages": None}),
    ("book-after-two-authors", "Ann and Bob Lee, “Thoughts on Working Class Education” Pamphlet, 1918, 31pp;", [],
     {"container_title": "Thoughts on Working Class Education", "date": "1918"}),
    ("book-after-and-others", "Jane Doe and Others “Writings on the Question”, Some Press, 1980, pp. 7–9.", [],
     {"container_title": "Writings on the Question", "date": "1980", "pages": "7–9"}),
    ("book-after-and-others-unquoted", "Smith, Jones and others, Essays on the Movement, Some Press, 1977, pp. 73–82.",
     [], {"container_title": "Essays on the Movement", "pages": "73–82"}),
    ("article-after-author", "Jane Doe, “The Workers and the Nation”, The Review, Vol. 4 No. 2, Winter 1977, "
     "pp. 15-17", [], {"container_title": "The Review", "volume": "4", "issue": "2", "pages": "15-17"}),
    ("column-before-periodical", "Published in the “In This Corner” column of The Militant, Vol. X No. 24, "
     "15 June 1946, p. 3.", [],
     {"container_title": "The Militant", "volume": "X", "issue": "24", "date": "1946-06-15", "pages": "3"}),
    ("column-named-after", "From the column “Two Worlds” in News & Letters, January 1961.", [],
     {"container_title": "News & Letters", "date": "1961-01"}),
    ("emphasised-column", "From “Two Worlds” column, News & Letters, January 1961.",
     ["Two Worlds", "News & Letters"], {"container_title": "News & Letters", "date": "1961-01"}),
    ("emphasised-column-in-published-in", "Published in the In This Corner column of The Militant, 15 June 1946.",
     ["In This Corner", "The Militant"], {"container_title": "The Militant", "date": "1946-06-15"}),
    ("publisher-is-no-container", "Published by the Socialist Workers Party, 1946.", [],
     {"container_title": None, "date": "1946"}),
]


@pytest.mark.parametrize(("raw", "emphasis", "expected"), [c[1:] for c in CITATIONS], ids=[c[0] for c in CITATIONS])
def test_parse_citation(raw: str, emphasis: list[str], expected: dict[str, Any]) -> None:
    citation = parse_citation(raw, emphasis, None, "en").model_dump()
    citation["date"] = (citation["date"] or {}).get("value")
    assert {key: citation[key] for key in expected} == expected


NOTES = ("Next let us turn to the critic. This writer quotes from the second edition of Capital, in which "
         "(p. 186) the passage cited reads otherwise. " + "The argument goes on at length here. " * 8
         + "Thereafter (writing in Die Neue Zeit of December 23, 1899) the critic continues.")

STATEMENTS = [
    ("short-citation", "Justice, 22 September 1900, p.3.", True),
    ("short-citation-broken-by-abbreviation", "E. Belfort Bax, Organisation vs. Principle I, Justice, "
     "11th February 1915, p.2.", True),
    ("long-note-dated-first", "First published in Dutch in a council communist journal No. 3 1938. "
     + "It was later translated and published again. " * 10, True),
    ("paragraph-of-notes", NOTES, False),
    ("no-publication", "A short note about the text.", False),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in STATEMENTS], ids=[c[0] for c in STATEMENTS])
def test_is_source_statement(text: str, expected: bool) -> None:
    assert is_source_statement(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("From The Militant, Vol. III No. 33, 15 November 1930, p. 5. Reprinted in a book.",
     "From The Militant, Vol. III No. 33, 15 November 1930, p. 5."),
    ("J. Posadas wrote it. Then more.", "J. Posadas wrote it."),
    ("Part II. The end", "Part II. The end"),
], ids=["abbreviations", "initial", "roman-numeral"])
def test_first_sentence(text: str, expected: str) -> None:
    assert first_sentence(text) == expected


def _citation(markup: str) -> dict[str, Any] | None:
    block = html.fragment_fromstring(markup)
    colophon = read_colophon([block], "https://www.marxists.org/archive/x/1904/a/ch01.htm", None, "en")
    return colophon.citation.model_dump() if colophon.citation else None


def test_a_book_the_notes_mention_is_no_citation() -> None:
    markup = f'<p class="information">{NOTES.replace("Capital", "<em>Capital</em>")}</p>'
    assert _citation(markup) is None


def test_a_source_sentence_is_a_citation() -> None:
    citation = _citation('<p class="info">From <strong>Socialist Review</strong>, No. 41, April 1982, '
                         'pp. 32–33.<br>Transcried &amp; marked up by Jane Doe for the Marxists’ Internet '
                         'Archive.</p>')
    assert citation is not None
    assert (citation["container_title"], citation["issue"], citation["pages"]) == ("Socialist Review", "41", "32–33")


@pytest.mark.parametrize(("text", "expected"), [
    ("22", 22), ("XIV", 14), ("x", 10), ("٣", 3),  # Arabic-Indic three: a decimal digit
    ("²", None),  # a superscript is a digit, not a decimal one: int() cannot read it
    ("1" * 9, 111_111_111), ("1" * 10, None), ("1" * 5000, None),  # no volume has ten digits
    ("", None), (None, None), ("IIII", None), ("12a", None),
])
def test_number_of(text: str | None, expected: int | None) -> None:
    assert number_of(text) == expected


def test_a_volume_of_thousands_of_digits_is_no_number() -> None:
    citation = parse_citation(f"The Militant, Vol. {'9' * 5000} No. 2, 12 May 1934", [], None, "en")
    assert citation.volume_number is None
    assert citation.issue_number == 2
