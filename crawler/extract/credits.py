"""Credits: who transcribed, marked up, proofread, edited or translated a text, read from a colophon
label's value ("Transcription/HTML Markup: Jane Doe, April 2003") or from a prose sentence
("Transcribed & marked up by Jane Doe for the Marxists’ Internet Archive.")."""

from __future__ import annotations

import re
from functools import lru_cache

from crawler.extract.text import clean, near_word
from crawler.extract.vocab import (
    CREDIT_BODY_WORDS,
    CREDIT_DATE,
    MONTHS,
    NAME_ENDS,
    NAME_PARTICLES,
    NAME_SEPARATORS,
    NAME_STOP,
    NOT_A_NAME,
    PROSE_CREDIT_BARE,
    PROSE_CREDIT_BY,
    PROSE_ROLE_SPELLINGS,
    ROLE_LABELS,
    ROLE_WORD_PATTERNS,
    SEASONS,
    SUBCREDIT,
)
from models import Credit

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# Sentences of a prose line, and clauses after a semicolon ("Digitalized by X; transcribed into
# HTML by Y"); a full stop after an initial ("Martin F. Marked up …") ends nothing.
_SENTENCE_END = re.compile(r"(?<=[a-z\d\)])\.\s+(?=[A-Z])|;\s*")
_WORD = re.compile(r"[A-Za-z]{9,}")
# "marked upby Jane", "by Jane" printed as "byJane".
_GLUED_BY = re.compile(r"\b(up)(by)\b|(?-i:\bby(?=[A-Z]))", re.I)
# An initial ends a name with its full stop: "Martin F.", "A.M.", "Mike B.".
_ENDS_IN_INITIAL = re.compile(r"(?:^|[\s.])[A-Z]\.$")
_WORDS = re.compile(r"[^\W\d_][\w'’-]*")
_ELIDED = re.compile(r"^[\W_]*(?:[a-z]{1,2}[’'])?")
_LETTER = re.compile(r"[^\W\d_]")
_LEADING_BY = re.compile(r"^by\s+", re.I)
_LEADING_YEAR_BY = re.compile(r"^\s*(?:\d{4}\s*)?(?:by\s+)?", re.I)
_WORDS_THEN_BY = re.compile(r"^(?:[^,;:()]{0,40}?\s)?by\s+(?=\S)", re.I)
_BY = re.compile(r"\bby\s+(?=\S)")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\]]*\]")
_LEADING_YEAR = re.compile(r"^(?:in\s+)?\d{4}\s*(?:by\s+)?")
_AND = re.compile(r"\s(?:and|&)\s")
_DAY = re.compile(r"\d{1,2}(?:st|nd|rd|th)?,?")
_ROLE_LIST = re.compile(r"\s*(?:,|&|\band\b|/)\s*")
# A sentence that can hold a credit names a role: a cheap test before the patterns.
_ROLE_HINT = re.compile(r"transcri|translat|mark|proof|edit|format|typ|scan|conver|check|digit|ocr|correct|html",
                        re.I)


def role_of_words(text: str) -> str | None:
    """The role the first role word of a label fragment or prose phrase names, or None."""
    key = clean(text).lower()
    if key in ROLE_LABELS:
        return ROLE_LABELS[key]
    for word in _WORDS.findall(key):
        for pattern, role in ROLE_WORD_PATTERNS:
            if pattern.search(word):
                return role
    return None


@lru_cache(maxsize=4096)
def _spelled(word: str) -> str:
    """A prose role word as the patterns expect it: "Transcried" -> "transcribed"."""
    lower = word.lower()
    if lower in PROSE_ROLE_SPELLINGS:
        return word
    return near_word(lower, PROSE_ROLE_SPELLINGS, min_length=9) or word


def _mended(sentence: str) -> str:
    """A sentence with misspelled role words and a "by" glued to its neighbour set right."""
    sentence = _WORD.sub(lambda m: _spelled(m[0]), sentence)
    return _GLUED_BY.sub(lambda m: f"{m[1]} {m[2]}" if m[1] else "by ", sentence)


def _capitalised(token: str) -> bool:
    """A word that can be part of a name: it opens with a capital or a letter without case
    (Chinese, Arabic …), after an elided particle ("d’Alembert", "O’Neill")."""
    token = _ELIDED.sub("", token)
    return bool(token) and token[0].isalpha() and not token[0].islower()


def _name(part: str) -> str | None:
    """One name of a credit as printed, or None when the part names nobody: a month ("April"), a
    phrase in lower case ("with slight editing for easier reading"), the archive itself."""
    # A footnote mark is no part of a name: "Steve Palmer **".
    text = clean(_YEAR.sub("", CREDIT_DATE.sub("", part))).strip(" ,:;-*†‡")
    text = _LEADING_BY.sub("", text)
    text = text.rstrip(" ,:;-*†‡")
    if not _ENDS_IN_INITIAL.search(text):
        text = text.rstrip(". ")
    text = text.lstrip(". ")
    tokens = text.split()
    if not tokens or all(t.lower().strip(".,") in MONTHS or t.lower() in SEASONS or _DAY.fullmatch(t)
                         for t in tokens):
        return None  # "May", "June 12th": a date, never a person
    # A body's name keeps its article out: "the Prometheus Research Library", "the Socialist Party of
    # Great Britain".
    if tokens[0].lower() == "the" and len(tokens) > 2 and any(
            _capitalised(t) and t.lower().strip(".,") in CREDIT_BODY_WORDS for t in tokens[1:]):
        tokens = tokens[1:]
    leading_lower = 0
    for token in tokens:
        if _capitalised(token):
            break
        leading_lower += token.lower() not in NAME_PARTICLES
    if leading_lower > 1 or not any(_capitalised(t) for t in tokens):
        return None  # "with slight editing …", "corrected": words of a sentence, not a name
    # The name ends where the sentence goes on: "William E. Ratliff in the …".
    seen_capital = False
    for index, token in enumerate(tokens):
        if _capitalised(token):
            seen_capital = True
        elif seen_capital and token.lower() in NAME_ENDS:
            tokens = tokens[:index]
            break
    while tokens and tokens[-1].lower() in NAME_PARTICLES:
        tokens = tokens[:-1]
    name = " ".join(tokens).rstrip(" ,:;-")
    if not _ENDS_IN_INITIAL.search(name):
        name = name.rstrip(".")
    if not name or NOT_A_NAME.search(name) or not _LETTER.search(name):
        return None
    return name


def _pieces(text: str) -> list[str]:
    """The names of a credit value, split on commas, "and", "&" and "/"; a body's name is kept
    whole ("Marxist-Leninist Translations and Reprints", "Red & Black Notes")."""
    split = NAME_SEPARATORS.split(text)
    joiners = [m[0] for m in NAME_SEPARATORS.finditer(text)]
    pieces = [split[0]]
    for joiner, piece in zip(joiners, split[1:], strict=True):
        words = piece.split()
        body = bool(words) and words[-1].lower().strip(".,") in CREDIT_BODY_WORDS
        joined_by_and = joiner.strip().lower() in ("and", "&")
        if joined_by_and and body and (len(words) == 1 or len(pieces[-1].split()) == 1):
            pieces[-1] = f"{pieces[-1]}{joiner}{piece}"
        else:
            pieces.append(piece)
    return pieces


def credit_names(value: str, shared_surname: bool = False) -> tuple[list[str], int | None]:
    """Names and the year credited in a credit value: `2018 by Einde O’Callaghan.`

    With `shared_surname`, two names of which the first is a forename alone share the second's
    surname: "Eden and Cedar Paul" -> Eden Paul, Cedar Paul.
    """
    year_match = _YEAR.search(value)
    year = int(year_match[1]) if year_match else None
    text = _LEADING_YEAR_BY.sub("", value.strip())
    # "from the German by X", "corrected by X", "additional copyediting by X": the name follows "by".
    text = _WORDS_THEN_BY.sub("", text, count=1)
    # "and corrected (typos, a missing paragraph …) by X": words in lower case before "by".
    by = _BY.search(text)
    if by and not any(_capitalised(t) for t in _BRACKETED.sub(" ", text[: by.start()]).split()):
        text = text[by.end():]
    text = _LEADING_YEAR.sub("", text)
    stop = NAME_STOP.search(text)
    if stop:
        text = text[: stop.start()]
    names = [name for name in map(_name, _pieces(text)) if name]
    if shared_surname and len(names) == 2 and _AND.search(text):
        first, second = names
        if len(first.split()) == 1 and len(second.split()) == 2 and not _ENDS_IN_INITIAL.search(first):
            names = [f"{first} {second.split()[1]}", second]
    return names, year


def credits_from(roles: list[str], value: str, raw: str | None = None) -> list[Credit]:
    """The credits of one value for the roles its label or phrase names, each with `raw`."""
    credits: list[Credit] = []
    # "Clemans Dutt, Edited by Robert Daglish": the embedded clause names a second role.
    pieces = SUBCREDIT.split(value)
    head, rest = pieces[0], pieces[1:]
    names, year = credit_names(head, shared_surname=roles == ["translation"])
    credits += [Credit(role=role, name=name, year=year, raw=raw) for role in roles for name in names]
    # "Transcribed & marked up by marked up by X": roles that name nobody go with the next names.
    carried = [] if names else roles
    for word, sub_value in zip(rest[::2], rest[1::2], strict=True):
        role = role_of_words(word)
        sub_roles = list(dict.fromkeys([*carried, role] if role else carried))
        sub_names, sub_year = credit_names(sub_value)
        credits += [Credit(role=r, name=n, year=sub_year, raw=raw) for r in sub_roles for n in sub_names]
        carried = [] if sub_names else sub_roles
    return credits


def prose_credits(text: str) -> list[Credit]:
    """Credits in the sentences of an unlabelled colophon line."""
    credits: list[Credit] = []
    for sentence in _SENTENCE_END.split(text):
        mended = _mended(sentence)
        if not _ROLE_HINT.search(mended):
            continue
        match = PROSE_CREDIT_BY.search(mended) or PROSE_CREDIT_BARE.match(mended)
        if not match:
            continue
        roles = []
        for phrase in _ROLE_LIST.split(match["roles"]):
            role = role_of_words(phrase)
            if role:
                roles.append(role)
        if roles:
            credits += credits_from(list(dict.fromkeys(roles)), match["names"], raw=clean(sentence))
    return credits


def dedupe_credits(credits: list[Credit]) -> list[Credit]:
    seen: dict[tuple[str, str], Credit] = {}
    for credit in credits:
        seen.setdefault((credit.role, credit.name), credit)
    return list(seen.values())
