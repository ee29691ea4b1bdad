"""Plain-text helpers every field shares: whitespace collapsed, misspelled vocabulary words found."""

from __future__ import annotations

from collections.abc import Iterable


def clean(text: str) -> str:
    """Whitespace (non-breaking spaces included) collapsed to single spaces, ends trimmed."""
    return " ".join(text.split())


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
