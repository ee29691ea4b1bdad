"""Plain-text helpers every field shares: whitespace collapsed, misspelled vocabulary words found."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from crawler.extract.vocab import NOT_A_WORD_CHARACTER, NOT_NAME_CHARACTER


def clean(text: str) -> str:
    """Whitespace (non-breaking spaces included) collapsed to single spaces, ends trimmed: what
    ``" ".join(text.split())`` gives, without splitting the text into words where it can."""
    if "\n" in text:
        text = text.replace("\n", " ")
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\r" in text:
        text = text.replace("\r", " ")
    if text.isascii():
        if "\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text or "\x1e" in text \
                or "\x1f" in text:
            return " ".join(text.split())
    else:
        if "\xa0" in text:
            text = text.replace("\xa0", " ")
        if not text.isprintable():  # another white space (a Unicode space, a control): split it
            return " ".join(text.split())
    if "  " in text:
        text = text.replace("    ", " ")
        while "  " in text:
            text = text.replace("  ", " ")
    return text.strip(" ")


def name_key(text: str) -> str:
    """A name as compared with another: case folded, accents taken off, letters, digits and
    spaces kept ("Rosa Luxemburg" and "ROSA LUXEMBURG" have one key, so do "Jaurès" and "Jaures")."""
    return NOT_NAME_CHARACTER.sub("", unicodedata.normalize("NFKD", text.casefold()))


def title_key(text: str) -> str:
    """A title as compared with another: case folded, letters and digits only ("The New
    International" and "THE NEW INTERNATIONAL." have one key)."""
    return NOT_A_WORD_CHARACTER.sub("", text.casefold())


def normalise_label(label: str) -> str:
    """A colophon label as looked up: spaces collapsed, no colon, lower case."""
    return clean(label).rstrip(":").strip().lower()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Edits (insertion, deletion, substitution, swap of two neighbours) that turn `a` into `b`;
    any value above `limit` is reported as `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def near_word(word: str, vocabulary: Iterable[str], min_length: int = 6) -> str | None:
    """The vocabulary word nearest to `word` (lower case) that it misspells, or None.

    A misspelling keeps the word's first letter and its ending (the ending carries the
    grammar: "-ed", "-ion", "-er"; "publisher" is not a misspelled "published"), differs in
    length by at most one letter, and is one edit away (two for words of ten letters or more):
    "transcried", "trasncribed", "transciption", "publshed".
    """
    if len(word) < min_length:
        return None
    limit = 2 if len(word) >= 10 else 1
    found = sorted(
        (edit_distance(word, known, limit), known) for known in vocabulary
        if known != word and known[0] == word[0] and known[-2:] == word[-2:] and abs(len(known) - len(word)) <= 1
    )
    found = [(distance, known) for distance, known in found if distance <= limit]
    if not found or (len(found) > 1 and found[1][0] == found[0][0]):
        return None  # no word near enough, or two as near
    return found[0][1]
