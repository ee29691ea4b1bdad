"""Credits read from colophon labels and prose: one table of cases per rule, each case a line as
the archive prints it and the (role, name) pairs it credits."""

from __future__ import annotations

import pytest
from lxml import html

from crawler.extract.colophon import label_fields, read_colophon
from crawler.extract.credits import credit_names, credits_from, prose_credits
from crawler.extract.text import edit_distance, near_word

T, M, P, E, TR = "transcription", "markup", "proofreading", "editing", "translation"

PROSE = [
    ("etol", "Transcribed & marked up by Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("misspelled-swap", "Trasncribed by Jane Doe.", [(T, "Jane Doe")]),
    ("misspelled-swap-2", "Transcirbed & marked up by Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("misspelled-dropped-letter", "Transcried & marked up by Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("misspelled-wrong-letter", "Tramscribed by John Roe.", [(T, "John Roe")]),
    ("no-by", "Transcribed & marked up Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("no-by-one-role", "Transcribed John Roe.", [(T, "John Roe")]),
    ("by-glued-after", "Marked up byJane Doe for the Marxists’ Internet Archive.", [(M, "Jane Doe")]),
    ("by-glued-before", "Transcribed & marked upby Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("name-opening-with-by", "Transcribed by Byron Bywater.", [(T, "Byron Bywater")]),
    ("stammer-phrase", "Transcribed & marked up by marked up by Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("stammer-word", "Marked up up by Jane Doe for the Marxists’ Internet Archive.", [(M, "Jane Doe")]),
    ("marked-alone", "Transcribed & marked by Jane Doe for the Marxists’ Internet Archive.",
     [(T, "Jane Doe"), (M, "Jane Doe")]),
    ("compound-phrase", "Transcribed & minor corrections of translation by John Roe.",
     [(T, "John Roe"), (E, "John Roe")]),
    ("organisation-between", "Transcribed, edited & formatted for the Encyclopedia of Trotskyism On-Line (ETOL) "
     "by Ann Lee, Bob Ray and Cy Young.",
     [(r, n) for r in (T, E, M) for n in ("Ann Lee", "Bob Ray", "Cy Young")]),
    ("work-that-is-no-role", "Scanned and prepared for the Marxist Internet Archive by John Roe.", [(T, "John Roe")]),
    ("date-between", "Transcribed & marked up October 2012 by John Roe for the Marxists’ Internet Archive.",
     [(T, "John Roe"), (M, "John Roe")]),
    ("couple-sharing-surname", "Translated by Eden and Cedar Paul.", [(TR, "Eden Paul"), (TR, "Cedar Paul")]),
    ("from-language", "Translated from the French by Jo Bloggs.", [(TR, "Jo Bloggs")]),
    ("from-language-and-year", "Translated from Russian 1962, by Jo Bloggs.", [(TR, "Jo Bloggs")]),
    ("note-in-brackets", "Translation (from Spanish) by Jo Bloggs.", [(TR, "Jo Bloggs")]),
    ("is-by", "The translation is by Jo Bloggs.", [(TR, "Jo Bloggs")]),
    ("initial-kept", "Transcribed by Martin F.", [(T, "Martin F.")]),
    ("initials-kept", "Marked up by A.M. for the Marxists’ Internet Archive.", [(M, "A.M.")]),
    ("month-after-name", "Transcribed by Ted Crawford, September 2012.", [(T, "Ted Crawford")]),
    ("two-sentences", "Digitalized by Some Collective on January 23, 2011. Marked-up by Jo Bloggs for the Marxists "
     "Internet Archive.", [(T, "Some Collective"), (M, "Jo Bloggs")]),
    ("semicolon-clauses", "Digitalized by example.org; transcribed into HTML by Jo Bloggs for the Marxists Internet "
     "Archive", [(T, "Jo Bloggs")]),
    ("label-like-sentence", "Translated and Edited by Mike Baker: published by the Movement for Workers’ Councils.",
     [(TR, "Mike Baker"), (E, "Mike Baker")]),
    ("organisation", "Transcribed by the Prometheus Research Library.", [(T, "Prometheus Research Library")]),
    ("organisation-of", "Transcribed by the Socialist Party of Great Britain.",
     [(T, "Socialist Party of Great Britain")]),
    ("the-is-no-name", "Translated by the John Archer.", []),
    ("author-corrected-report", "Published according to the verbatim report corrected by Lenin", []),
    ("reviser-is-no-translator", "Translation revised by Jo Bloggs.", []),
    ("no-name", "Transcribed from tape recording.", []),
    ("a-source-not-a-person", "Translated from Quatrième Internationale.", []),
    ("publisher-is-no-credit", "Transcribed from the 1927 edition published by Pathfinder Press.", []),
    ("word-inside-another", "The unsigned editorial comment after this article is clearly by Hyndman.", []),
]


@pytest.mark.parametrize(("line", "expected"), [(c[1], c[2]) for c in PROSE], ids=[c[0] for c in PROSE])
def test_prose_credits(line: str, expected: list[tuple[str, str]]) -> None:
    assert sorted((c.role, c.name) for c in prose_credits(line)) == sorted(expected)


def test_prose_credit_keeps_its_sentence() -> None:
    credits = prose_credits("Typed by Ann Lee. Marked up by Bob Ray for the Marxists’ Internet Archive.")
    assert [(c.name, c.raw) for c in credits] == [
        ("Ann Lee", "Typed by Ann Lee"),
        ("Bob Ray", "Marked up by Bob Ray for the Marxists’ Internet Archive."),
    ]


LABELS = [
    ("plain", "Transcription", (None, [T])),
    ("combined", "Transcription/Editing/HTML Markup", (None, [T, E, M])),
    ("backslash", "Transcription\\HTML Markup", (None, [T, M])),
    ("misspelled-role", "Transciption", (None, [T])),
    ("misspelled-role-swap", "Trasncribed", (None, [T])),
    ("misspelled-field", "First Publshed", ("first_published", [])),
    ("not-a-misspelling", "Publisher", (None, [])),
    ("spaced", "Mark up", (None, [M])),
    ("language-qualifier", "English Translation/HTML Markup", (None, [TR, M])),
    ("ordinal-qualifier", "Second proofreading", (None, [P])),
    ("ordinal-two-words", "2nd Proof reading", (None, [P])),
    ("minor-editing", "Transcription/HTML Markup/Minor Editing", (None, [T, M, E])),
    ("corrections", "Transcription/Markup & corrections", (None, [T, M, E])),
    ("reformatted", "Reformatted", (None, [M])),
    ("copyedited", "Copyedited", (None, [E])),
    ("digitalisation", "Digitalisation, proof-reading & html markup", (None, [T, P, M])),
    ("role-then-words", "Translated from German by", (None, [TR])),
    ("another-translation", "Alternative translation", (None, [])),
    ("work-on-the-original", "Original Greek Transcription", (None, [])),
    ("an-edition", "This Edition", (None, [])),
    ("a-version", "Digital Version", (None, [])),
    ("transcription-source", "Trancription Source", ("source", [])),
]


@pytest.mark.parametrize(("label", "expected"), [(c[1], c[2]) for c in LABELS], ids=[c[0] for c in LABELS])
def test_label_fields(label: str, expected: tuple[str | None, list[str]]) -> None:
    assert label_fields(label) == expected


VALUES = [
    ("month-is-no-person", [T], "H. Antonn, April 2003", [(T, "H. Antonn")], 2003),
    ("month-alone", [M, P], "Maarten, May 2008", [(M, "Maarten"), (P, "Maarten")], 2008),
    ("months-between-names", [P], "Mike B., August 2003, Zdravko, October 2005",
     [(P, "Mike B."), (P, "Zdravko")], 2003),
    ("month-after-by", [P], "by Jo Bloggs, July 2009", [(P, "Jo Bloggs")], 2009),
    ("month-without-year", [M], "Maarten, May", [(M, "Maarten")], None),
    ("month-and-day", [M], "Maarten, June 12th", [(M, "Maarten")], None),
    ("month-like-surname", [M], "Rosa May", [(M, "Rosa May")], None),
    ("initial", [M], "Mike B.", [(M, "Mike B.")], None),
    ("footnote-mark", [T, M], "Steve Palmer **", [(T, "Steve Palmer"), (M, "Steve Palmer")], None),
    ("slash-between-names", [T], "Emil 1998, Francesco/Maarten 2008",
     [(T, "Emil"), (T, "Francesco"), (T, "Maarten")], 1998),
    ("body-kept-whole", [T], "Marxist-Leninist Translations and Reprints",
     [(T, "Marxist-Leninist Translations and Reprints")], None),
    ("periodical-kept-whole", [T], "Red & Black Notes", [(T, "Red & Black Notes")], None),
    ("library", [T, M], "Prometheus Research Library", [(T, "Prometheus Research Library"),
                                                         (M, "Prometheus Research Library")], None),
    ("the-library", [T], "the Prometheus Research Library", [(T, "Prometheus Research Library")], None),
    ("volunteer-names-not-shared", [T], "Zodiac and Brian Baggins", [(T, "Zodiac"), (T, "Brian Baggins")], None),
    ("words-before-by", [P], "and corrected (typos, a missing paragraph, etc.) by Jo Bloggs", [(P, "Jo Bloggs")], None),
    ("sentence-after-name", [TR], "Jo Bloggs in the Hispanic American Historical Review of August, 1966.",
     [(TR, "Jo Bloggs")], 1966),
    ("pseudonym-note", [TR], "by Jo Bloggs under the pseudonym John Roe", [(TR, "Jo Bloggs")], None),
    ("lower-case-phrase", [T, E], "Scanned from a pamphlet by Jo Bloggs, with slight editing for easier reading on "
     "the Internet, July 2007, edited by Ann Lee, February 2011.",
     [(T, "Jo Bloggs"), (E, "Jo Bloggs"), (E, "Ann Lee")], 2007),
    ("subcredit", [T, M], "Some Review magazine, additional copyediting by Ann Lee in 2012",
     [(T, "Some Review magazine"), (M, "Some Review magazine"), (E, "Ann Lee")], None),
    ("the-archive-is-no-credit", [T], "Marxists Internet Archive", [], None),
    ("placeholder", [P], "by [PLACEHOLDER]", [], None),
    ("unknown-then-name", [T, M], "unknown/B. Baggins", [(T, "B. Baggins"), (M, "B. Baggins")], None),
]


@pytest.mark.parametrize(("roles", "value", "expected", "year"), [c[1:] for c in VALUES],
                         ids=[c[0] for c in VALUES])
def test_credits_from_a_value(roles: list[str], value: str, expected: list[tuple[str, str]],
                              year: int | None) -> None:
    credits = credits_from(roles, value)
    assert sorted((c.role, c.name) for c in credits) == sorted(expected)
    assert (credits[0].year if credits else None) == year


SURNAMES = [
    ("couple", "Eden and Cedar Paul", True, ["Eden Paul", "Cedar Paul"]),
    ("not-for-volunteers", "Eden and Cedar Paul", False, ["Eden", "Cedar Paul"]),
    ("two-full-names", "Ann Lee and Bob Ray", True, ["Ann Lee", "Bob Ray"]),
    ("an-initial-is-no-forename", "J. and Cedar Paul", True, ["J.", "Cedar Paul"]),
    ("a-list-of-three", "Ann, Bob and Cy Young", True, ["Ann", "Bob", "Cy Young"]),
]


@pytest.mark.parametrize(("value", "shared", "expected"), [c[1:] for c in SURNAMES], ids=[c[0] for c in SURNAMES])
def test_shared_surname(value: str, shared: bool, expected: list[str]) -> None:
    assert credit_names(value, shared_surname=shared)[0] == expected


def _colophon(markup: str) -> list[tuple[str, str, str | None]]:
    block = html.fragment_fromstring(markup)
    colophon = read_colophon([block], "https://www.marxists.org/archive/x/1930/01/a.htm", None, "en")
    return [(c.role, c.name, c.raw) for c in colophon.credits]


def test_labelled_credit_keeps_label_and_value() -> None:
    assert _colophon('<p class="information"><span class="info">Transcription/HTML Markup:</span> '
                     'H. Antonn, April 2003<br><span class="info">Proofread:</span> Jo Bloggs</p>') == [
        (T, "H. Antonn", "Transcription/HTML Markup: H. Antonn, April 2003"),
        (M, "H. Antonn", "Transcription/HTML Markup: H. Antonn, April 2003"),
        (P, "Jo Bloggs", "Proofread: Jo Bloggs"),
    ]


def test_prose_colophon_credits_with_their_sentence() -> None:
    assert _colophon('<p class="info">From <strong>Labour Review</strong>, Vol. 3 No. 4, August 1958.<br>'
                     'Transcribed &amp; marked up <a href="x.htm">Jane Doe</a> for the '
                     '<strong>Marxists’ Internet Archive</strong>.</p>') == [
        (T, "Jane Doe", "Transcribed & marked up Jane Doe for the Marxists’ Internet Archive."),
        (M, "Jane Doe", "Transcribed & marked up Jane Doe for the Marxists’ Internet Archive."),
    ]


SPELLINGS = [
    ("swap", "trasncribed", "transcribed"),
    ("dropped", "transcried", "transcribed"),
    ("long-two-edits", "trancsription", "transcription"),
    ("other-ending", "transcriber", None),
    ("other-word", "translated", None),
    ("too-short", "typd", None),
    ("known", "transcribed", None),
]


@pytest.mark.parametrize(("word", "expected"), [c[1:] for c in SPELLINGS], ids=[c[0] for c in SPELLINGS])
def test_near_word(word: str, expected: str | None) -> None:
    assert near_word(word, ("transcribed", "transcription", "translated")) == expected


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("abc", "abc", 0), ("abc", "acb", 1), ("abc", "ab", 1), ("abc", "xyz", 3), ("abcdef", "a", 3),
], ids=["same", "swap", "deletion", "all-different", "capped"])
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=2) == min(distance, 3)
