"""The vocabulary's cheap tests say what its patterns say: a pattern behind a lookahead for its
opening characters matches as its bare form does, and each quick test before a pattern holds for
every text the pattern matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract import vocab
from crawler.extract.body import is_separator, opens_editorial_note, opens_last_updated
from crawler.extract.dates import ends_range_start, ends_with_qualifier
from crawler.extract.memo import forget
from crawler.extract.series import ends_in_number, opens_series_line

EXACT = settings(max_examples=400, deadline=None, database=None, derandomize=True)
# Words of the patterns and what sits around them, with the characters case-insensitive matching
# folds in (the long s, the dotless i, the dotted capital I, the Kelvin sign).
WORDS = ["to", "be", "continued", "Concluded", "CONTINUED", "from", "next", "week", "the", "end", "fin", "finis",
         "conclusion", "à", "suivre", "Fortsetzung", "folgt", "contınued", "ſeptember", "İn", "K", "note", "Editor's",
         "Note:", "by", "ETOL", "mia", "translator's", "Last", "updated", "up", "dated", "on", "approx.", "circa", "?",
         "©", "(c)", "copyright", "Copyright", "permission", "of", "reprinted", "with", "kind", "all", "rights",
         "reserved", "public", "domain", "copyleft", "creative", "commons", "free", "documentation", "licence",
         "March", "Sept.", "spring", "Winter", "8", "16", "1921", "19o5", "1920s", "14.6.2013", "–", "—", "-", "/",
         "Part", "III", "pt.", "Teil", "II", "1", "12", "War", "Reflections", "transcribed", "Transcription",
         "marked", "proofread", "html", "markup", "edited", "translated", "corrections", "minor", "additional",
         "thanks", "courtesy", "for", "in", "(1915)", "(", ")", "[", "]", ",", ";", ":", ".", "*", "•", "x", "×", "#",
         "=", "restricted", "directory", "page", "moved", "not", "found"]
SPACES = [" ", "  ", "\n", "\t", "\xa0", ""]
TEXT = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=8).map(
    lambda pairs: "".join(word + space for word, space in pairs))
OPENED = [name for name in dir(vocab)
          if isinstance(getattr(vocab, name), re.Pattern) and getattr(vocab, name).pattern.startswith("(?=[")]
LOOKAHEAD = re.compile(r"^\(\?=\[[^\]]*\]\)(?:\(\?=[^()]*\))?\(\?:(?P<bare>.*)\)$", re.S)


MONTHS = ["January", "Feb.", "March", "April", "May", "June", "July", "August", "Sept.", "October", "November",
          "December"]
# For each pattern behind a lookahead, a text for each of its alternatives (each opening in its own way).
EXAMPLES: dict[str, list[str]] = {
    "COPYRIGHT": ["©", "(c) 1998", "copyright by", "reprinted with permission", "by kind permission of",
                  "kind permission from", "permission of", "all rights reserved", "with the kind permission"],
    "PLACEHOLDER_TITLES": ["not found", "restricted directory", "page moved", "moved permanently"],
    "ROLE_HINT": ["transcribed", "translated", "markup", "proofread", "edited", "formatted", "typed", "scanned",
                  "converted", "checked", "digitised", "ocr", "corrections", "html"],
    "CREDIT_DATE": ["(April 2003)", "12 April 2003", "Spring 1999", "summer 1999", "autumn 1999", "fall 1999",
                    "winter 1999", *(f"{month} 1999" for month in MONTHS)],
    "PART_IN_TITLE": ["Part 2", "pt. II", "pt 3", "Teil 1", "parte 2", "partie 3", "Installment VII", "instalment 2"],
    "PUBLIC_DOMAIN": ["public domain", "pubic domain", "dominio público", "domaine public", "pubblico dominio",
                      "completely free", "freely copy", "common deed"],
    "COPYLEFT": ["copyleft", "copy-left", "creative commons", "free documentation licence"],
    "LICENCE_HINT": ["public domain", "copyleft", "creative commons"],
    "SAYS_PUBLIC_DOMAIN": ["public domain", "pubic domain", "dominio publico", "domaine public"],
    "SUBCREDIT": [", edited by", "; edited by", ". edited by", " edited by", "copy-edited by", "copyediting by",
                  "proofread by", "proof-read by", "proofed by", "transcribed by", "marked up by", "translated by",
                  "html markup by", "formatted by", "corrections by", "additional edited by", "minor corrections by",
                  "further proofread by"],
    "NAME_STOP": [" for the Marxists", " at MIA", " from ETOL", " on behalf of X", " courtesy X", ", with thanks",
                  " thanks to", " courtesy of", " by kind permission", " in 1999", " (", "[", ";", ": ", ". ", ".",
                  " - ", " – "],
    "HAS_YEAR": ["1917", "2001", "19o5"],
    "PROSE_CREDIT_BY": [f"{role} by Jane Doe" for role in (
        "transcribed", "transcription", "marked up", "marked", "xhtml markup", "html mark-up", "markup",
        "re-formatted", "formatted", "proofread", "proofreading", "proofed", "proofing", "copy-edited",
        "copyediting", "edited", "editing", "translated", "translation", "typed", "scanned", "converted",
        "checked", "digitised", "ocr'd", "corrections", "prepared", "annotated", "compiled", "revised", "produced",
        "minor corrections", "additional editing", "further proofreading", "original transcription",
        "some editing", "final proofreading", "second proofreading")],
    "DATE_IN_TEXT": ["March 8-16, 1921", "8 (21) March 1917", "March 8, 1921", "1921-03-08", "8.3.1921", "1920s",
                     "1921", *(f"{month} 1921" for month in MONTHS),
                     *(f"{season} 1921" for season in ("Spring", "summer", "autumn", "fall", "Winter"))],
}
AROUND = ["", "Some text ", "  ", "(", "—", "x", "2"]


def test_the_patterns_behind_a_lookahead() -> None:
    assert set(EXAMPLES) == set(OPENED)


@pytest.mark.parametrize("name", OPENED)
def test_a_lookahead_lets_every_alternative_match(name: str) -> None:
    pattern = getattr(vocab, name)
    bare = re.compile(LOOKAHEAD.fullmatch(pattern.pattern)["bare"], pattern.flags)  # type: ignore[index]
    for example in EXAMPLES[name]:
        assert bare.match(example), example
        for before in AROUND:
            text = f"{before}{example} tail"
            assert [(m.span(), m.groups()) for m in pattern.finditer(text)] == \
                [(m.span(), m.groups()) for m in bare.finditer(text)], text


@pytest.mark.parametrize("name", OPENED)
@given(text=TEXT)
@EXACT
def test_a_lookahead_changes_no_match(name: str, text: str) -> None:
    pattern = getattr(vocab, name)
    bare = re.compile(LOOKAHEAD.fullmatch(pattern.pattern)["bare"], pattern.flags)  # type: ignore[index]
    assert [(m.span(), m.groups()) for m in pattern.finditer(text)] == \
        [(m.span(), m.groups()) for m in bare.finditer(text)]


@given(TEXT)
@EXACT
def test_a_series_line_opens_with_one_of_its_words(text: str) -> None:
    if vocab.CONTINUED.search(text) or vocab.CONTINUED_FROM.search(text) or vocab.CONTINUED_ALONE.match(text) \
            or vocab.CONCLUDED.match(text):
        assert opens_series_line(text)


@given(TEXT)
@EXACT
def test_the_quick_tests_of_the_body(text: str) -> None:
    assert opens_editorial_note(text) == (vocab.EDITORIAL_NOTE.match(text) is not None)
    assert opens_last_updated(text) == (vocab.LAST_UPDATED.match(text) is not None)
    assert is_separator(text) == (vocab.SEPARATOR.match(text) is not None)
    if vocab.LAST_UPDATED.search(text):
        assert vocab.LAST_UPDATED_WORD in text.lower()


@given(TEXT)
@EXACT
def test_the_quick_tests_of_dates_and_part_numbers(text: str) -> None:
    if vocab.DATE_TRAILING_QUALIFIER.search(text):
        assert ends_with_qualifier(text)
    if vocab.RANGE_START_IN_TEXT.search(text):
        assert ends_range_start(text)
    if vocab.BARE_PART.search(text):
        assert ends_in_number(text)


def test_white_space_is_the_one_python_splits_on() -> None:
    assert set(vocab.HTML_WHITESPACE) <= {c for c in map(chr, range(0x3001)) if c.isspace()}


def test_forget_clears_what_was_remembered() -> None:
    from crawler.extract.dates import read_date

    read_date("June 1946")
    assert read_date.cache_info().currsize > 0  # type: ignore[attr-defined]
    forget()
    assert read_date.cache_info().currsize == 0  # type: ignore[attr-defined]
