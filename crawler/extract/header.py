"""The header above the text: its title, byline, pretitle, subtitle and date line, each read by a
function of that name from the headings (and heading-like paragraphs) printed before the text."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.extract.colophon import split_lines
from crawler.extract.dates import Reading, find_date, find_reading, read_date
from crawler.extract.document import Block, Element, classes_of, text_of
from crawler.extract.text import clean, name_key
from crawler.extract.vocab import (
    BARE_NUMBER_HEADING,
    BRACKETED,
    BY_LINE,
    BYLINE_ARCHIVE,
    BYLINE_MAX_WORDS,
    BYLINE_PARTICLES,
    BYLINE_PERSON_MIN_WORDS,
    BYLINE_YEAR,
    CHAPTER_HEADING,
    CHAPTER_LIST_HEADING_LINES,
    DATE_LINE_MAX_CHARS,
    DATE_NOTE,
    DATE_NOTE_MAX_LINES,
    FIRST_PARAGRAPH_CLASS,
    FOOTNOTE_MARK,
    HEADER_PARAGRAPH_CLASSES,
    HEADER_PROSE_WORDS,
    HEADER_PROSE_WORDS_UNTITLED,
    HEADING_NOTE_CLASSES,
    HEADING_NOTE_LINK,
    HEADING_NOTE_MARKER,
    HEADING_NOTE_MAX_CHARS,
    HEADINGS,
    NAV_CLASSES,
    NOT_A_BYLINE,
    NOT_AN_ORGANISATION,
    NOTES_HEADINGS,
    NUMBERED_SECTION,
    ORGANISATION_LINKS,
    ORGANISATION_MAX_WORDS,
    ORGANISATION_WORDS,
    TITLE_BREAKS_OFF,
    TITLE_PARAGRAPH_CLASS,
)
from models import DateValue


@dataclass
class Header:
    """What the header gives the record."""

    title: str | None = None
    byline: str | None = None
    pretitle: str | None = None
    subtitle: str | None = None
    date_line: DateValue | None = None
    end: int = 0  # index of the first block after the header
    book_title: str | None = None  # a chapter's book, when the chapter's own heading is its title


@dataclass(frozen=True)
class Zone:
    """The blocks above the text: the heading-like ones (the candidates, by index), where the
    header zone stops (the first paragraph of text) and where the body is read from."""

    blocks: list[Block]
    candidates: list[int]
    limit: int
    end: int

    def heading_text(self, index: int) -> str:
        """A candidate's text: a heading's as printed (see heading_lines), a paragraph's as it is."""
        block = self.blocks[index]
        return block_heading_text(block) if block.tag in HEADINGS else block.text


@dataclass(frozen=True)
class Title:
    """The title heading: where it is (a title printed over two headings ends at `last`), its text,
    and the date printed as its last line, taken off the title."""

    first: int
    last: int
    text: str
    trailing_date: DateValue | None = None


@dataclass(frozen=True)
class DatedHeading:
    """A heading that is a date, "(1 June 1946)", and its index."""

    index: int
    value: DateValue


def read_header(blocks: list[Block], colophon_start: int | None, canonical: str | None,
                page_title: str, language: str, in_book: bool = False) -> Header:
    """The header above the text.  ``canonical`` is the author's catalogued name; ``in_book``: the
    page links to a contents page beside it, so a chapter heading under the title is its own."""
    zone = header_zone(blocks, colophon_start)
    surname = name_key(canonical.split()[-1]) if canonical else None
    dated = dated_heading(zone, language)
    heading = title(zone, dated, surname, language)
    date_index = dated.index if dated else None
    # The headings above the title: a byline, a pretitle; the date heading is neither.
    above = [c for c in zone.candidates if (heading is None or c < heading.first) and c != date_index]
    byline_at = byline_heading(zone, above, surname, heading)
    below = [c for c in zone.candidates if heading is not None and c > heading.last and c != date_index]
    in_headings = heading_date(zone, dated, heading, below, language)
    header = Header(
        title=heading.text if heading else None,
        byline=byline(zone, byline_at, heading, page_title, surname),
        pretitle=pretitle(zone, above, byline_at),
        date_line=date_line(zone, in_headings, heading, language),
        end=zone.end,
    )
    if heading is not None and below:
        chapter = chapter_title(zone, below[0], heading.text, date_index, in_headings, in_book, language)
        if chapter is not None:
            header.book_title, header.title = heading.text, chapter
        else:
            header.subtitle = subtitle(zone, below[0])
    return header


# --- the zone -----------------------------------------------------------------------------------------
def header_zone(blocks: list[Block], colophon_start: int | None) -> Zone:
    """The headings and heading-like paragraphs before the first paragraph of text (or before the
    colophon printed above the text)."""
    limit = len(blocks) if colophon_start is None else colophon_start
    candidates: list[int] = []
    for i in range(limit):
        block = blocks[i]
        classes = block.classes
        if block.tag in HEADINGS or (block.tag == "p" and not classes.isdisjoint(HEADER_PARAGRAPH_CLASSES)):
            if block.text:
                candidates.append(i)
            continue
        if block.tag == "hr" or not classes.isdisjoint(NAV_CLASSES) or not block.text:
            continue
        words = block.words
        if (FIRST_PARAGRAPH_CLASS in classes or words >= HEADER_PROSE_WORDS) and (
                candidates or words >= HEADER_PROSE_WORDS_UNTITLED):
            limit = i
            break
    end = colophon_start if colophon_start is not None else (candidates[-1] + 1 if candidates else 0)
    return Zone(blocks, candidates, limit, end)


# --- title --------------------------------------------------------------------------------------------
def title(zone: Zone, dated: DatedHeading | None, surname: str | None, language: str) -> Title | None:
    """The title: the first h1; without one, the largest heading that is neither the byline nor a
    date.  A date printed as its last line comes off it; a title that goes on in the next heading
    (or a bare "Chapter One" over the heading that names it) is joined with it."""
    blocks = zone.blocks
    first = next((c for c in zone.candidates if blocks[c].tag == "h1"), None)
    date_index = dated.index if dated else None
    if first is None:
        # No h1: the first heading that is not the byline is the title (old layouts, chapters).
        before = [c for c in zone.candidates if c != date_index]
        byline_pick = _pick_byline(blocks, before, surname)
        rest = [c for c in before if blocks[c].tag in HEADINGS and c != byline_pick
                and not blocks[c].text.startswith("(") and not _is_date_note(blocks[c].text, language)
                and read_date(blocks[c].text, language).value is None]
        if not rest:
            return None
        # The largest heading is the title: h2 over h3 over h4 ...
        first = min(rest, key=lambda c: (blocks[c].tag, c))
    lines = block_heading_lines(blocks[first])
    # "Report on Tactics and Strategy<br><small>June 30, 1921</small>": the date line printed as the
    # title's last line.
    last_line = _date_line(lines[-1], language) if len(lines) > 1 else None
    trailing = None
    if last_line is not None and dated is None and last_line.precision not in ("range", "decade"):
        trailing = last_line.date_value()
        lines = lines[:-1]
        lines[-1] = lines[-1].rstrip(" ,;:")
    last, text = whole_title(zone, first, " ".join(lines), date_index, language)
    return Title(first, last, text, trailing)


def whole_title(zone: Zone, index: int, text: str, date_index: int | None, language: str) -> tuple[int, str]:
    """The title heading at ``index`` joined with the heading printed right after it when the two
    are one title: a title that breaks off mid-phrase in one h1 and goes on in the next ("Rosa
    Luxemburg" / "y el espontaneismo revolucionario"), or a bare number heading and the heading that
    names it ("Chapter One" / "VALUE AS AN ECONOMIC CATEGORY").  Returns the last heading's index."""
    blocks, candidates = zone.blocks, zone.candidates
    while index + 1 in candidates and index + 1 != date_index:
        block, following = blocks[index], blocks[index + 1]
        if following.tag not in HEADINGS:
            break
        more = block_heading_text(following)
        if not more or NOTES_HEADINGS.match(more) or BARE_NUMBER_HEADING.match(more) \
                or _date_line(more, language) is not None or _is_date_note(more, language):
            break
        goes_on = following.tag == block.tag and (TITLE_BREAKS_OFF.search(text) is not None
                                                  or more[:1].islower())
        if not (goes_on or BARE_NUMBER_HEADING.match(text)):
            break
        text, index = f"{text} {more}", index + 1
    return index, text


def chapter_title(zone: Zone, index: int, book: str, date_index: int | None, heading_date: DateValue | None,
                  in_book: bool, language: str) -> str | None:
    """A chapter's own heading under its book's title ("Chapter 8: …" under the book's h1), which
    is then the page's title; None when the heading under the title is a subtitle."""
    block = zone.blocks[index]
    if block.tag not in HEADINGS or block.tag == "h1":
        return None
    text = block_heading_text(block)
    under_chapter = CHAPTER_HEADING.match(book) and NUMBERED_SECTION.match(text)
    lines = block_heading_lines(block)
    listed = len(lines) >= CHAPTER_LIST_HEADING_LINES and all(CHAPTER_HEADING.match(line) for line in lines)
    # Under a chapter's heading a numbered heading opens a section; a dated article in a series
    # keeps its title over a numbered subtitle ("II. Poincaré …"), and a bare "Part IV" is only a
    # part number.
    if CHAPTER_HEADING.match(text) and not under_chapter and not listed and (
            in_book or (heading_date is None and not BARE_NUMBER_HEADING.match(text))):
        return whole_title(zone, index, text, date_index, language)[1]
    return None


def subtitle(zone: Zone, index: int) -> str | None:
    """The heading right under the title (not a second h1)."""
    block = zone.blocks[index]
    if block.tag not in HEADINGS or block.tag == "h1":
        return None
    return block_heading_text(block)


def pretitle(zone: Zone, above: list[int], byline_at: int | None) -> str | None:
    """The first heading above the title that is not its byline: a series or book name."""
    blocks = zone.blocks
    pre = [c for c in above if c != byline_at and not (TITLE_PARAGRAPH_CLASS in blocks[c].classes
                                                        and blocks[c].tag == "p")]
    return block_heading_text(blocks[pre[0]]) if pre else None


# --- the lines of a heading -----------------------------------------------------------------------------
def block_heading_lines(block: Block) -> list[str]:
    """A heading block's lines (see heading_lines), read once: the header and the body ask for a
    heading's lines several times."""
    return list(_block_lines(block))


def block_heading_text(block: Block) -> str:
    """A heading block's text with line breaks as spaces and footnote markers dropped."""
    return " ".join(_block_lines(block))


def _block_lines(block: Block) -> tuple[str, ...]:
    if block.heading is None:
        block.heading = tuple(heading_lines(block.el))
    return block.heading


def heading_lines(el: Element) -> list[str]:
    """A heading's lines as printed: split at each <br>, footnote markers dropped."""
    lines: list[list[str]] = [[]]
    _heading_parts(el, lines)
    out = []
    for parts in lines:
        line = "".join(parts)
        if "[" in line:  # a marker holds its bracket: a cheap test before the pattern's scan
            line = FOOTNOTE_MARK.sub("", line)
        line = clean(line)
        if line:
            out.append(line)
    return out


def _heading_parts(node: Element, lines: list[list[str]]) -> None:
    """Gather the text of ``node`` into ``lines``, a new line at each <br>, note markers aside. (A
    module function: a recursive closure would be a reference cycle, see document._own_text.)"""
    if node.text:
        lines[-1].append(node.text)
    for child in node:
        if child.tag == "br":
            lines.append([])
        elif isinstance(child.tag, str) and not _is_note_marker(child):
            _heading_parts(child, lines)
        if child.tail:
            lines[-1].append(child.tail)


def _is_note_marker(el: Element) -> bool:
    """A superscript or link inside a heading that only points to a note ("A Just War<sup>1</sup>")."""
    if el.tag not in ("sup", "a"):
        return False
    text = text_of(el)
    if not text or len(text) > HEADING_NOTE_MAX_CHARS:
        return False
    links_to_note = any("#" in (a.get("href") or "") for a in el.iter("a"))
    if el.tag == "a":
        return links_to_note and HEADING_NOTE_LINK.match(text) is not None
    noted = links_to_note or not classes_of(el).isdisjoint(HEADING_NOTE_CLASSES)
    return HEADING_NOTE_MARKER.match(text) is not None or (noted and HEADING_NOTE_LINK.match(text) is not None)


# --- date line ------------------------------------------------------------------------------------------
def date_line(zone: Zone, in_headings: DateValue | None, heading: Title | None, language: str) -> DateValue | None:
    """The text's date as its header prints it: in the headings (see heading_date), then in a note
    under the title that says when the text was given."""
    if in_headings is not None:
        return in_headings
    return date_note(zone, heading.last + 1, language) if heading else None


def heading_date(zone: Zone, dated: DatedHeading | None, heading: Title | None, below: list[int],
                 language: str) -> DateValue | None:
    """The date the headings print, most trusted first: a heading that is a date, the title's last
    line, a date in a heading under the title."""
    if dated is not None:
        return dated.value
    if heading is not None and heading.trailing_date is not None:
        return heading.trailing_date
    return date_below_title(zone, below, language)


def dated_heading(zone: Zone, language: str) -> DatedHeading | None:
    """A heading (not the h1) printed as a date, "(1 June 1946)" or "December 7, 1940"."""
    blocks = zone.blocks
    title_index = next((c for c in zone.candidates if blocks[c].tag == "h1"), None)
    found: DatedHeading | None = None
    for c in zone.candidates:
        if blocks[c].tag == "h1":
            continue
        text = zone.heading_text(c)
        value = _date_line(text, language)
        if value is None or not (title_index is None or c > title_index or blocks[c].tag in HEADINGS):
            continue
        if value.precision == "range" and not text.startswith(("(", "[")):
            # An unbracketed span ("March 8-16, 1921") is the date line only right under an h1 and
            # when no bracketed date follows: a span above the title dates a congress, and one
            # beside "(June 1947)" is a life.
            if title_index is None or c < title_index or found is not None:
                continue
            found = DatedHeading(c, value.date_value())
            continue
        return DatedHeading(c, value.date_value())
    return found


def date_line_value(text: str, language: str) -> DateValue | None:
    """A heading that is a date: "(1 June 1946)", or bare "December 7, 1940", "March 8-16, 1921" —
    but not a bare span of years such as "1879-1944", which heads a book about a life."""
    value = _date_line(text, language)
    return value.date_value() if value is not None else None


def _date_line(text: str, language: str) -> Reading | None:
    stripped = text.strip()
    if not stripped or len(stripped) > DATE_LINE_MAX_CHARS or DATE_NOTE.match(stripped):
        return None  # "Published March-April 1928": a note, whose date is read without its verb
    value = read_date(stripped, language)
    if value.value is None:
        return None
    years_only = value.precision == "decade" or (
        value.precision == "range" and all(len(end) == 4 for end in value.value.split("/")))
    if not stripped.startswith(("(", "[")) and years_only:
        return None
    return value


def date_below_title(zone: Zone, below: list[int], language: str) -> DateValue | None:
    """A date in a heading under the title: a note that says when the text was given, or a date
    inside a smaller heading ("Speech delivered March 25, 1964 …": the heading stays the subtitle)."""
    for c in below:
        text = zone.heading_text(c)
        found = date_note_heading(text, language)
        if found is None and zone.blocks[c].tag in ("h3", "h4", "h5", "h6"):
            found = date_in_heading(text, language)
        if found is not None:
            return found
    return None


def date_note_heading(text: str, language: str) -> DateValue | None:
    """The date of a heading that says when the text was given ("Delivered At A Meeting Of …
    December 14(27), 1917"): such a heading is the date line, never the title."""
    return find_date(text, language) if DATE_NOTE.match(text) else None


def _is_date_note(text: str, language: str) -> bool:
    return DATE_NOTE.match(text) is not None and find_reading(text, language) is not None


def date_in_heading(text: str, language: str) -> DateValue | None:
    """A date printed inside a longer heading: a bracketed date ("… to the present day (1920)"), a
    full date ("Speech delivered March 25, 1964 …"), or a year that ends it ("Pamphlet issued by
    the League, 1926"); not a year in running words ("from 1848 to the present day")."""
    for part in BRACKETED.findall(text):
        value = date_line_value(part, language) or find_date(part, language)
        if value is not None:
            return value
    found = find_reading(text, language)
    if found is None or (found.precision == "year" and not text.rstrip(" .;:)]").endswith(found.raw)):
        return None
    return found.date_value()


def date_note(zone: Zone, start: int, language: str) -> DateValue | None:
    """The date of a note under the title that says when the text was given, "(Delivered to the
    People's University … on June 15, 1923.)", which may run over a few short lines."""
    blocks, limit = zone.blocks, zone.limit
    for i in range(start, limit):
        text = blocks[i].text
        if blocks[i].tag in HEADINGS or not DATE_NOTE.match(text):
            continue
        parts = [text]
        following = i + 1
        while "".join(parts).count("(") > "".join(parts).count(")") and following < limit \
                and len(parts) < DATE_NOTE_MAX_LINES:
            if blocks[following].text:
                parts.append(blocks[following].text)
            following += 1
        found = find_date(" ".join(parts), language)
        if found is not None:
            return found
    return None


# --- byline ---------------------------------------------------------------------------------------------
def byline(zone: Zone, at: int | None, heading: Title | None, page_title: str, surname: str | None) -> str | None:
    """The author's name as printed: a byline heading above the title, then a "by …" line under
    it, then the name before the colon of the page's <title>."""
    name = None
    if at is not None:
        block = zone.blocks[at]
        if block.tag == "p" and TITLE_PARAGRAPH_CLASS in block.classes:
            name = _byline_from_title_paragraph(block)
        else:
            name = _byline_from_heading(block)
    if name is None and heading is not None:
        name = by_line(zone.blocks, heading.last + 1, zone.limit)
    if name is None:
        name = page_title_byline(page_title, surname)
    return name


def byline_heading(zone: Zone, above: list[int], surname: str | None, heading: Title | None) -> int | None:
    """The heading above the title that names the author: the catalogued author's surname, an old
    layout's title paragraph, an h2 that reads as a name; where the catalogue names no author, a
    body that signs the text ("Group of International Communists" above an h1)."""
    blocks = zone.blocks
    at = _pick_byline(blocks, above, surname)
    if at is None and surname is None and heading is not None and blocks[heading.first].tag == "h1":
        at = next((c for c in above if blocks[c].tag in HEADINGS and _names_organisation(blocks[c].text)), None)
    return at


def by_line(blocks: list[Block], start: int, limit: int) -> str | None:
    """The byline printed as "by J. C. MARIATEGUI" under the title, or "by" above the name."""
    texts = [block.text for block in blocks[start:limit] if block.text and block.tag != "hr"]
    for i, text in enumerate(texts):
        match = BY_LINE.match(text)
        if match is None:
            continue
        name = match["name"] or (texts[i + 1] if i + 1 < len(texts) else "")
        last = name.split()[-1] if name.split() else ""
        if last.endswith(".") and len(last) > 2 and "." not in last[:-1]:
            name = name[:-1]  # "by Lance Sharkey." but not "by J. C." or "…, M.P."
        if looks_like_name(name):
            return name
    return None


def page_title_byline(page_title: str, surname: str | None) -> str | None:
    """The name before the colon of the page's <title> ("V. I. Lenin: …"), when it reads as a name
    (and holds the catalogued author's surname, where there is one)."""
    prefix = page_title.split(":", 1)[0].strip() if ":" in page_title else ""
    if prefix and looks_like_name(prefix) and (surname is None or surname in name_key(prefix)):
        return prefix
    return None


def looks_like_name(text: str) -> bool:
    """A byline: a few capitalised words or initials ("V. I. Lenin", "C.L.R. James")."""
    words = text.replace(",", " ").split()
    if not 0 < len(words) <= BYLINE_MAX_WORDS or NOT_A_BYLINE.search(text):
        return False
    return all(w[0].isupper() or w.lower() in BYLINE_PARTICLES or not w[0].isalpha() for w in words)


def _byline_from_heading(block: Block) -> str:
    """The name in a byline heading that also carries something else on a line of its own or
    after a colon ("Rudolf Hilferding:<br>Böhm-Bawerk's Criticism of Marx", "Karl Radek<br>
    <small>Third Congress of the Communist International</small>")."""
    lines = block_heading_lines(block)
    whole = " ".join(lines)
    first = lines[0] if lines else whole
    name = first.split(":", 1)[0].strip(" ,") if ":" in first else first.strip(" ,")
    if len(lines) > 1 and (lines[1].startswith("(") or all(looks_like_name(line) for line in lines)):
        return whole  # "George Novack<br>(writing as William F. Warde)"; two names, one to a line
    return name if name != whole and looks_like_name(name) else whole


def _names_organisation(text: str) -> bool:
    """A heading that names a body ("Group of International Communists"): capitalised words and
    the small words between them, one of them a word for a body."""
    words = text.replace(",", " ").split()
    if not 1 < len(words) <= ORGANISATION_MAX_WORDS or NOT_AN_ORGANISATION.search(text):
        return False
    if not all(w[0].isupper() or w.lower() in ORGANISATION_LINKS for w in words):
        return False
    return any(w.lower().strip("'’") in ORGANISATION_WORDS for w in words)


def _pick_byline(blocks: list[Block], indexes: list[int], surname: str | None) -> int | None:
    named = [c for c in indexes if blocks[c].tag in HEADINGS or TITLE_PARAGRAPH_CLASS in blocks[c].classes]
    if not named:
        return None
    if surname:
        for c in named:
            if surname in name_key(blocks[c].text):
                return c
    for c in named:
        if TITLE_PARAGRAPH_CLASS in blocks[c].classes:
            # Old layouts: <p class="title">Antonio Gramsci 1921</p> above the title heading.
            found = _byline_from_title_paragraph(blocks[c])
            if found and looks_like_name(found):
                return c
    for c in named:
        if blocks[c].tag == "h2" and looks_like_name(blocks[c].text):
            return c
    if surname:
        return None  # the author is known and named nowhere: only the h2 slot holds a pseudonym
    for c in named:
        if looks_like_name(blocks[c].text) and blocks[c].tag in HEADINGS:
            return c
    return None


def _byline_from_title_paragraph(block: Block) -> str | None:
    lines = split_lines(block.el, label_tags=False)
    first = lines[0].text if lines else block.text
    first = BYLINE_YEAR.sub("", first).strip(" ,:")
    person = BYLINE_ARCHIVE.sub("", first).strip(" ,:")
    if len(person.split()) >= BYLINE_PERSON_MIN_WORDS:
        first = person  # "Che Guevara Internet Archive" names its writer; "Sample Archive" does not
    return first or None
