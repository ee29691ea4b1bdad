"""Credits: who transcribed, marked up, proofread, edited or translated a text, read from a colophon
label's value ("Transcription/HTML Markup: Jane Doe, April 2003") or from a prose sentence
("Transcribed & marked up by Jane Doe for the Marxists’ Internet Archive.")."""

from __future__ import annotations

from crawler.extract.memo import remembered
from crawler.extract.text import clean, near_word
from crawler.extract.vocab import (
    A_LETTER,
    BRACKETED_ASIDE,
    BY_WORD,
    CREDIT_BODY_WORDS,
    CREDIT_DATE,
    CREDIT_DAY,
    CREDIT_SENTENCE_END,
    CREDIT_YEAR,
    ELIDED_PARTICLE,
    ENDS_IN_INITIAL,
    GLUED_BY,
    LEADING_BY,
    LEADING_YEAR,
    LEADING_YEAR_BY,
    LONG_WORD,
    MONTHS,
    NAME_ENDS,
    NAME_PARTICLES,
    NAME_SEPARATORS,
    NAME_STOP,
    NAMES_JOINED,
    NOT_A_NAME,
    PROSE_CREDIT_BARE,
    PROSE_CREDIT_BY,
    PROSE_ROLE_SPELLINGS,
    ROLE_HINT,
    ROLE_LABELS,
    ROLE_LIST_SEPARATOR,
    ROLE_PHRASE_WORD,
    ROLE_WORD_PATTERNS,
    SEASONS,
    SUBCREDIT,
    WORDS_BEFORE_BY,
)
from models import Credit


def role_of_words(text: str) -> str | None:
    """The role the first role word of a label fragment or prose phrase names, or None."""
    key = clean(text).lower()
    if key in ROLE_LABELS:
        return ROLE_LABELS[key]
    for word in ROLE_PHRASE_WORD.findall(key):
        for pattern, role in ROLE_WORD_PATTERNS:
            if pattern.search(word):
                return role
    return None


@remembered
def _spelled(word: str) -> str:
    """A prose role word as the patterns expect it: "Transcried" -> "transcribed"."""
    lower = word.lower()
    if lower in PROSE_ROLE_SPELLINGS:
        return word
    return near_word(lower, PROSE_ROLE_SPELLINGS, min_length=9) or word


def _mended(sentence: str) -> str:
    """A sentence with misspelled role words and a "by" glued to its neighbour set right."""
    sentence = LONG_WORD.sub(lambda m: _spelled(m[0]), sentence)
    return GLUED_BY.sub(lambda m: f"{m[1]} {m[2]}" if m[1] else "by ", sentence)


def _capitalised(token: str) -> bool:
    """A word that can be part of a name: it opens with a capital or a letter without case
    (Chinese, Arabic …), after an elided particle ("d’Alembert", "O’Neill")."""
    token = ELIDED_PARTICLE.sub("", token)
    return bool(token) and token[0].isalpha() and not token[0].islower()


def _name(part: str) -> str | None:
    """One name of a credit as printed, or None when the part names nobody: a month ("April"), a
    phrase in lower case ("with slight editing for easier reading"), the archive itself."""
    # A footnote mark is no part of a name: "Steve Palmer **".
    text = clean(CREDIT_YEAR.sub("", CREDIT_DATE.sub("", part))).strip(" ,:;-*†‡")
    text = LEADING_BY.sub("", text)
    text = text.rstrip(" ,:;-*†‡")
    if not ENDS_IN_INITIAL.search(text):
        text = text.rstrip(". ")
    text = text.lstrip(". ")
    tokens = text.split()
    if not tokens or all(t.lower().strip(".,") in MONTHS or t.lower() in SEASONS or CREDIT_DAY.fullmatch(t)
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
    if not ENDS_IN_INITIAL.search(name):
        name = name.rstrip(".")
    if not name or NOT_A_NAME.search(name) or not A_LETTER.search(name):
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
    year_match = CREDIT_YEAR.search(value)
    year = int(year_match[1]) if year_match else None
    text = LEADING_YEAR_BY.sub("", value.strip())
    # "from the German by X", "corrected by X", "additional copyediting by X": the name follows "by".
    text = WORDS_BEFORE_BY.sub("", text, count=1)
    # "and corrected (typos, a missing paragraph …) by X": words in lower case before "by".
    by = BY_WORD.search(text)
    if by and not any(_capitalised(t) for t in BRACKETED_ASIDE.sub(" ", text[: by.start()]).split()):
        text = text[by.end():]
    text = LEADING_YEAR.sub("", text)
    stop = NAME_STOP.search(text)
    if stop:
        text = text[: stop.start()]
    names = [name for name in map(_name, _pieces(text)) if name]
    if shared_surname and len(names) == 2 and NAMES_JOINED.search(text):
        first, second = names
        if len(first.split()) == 1 and len(second.split()) == 2 and not ENDS_IN_INITIAL.search(first):
            names = [f"{first} {second.split()[1]}", second]
    return names, year


def credits_from(roles: list[str], value: str, raw: str | None = None) -> list[Credit]:
    """The credits of one value for the roles its label or phrase names, each with `raw`."""
    return [Credit(role=role, name=name, year=year, raw=raw) for role, name, year in _credited(tuple(roles), value)]


@remembered
def _credited(roles: tuple[str, ...], value: str) -> tuple[tuple[str, str, int | None], ...]:
    """(role, name, year) of each credit of one value (see credits_from)."""
    credits: list[tuple[str, str, int | None]] = []
    # "Clemans Dutt, Edited by Robert Daglish": the embedded clause names a second role.
    pieces = SUBCREDIT.split(value)
    head, rest = pieces[0], pieces[1:]
    names, year = credit_names(head, shared_surname=roles == ("translation",))
    credits += [(role, name, year) for role in roles for name in names]
    # "Transcribed & marked up by marked up by X": roles that name nobody go with the next names.
    carried = [] if names else list(roles)
    for word, sub_value in zip(rest[::2], rest[1::2], strict=True):
        role = role_of_words(word)
        sub_roles = list(dict.fromkeys([*carried, role] if role else carried))
        sub_names, sub_year = credit_names(sub_value)
        credits += [(r, n, sub_year) for r in sub_roles for n in sub_names]
        carried = [] if sub_names else sub_roles
    return tuple(credits)


def prose_credits(text: str) -> list[Credit]:
    """Credits in the sentences of an unlabelled colophon line."""
    return [Credit(role=role, name=name, year=year, raw=raw) for role, name, year, raw in _prose_credited(text)]


@remembered
def _prose_credited(text: str) -> tuple[tuple[str, str, int | None, str], ...]:
    """(role, name, year, sentence) of each credit in the sentences of a line (see prose_credits)."""
    credits: list[tuple[str, str, int | None, str]] = []
    for sentence in CREDIT_SENTENCE_END.split(text):
        mended = _mended(sentence)
        if not ROLE_HINT.search(mended):
            continue
        match = PROSE_CREDIT_BY.search(mended) or PROSE_CREDIT_BARE.match(mended)
        if not match:
            continue
        roles = []
        for phrase in ROLE_LIST_SEPARATOR.split(match["roles"]):
            role = role_of_words(phrase)
            if role:
                roles.append(role)
        if roles:
            raw = clean(sentence)
            credits += [(role, name, year, raw)
                        for role, name, year in _credited(tuple(dict.fromkeys(roles)), match["names"])]
    return tuple(credits)


def dedupe_credits(credits: list[Credit]) -> list[Credit]:
    seen: dict[tuple[str, str], Credit] = {}
    for credit in credits:
        seen.setdefault((credit.role, credit.name), credit)
    return list(seen.values())
