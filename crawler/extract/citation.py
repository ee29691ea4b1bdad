"""The citation: a source statement ("From The Militant, Vol. X No. 24, 15 June 1946, p. 3.") ->
container, volume, issue, date and pages, and whether an unlabelled line is such a statement."""

from __future__ import annotations

import roman

from crawler.extract.dates import find_date, find_reading
from crawler.extract.text import clean, title_key
from crawler.extract.vocab import (
    CITATION_ABBREVIATIONS,
    CITATION_BYLINE_OTHERS,
    CITATION_BYLINE_TITLE,
    CITATION_HEAD_END,
    CITATION_ISSUE,
    CITATION_PAGES,
    CITATION_PREFIX,
    CITATION_PUBLISHER,
    CITATION_VOLUME,
    COLUMN_AFTER,
    COLUMN_BEFORE,
    COLUMN_BEFORE_CHARS,
    COLUMN_CLAUSE,
    CONTAINER_MAX_CHARS,
    FIGURES_AND_MARKS,
    NOT_CONTAINER,
    NUMBER_MAX_DIGITS,
    NUMERAL_OR_INITIALS,
    PUBLICATION_HINT,
    SENTENCE_STOP,
    SOURCE_STATEMENT_MAX_WORDS,
)
from models import Citation


def _title_like(text: str) -> bool:
    """A container title starts with a capital (or a digit-less word): "internal pamphlet" does not."""
    return bool(text) and not text[0].islower() and not NOT_CONTAINER.match(text)


def number_of(text: str | None) -> int | None:
    """'22' -> 22, 'X' -> 10; None for anything else."""
    if not text:
        return None
    if text.isdecimal():  # (not isdigit: a superscript "²" is a digit int() cannot read)
        return int(text) if len(text) <= NUMBER_MAX_DIGITS else None
    try:
        return int(roman.fromRoman(text.upper()))
    except (roman.InvalidRomanNumeralError, ValueError):
        return None


def first_sentence(text: str) -> str:
    """The text up to its first full stop that ends a sentence (not "Vol.", "pp.", "J.")."""
    for match in SENTENCE_STOP.finditer(text):
        word = (match[1] or "").strip("([“\"‘'")
        if match[2] == "." and (word.lower() in CITATION_ABBREVIATIONS or (len(word) == 1 and word.isalpha())
                                or NUMERAL_OR_INITIALS.fullmatch(word)):
            continue
        return text[: match.start(2) + 1]
    return text


def _names_publication(text: str) -> bool:
    return bool(find_reading(text) or PUBLICATION_HINT.search(text))


def is_source_statement(text: str) -> bool:
    """An unlabelled first colophon line without "From"/"Source:" that cites a publication: it
    names a date or a volume, issue or page, in a short statement or in its first sentence."""
    if not _names_publication(text):
        return False
    return len(text.split()) <= SOURCE_STATEMENT_MAX_WORDS or _names_publication(first_sentence(text))


def _is_column(name: str, body: str) -> bool:
    """A name the statement calls a column ("“In This Corner” column", "column “Two Worlds”")."""
    if "column" not in body.lower():
        return False
    at = body.find(name)
    while at >= 0:
        end = at + len(name)
        if COLUMN_AFTER.match(body, end) or COLUMN_BEFORE.search(body[max(0, at - COLUMN_BEFORE_CHARS):at]):
            return True
        at = body.find(name, end)
    return False


def _head(body: str) -> str | None:
    """The statement's first segment when it reads as a container's title."""
    head = CITATION_HEAD_END.split(body, maxsplit=1)[0].strip(" .")
    if head and _title_like(head) and find_reading(head) is None and len(head) < CONTAINER_MAX_CHARS:
        return head
    return None


def _book_title(body: str) -> str | None:
    """The book an author-first statement names: `Author "Title", Publisher, 1935` -> Title; when
    a volume or issue follows the title it is an article, and its periodical comes next."""
    match = CITATION_BYLINE_TITLE.match(body)
    if match is None:
        return None
    after = body[match.end():]
    if CITATION_VOLUME.search(after) or CITATION_ISSUE.search(after):
        return _head(after.lstrip(" ,;:"))
    return clean(match["title"]).strip(" ,.;:")


def parse_citation(raw: str, emphasis: list[str], work_title: str | None, language: str) -> Citation:
    text = clean(raw)
    body = CITATION_PREFIX.sub("", text)
    work_key = title_key(work_title or "")
    usable = [c for c in (clean(e).strip(" ,.;:") for e in emphasis)
              if len(title_key(c)) > 2 and c in body and _title_like(c)
              and not FIGURES_AND_MARKS.fullmatch(c) and not _is_column(c, body)]
    # The work's own title printed before the periodical ("<em>The New International</em>,
    # <strong>Justice</strong>") is not the container; a book's contents page cites itself.
    others = [c for c in usable if title_key(c) != work_key]
    container = others[0] if others else (usable[0] if usable else None)
    if container is None and CITATION_PUBLISHER.match(text):
        container = None  # "Published by the Socialist Workers Party": a publisher, not a container
    elif container is None:
        # "the “In This Corner” column of The Militant": the periodical follows the column.
        column = COLUMN_CLAUSE.match(body)
        rest = body[column.end():] if column else body
        others_match = CITATION_BYLINE_OTHERS.match(rest)
        if others_match:
            rest = rest[others_match.end():]  # "Gorky, Radek and others, <book>"
        container = _book_title(rest) or _head(rest)
    after = body.split(container, 1)[1] if container and container in body else body
    volume = CITATION_VOLUME.search(after)
    issue = CITATION_ISSUE.search(after)
    pages = CITATION_PAGES.search(after)
    date = find_date(after, language)
    volume_text = volume[1] if volume else None
    issue_text = clean(issue[1]) if issue else None
    return Citation(
        raw=text,
        container_title=container,
        volume=volume_text,
        volume_number=number_of(volume_text),
        issue=issue_text,
        issue_number=number_of(issue_text),
        date=date,
        pages=clean(pages[1]).strip(" ,") if pages else None,
    )
