"""One archive page (bytes + URL) -> a Work, Index or OtherPage record, or an ExtractError."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree, html

from crawler.extract.catalogue import Catalogue, author_root, language_of
from crawler.extract.colophon import (
    _NESTED_BLOCKS,
    Colophon,
    clean,
    is_endnote_block,
    own_text,
    read_colophon,
    split_lines,
)
from crawler.extract.dates import find_date, parse_date, url_date
from crawler.extract.decode import decode_html, xml_safe
from crawler.extract.document import document_text_size, flatten, text_size
from crawler.extract.series import SeriesSigns, page_series, read_marker, read_series_line, read_trailing_marker
from crawler.extract.vocab import (
    BARE_NUMBER_HEADING,
    BODY_LOST_MIN_TEXT,
    BODY_LOST_SHARE,
    BRACKETED,
    BY_LINE,
    CHAPTER_HEADING,
    CHAPTER_LINE_LEAD,
    CHAPTER_LIST_HEADING_LINES,
    CHAPTER_LIST_MIN,
    CHAPTER_LIST_SKIP_CLASSES,
    CONTINUED,
    CONTINUED_FROM,
    DATE_NOTE,
    DATE_NOTE_MAX_LINES,
    EDITORIAL_NOTE,
    FLATTEN_DEPTH,
    FOOTNOTE_MARK,
    HEADING_NOTE_CLASSES,
    HEADING_NOTE_LINK,
    HEADING_NOTE_MARKER,
    LAST_UPDATED,
    NAV_CLASSES,
    NON_WORK_PAGES,
    NOTE_CLASSES,
    NOTES_HEADINGS,
    NUMBERED_SECTION,
    ORGANISATION_LINKS,
    ORGANISATION_MAX_WORDS,
    ORGANISATION_WORDS,
    PLACEHOLDER_TITLES,
    SEPARATOR,
    SERIES_LINE_MAX_WORDS,
    TITLE_BREAKS_OFF,
)
from models import (
    Author,
    DateValue,
    Index,
    IndexEntry,
    Licence,
    Note,
    OtherPage,
    PartOf,
    Provenance,
    Work,
    WorkDates,
    utc_now,
)

EXTRACTOR_VERSION = "1.0.0"

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LEAF_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address", "caption"})
_CONTAINERS = frozenset({"li", "dd", "dt", "blockquote", "td", "th", "div", "center", "font"})
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"ID3", b"\x1f\x8b",
                 b"OggS", b"RIFF", b"\x00\x00\x01\x00")
_HTML_LINK = re.compile(r"\.(?:html?|php|asp)$|/$|^[^.]*$", re.I)
_SKIP_LINK = re.compile(r"\.(?:jpe?g|png|gif|svg|css|js|ico|bmp|tiff?|mp3|ogg|wav|zip|gz|doc|rtf|txt|epub|mobi)$", re.I)


class ExtractError(Exception):
    """A page that cannot become a record: `code` is stable, `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Fetch:
    """What the fetch knew about the page, for provenance."""

    fetched_at: str = ""
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    charset: str | None = None


@dataclass
class Block:
    el: html.HtmlElement
    tag: str
    classes: frozenset[str]
    text: str
    words: int = 0

    def __post_init__(self) -> None:
        self.words = self.text.count(" ") + 1 if self.text else 0


def _classes(el: html.HtmlElement) -> frozenset[str]:
    return frozenset((el.get("class") or "").lower().split())


def _text(el: html.HtmlElement) -> str:
    return clean(el.text_content())


def _heading_text(el: html.HtmlElement) -> str:
    """A heading's text with line breaks as spaces and footnote markers dropped."""
    return " ".join(_heading_lines(el))


def _is_note_marker(el: html.HtmlElement) -> bool:
    """A superscript or link inside a heading that only points to a note ("A Just War<sup>1</sup>")."""
    if el.tag not in ("sup", "a"):
        return False
    text = clean(el.text_content())
    if not text or len(text) > 6:
        return False
    links_to_note = any("#" in (a.get("href") or "") for a in el.iter("a"))
    if el.tag == "a":
        return links_to_note and HEADING_NOTE_LINK.match(text) is not None
    classes = set((el.get("class") or "").lower().split())
    return HEADING_NOTE_MARKER.match(text) is not None or (
        (links_to_note or bool(classes & HEADING_NOTE_CLASSES)) and HEADING_NOTE_LINK.match(text) is not None)


def _heading_lines(el: html.HtmlElement) -> list[str]:
    """A heading's lines as printed: split at each <br>, footnote markers dropped."""
    lines: list[list[str]] = [[]]

    def walk(node: html.HtmlElement) -> None:
        if node.text:
            lines[-1].append(node.text)
        for child in node:
            if child.tag == "br":
                lines.append([])
            elif isinstance(child.tag, str) and not _is_note_marker(child):
                walk(child)
            if child.tail:
                lines[-1].append(child.tail)

    walk(el)
    out = (clean(FOOTNOTE_MARK.sub("", "".join(parts))) for parts in lines)
    return [line for line in out if line]


_STRUCTURE = _LEAF_BLOCKS | {"table", "ul", "ol", "dl"}
def blocks_of(body: html.HtmlElement) -> list[Block]:
    """The page's blocks in reading order: paragraphs, headings, rules and loose text cells."""
    out: list[Block] = []
    # Containers holding a block of their own are walked into; the others are text cells.
    holders: set[html.HtmlElement] = set()
    for el in body.iter(*_STRUCTURE):
        for ancestor in el.iterancestors():
            if ancestor in holders:
                break
            holders.add(ancestor)

    def visit(el: html.HtmlElement) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag in _LEAF_BLOCKS:
                if child in holders and any(d.tag in _NESTED_BLOCKS for d in child.iterdescendants()
                                            if isinstance(d.tag, str)):
                    # Blocks nested inside a paragraph: its own text, then the blocks themselves.
                    out.append(Block(child, tag, _classes(child), own_text(child)))
                    visit(child)
                    continue
                out.append(Block(child, tag, _classes(child), _text(child)))
            elif tag == "hr":
                out.append(Block(child, tag, _classes(child), ""))
            elif tag in _CONTAINERS and child not in holders:
                text = _text(child)
                if text:
                    out.append(Block(child, "p", _classes(child), text))
            else:
                visit(child)

    visit(body)
    return out


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() or c == " ")


def _is_date_line(text: str, language: str) -> DateValue | None:
    """A heading that is a date: "(1 June 1946)", or bare "December 7, 1940", "March 8-16, 1921" —
    but not a bare span of years such as "1879-1944", which heads a book about a life."""
    stripped = text.strip()
    if not stripped or len(stripped) > 80 or DATE_NOTE.match(stripped):
        return None  # "Published March-April 1928": a note, whose date is read without its verb
    value = parse_date(stripped, language)
    if value.value is None:
        return None
    years_only = value.precision == "decade" or (
        value.precision == "range" and all(len(end) == 4 for end in value.value.split("/")))
    if not stripped.startswith(("(", "[")) and years_only:
        return None
    return value


def _is_nav(block: Block) -> bool:
    return bool(block.classes & NAV_CLASSES)


@dataclass
class Header:
    title: str | None = None
    title_block: Block | None = None
    byline: str | None = None
    pretitle: str | None = None
    subtitle: str | None = None
    date_line: DateValue | None = None
    end: int = 0  # index of the first block after the header
    book_title: str | None = None


_PARTICLES = frozenset({"de", "da", "del", "della", "di", "do", "dos", "du", "la", "le", "van",
                        "von", "der", "den", "ten", "y", "e", "and", "&", "al", "bin", "ibn"})


def _looks_like_name(text: str) -> bool:
    """A byline: a few capitalised words or initials ("V. I. Lenin", "C.L.R. James")."""
    words = text.replace(",", " ").split()
    if not 0 < len(words) <= 6 or re.search(r"\d|:|archive|marxist|internet|index|works", text, re.I):
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLES or not w[0].isalpha() for w in words)


def read_header(blocks: list[Block], colophon_start: int | None, canonical: str | None,
                page_title: str, language: str, in_book: bool = False) -> Header:
    """The header above the text: title, byline, pre- and subtitle, date line.  ``in_book``: the
    page links to a contents page beside it, so a chapter heading under the title is its own."""
    header = Header()
    limit = len(blocks) if colophon_start is None else colophon_start
    candidates: list[int] = []
    for i, block in enumerate(blocks[:limit]):
        if block.tag in _HEADINGS or (block.tag == "p" and block.classes & {"title", "sub", "title2"}):
            if block.text:
                candidates.append(i)
            continue
        if block.tag == "hr" or _is_nav(block) or not block.text:
            continue
        if (block.classes & {"fst"} or block.words >= 12) and (
                any(blocks[c].tag == "h1" for c in candidates) or block.words >= 25 or candidates):
            limit = i
            break
    candidates = [c for c in candidates if c < limit]
    header.end = (max(candidates) + 1) if candidates else 0
    if colophon_start is not None:
        header.end = colophon_start
    title_index = next((c for c in candidates if blocks[c].tag == "h1"), None)
    # Dates printed as headings, "(1 June 1946)" or "December 7, 1940".
    date_index = None
    for c in candidates:
        if blocks[c].tag == "h1":
            continue
        text = _heading_text(blocks[c].el) if blocks[c].tag in _HEADINGS else blocks[c].text
        value = _is_date_line(text, language)
        if value is None or not (title_index is None or c > title_index or blocks[c].tag in _HEADINGS):
            continue
        if value.precision == "range" and not text.startswith(("(", "[")):
            # An unbracketed span ("March 8-16, 1921") is the date line only right under an h1 and
            # when no bracketed date follows: a span above the title dates a congress, and one
            # beside "(June 1947)" is a life.
            if title_index is None or c < title_index or date_index is not None:
                continue
            header.date_line, date_index = value, c
            continue
        header.date_line, date_index = value, c
        break
    surname = _fold(canonical.split()[-1]) if canonical else None
    before = [c for c in candidates if (title_index is None or c < title_index) and c != date_index]
    if title_index is None:
        # No h1: the first heading that is not the byline is the title (old layouts, chapters).
        byline_pick = _pick_byline(blocks, before, surname)
        rest = [c for c in before if blocks[c].tag in _HEADINGS and c != byline_pick
                and not blocks[c].text.startswith("(") and _date_note_heading(blocks[c].text, language) is None
                and parse_date(blocks[c].text, language).value is None]
        if rest:
            # The largest heading is the title: h2 over h3 over h4 ...
            title_index = min(rest, key=lambda c: (blocks[c].tag, c))
        before = [c for c in candidates if title_index is None or c < title_index]
    if title_index is not None:
        header.title_block = blocks[title_index]
        lines = _heading_lines(blocks[title_index].el)
        # "Report on Tactics and Strategy<br><small>June 30, 1921</small>": the date line printed as
        # the title's last line.
        last_date = _is_date_line(lines[-1], language) if len(lines) > 1 else None
        if last_date is not None and header.date_line is None and last_date.precision not in ("range", "decade"):
            header.date_line, lines = last_date, lines[:-1]
            lines[-1] = lines[-1].rstrip(" ,;:")
        header.title = " ".join(lines)
        title_index, header.title = _whole_title(blocks, title_index, header.title, candidates, date_index,
                                                 language)
    byline_index = _pick_byline(blocks, [c for c in before if c != date_index], surname)
    if byline_index is None and surname is None and header.title_block is not None \
            and header.title_block.tag == "h1":
        # A body signs the text ("Group of International Communists" above the title).
        byline_index = next((c for c in before if c != date_index and blocks[c].tag in _HEADINGS
                             and _names_organisation(blocks[c].text)), None)
    if byline_index is not None:
        block = blocks[byline_index]
        if block.tag == "p" and "title" in block.classes:
            header.byline = _byline_from_title_paragraph(block)
        else:
            header.byline = _byline_from_heading(block.el)
    if header.byline is None and title_index is not None:
        header.byline = _by_line(blocks, title_index + 1, limit)
    if header.byline is None:
        prefix = page_title.split(":", 1)[0].strip() if ":" in page_title else ""
        if prefix and _looks_like_name(prefix) and (surname is None or surname in _fold(prefix)):
            header.byline = prefix
    pre = [c for c in before if c != byline_index and c != date_index
           and not ("title" in blocks[c].classes and blocks[c].tag == "p")]
    if pre:
        header.pretitle = _heading_text(blocks[pre[0]].el)
    after = [c for c in candidates if title_index is not None and c > title_index and c != date_index]
    if header.date_line is None:
        for c in after:
            text = _heading_text(blocks[c].el) if blocks[c].tag in _HEADINGS else blocks[c].text
            found = _date_note_heading(text, language)
            if found is None and blocks[c].tag in ("h3", "h4", "h5", "h6"):
                found = _date_in_heading(text, language)
            if found is not None:
                # A date inside a longer heading ("Speech delivered March 25, 1964 …"): the
                # heading stays the subtitle.
                header.date_line = found
                break
    if after:
        first = blocks[after[0]]
        if first.tag in _HEADINGS and first.tag != "h1":
            subtitle = _heading_text(first.el)
            under_chapter = CHAPTER_HEADING.match(header.title or "") and NUMBERED_SECTION.match(subtitle)
            lines = _heading_lines(first.el)
            listed = len(lines) >= CHAPTER_LIST_HEADING_LINES and all(CHAPTER_HEADING.match(line) for line in lines)
            if CHAPTER_HEADING.match(subtitle) and not under_chapter and not listed and (
                    in_book or (header.date_line is None and not BARE_NUMBER_HEADING.match(subtitle))):
                # A chapter's own heading under the book's title (under a chapter's, it opens a
                # section).  A dated article in a series keeps its title over a numbered subtitle
                # ("II. Poincaré …"), and a bare "Part IV" is only a part number.
                _, chapter = _whole_title(blocks, after[0], subtitle, candidates, date_index, language)
                header.book_title, header.title = header.title, chapter
            else:
                header.subtitle = subtitle
    if header.date_line is None and title_index is not None:
        header.date_line = _date_note(blocks, title_index + 1, limit, language)
    return header


def _whole_title(blocks: list[Block], index: int, title: str, candidates: list[int],
                 date_index: int | None, language: str) -> tuple[int, str]:
    """The title heading at ``index`` joined with the heading printed right after it when the two
    are one title: a title that breaks off mid-phrase in one h1 and goes on in the next ("Rosa
    Luxemburg" / "y el espontaneismo revolucionario"), or a bare number heading and the heading that
    names it ("Chapter One" / "VALUE AS AN ECONOMIC CATEGORY").  Returns the last heading's index."""
    while index + 1 in candidates and index + 1 != date_index:
        block, following = blocks[index], blocks[index + 1]
        if following.tag not in _HEADINGS:
            break
        text = _heading_text(following.el)
        if not text or NOTES_HEADINGS.match(text) or BARE_NUMBER_HEADING.match(text) \
                or _is_date_line(text, language) is not None or _date_note_heading(text, language) is not None:
            break
        goes_on = following.tag == block.tag and (TITLE_BREAKS_OFF.search(title) is not None
                                                  or text[:1].islower())
        if not (goes_on or BARE_NUMBER_HEADING.match(title)):
            break
        title, index = f"{title} {text}", index + 1
    return index, title


def _date_note_heading(text: str, language: str) -> DateValue | None:
    """The date of a heading that says when the text was given ("Delivered At A Meeting Of …
    December 14(27), 1917"): such a heading is the date line, never the title."""
    return find_date(text, language) if DATE_NOTE.match(text) else None


def _date_in_heading(text: str, language: str) -> DateValue | None:
    """A date printed inside a longer heading: a bracketed date ("… to the present day (1920)"), a
    full date ("Speech delivered March 25, 1964 …"), or a year that ends it ("Pamphlet issued by
    the League, 1926"); not a year in running words ("from 1848 to the present day")."""
    for part in BRACKETED.findall(text):
        value = _is_date_line(part, language) or find_date(part, language)
        if value is not None:
            return value
    found = find_date(text, language)
    if found is not None and found.precision == "year" and not text.rstrip(" .;:)]").endswith(found.raw):
        return None
    return found


def _date_note(blocks: list[Block], start: int, limit: int, language: str) -> DateValue | None:
    """The date of a note under the title that says when the text was given, "(Delivered to the
    People's University … on June 15, 1923.)", which may run over a few short lines."""
    for i in range(start, limit):
        text = blocks[i].text
        if blocks[i].tag in _HEADINGS or not DATE_NOTE.match(text):
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


def _by_line(blocks: list[Block], start: int, limit: int) -> str | None:
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
        if _looks_like_name(name):
            return name
    return None


def _byline_from_heading(el: html.HtmlElement) -> str:
    """The name in a byline heading that also carries something else on a line of its own or
    after a colon ("Rudolf Hilferding:<br>Böhm-Bawerk's Criticism of Marx", "Karl Radek<br>
    <small>Third Congress of the Communist International</small>")."""
    lines = _heading_lines(el)
    whole = " ".join(lines)
    first = lines[0] if lines else whole
    name = first.split(":", 1)[0].strip(" ,") if ":" in first else first.strip(" ,")
    if len(lines) > 1 and (lines[1].startswith("(") or all(_looks_like_name(line) for line in lines)):
        return whole  # "George Novack<br>(writing as William F. Warde)"; two names, one to a line
    return name if name != whole and _looks_like_name(name) else whole


def _names_organisation(text: str) -> bool:
    """A heading that names a body ("Group of International Communists"): capitalised words and
    the small words between them, one of them a word for a body."""
    words = text.replace(",", " ").split()
    if not 1 < len(words) <= ORGANISATION_MAX_WORDS or re.search(r"\d|:", text):
        return False
    if not all(w[0].isupper() or w.lower() in ORGANISATION_LINKS for w in words):
        return False
    return any(w.lower().strip("'’") in ORGANISATION_WORDS for w in words)


def _pick_byline(blocks: list[Block], indexes: list[int], surname: str | None) -> int | None:
    named = [c for c in indexes if blocks[c].tag in _HEADINGS or "title" in blocks[c].classes]
    if not named:
        return None
    if surname:
        for c in named:
            if surname in _fold(blocks[c].text):
                return c
    for c in named:
        if "title" in blocks[c].classes:
            # Old layouts: <p class="title">Antonio Gramsci 1921</p> above the title heading.
            byline = _byline_from_title_paragraph(blocks[c])
            if byline and _looks_like_name(byline):
                return c
    for c in named:
        if blocks[c].tag == "h2" and _looks_like_name(blocks[c].text):
            return c
    if surname:
        return None  # the author is known and named nowhere: only the h2 slot holds a pseudonym
    for c in named:
        if _looks_like_name(blocks[c].text) and blocks[c].tag in _HEADINGS:
            return c
    return None


def _byline_from_title_paragraph(block: Block) -> str | None:
    lines = split_lines(block.el, label_tags=False)
    first = lines[0].text if lines else block.text
    first = re.sub(r"\s*\b1[5-9]\d\d\b.*$", "", first).strip(" ,:")
    person = re.sub(r"\s*\b(?:internet\s+)?archive\b.*$", "", first, flags=re.I).strip(" ,:")
    if len(person.split()) >= 2:
        first = person  # "Che Guevara Internet Archive" names its writer; "Sample Archive" does not
    return first or None


def _first_prose(blocks: list[Block]) -> int:
    """Index of the first paragraph of running text (past the headings), or len(blocks)."""
    seen_heading = False
    for i, block in enumerate(blocks):
        if block.tag in _HEADINGS:
            seen_heading = True
        elif (seen_heading and block.tag == "p" and not _is_nav(block)
              and not block.classes & {"information", "info", "from", "transcriber"}
              and (block.words >= 25 or ("fst" in block.classes and block.words >= 8))):
            return i
    return len(blocks)


def _find_colophon(blocks: list[Block]) -> list[int]:
    found: list[int] = []
    inside_rule = False
    for i, block in enumerate(blocks):
        if block.tag == "hr":
            if "infotop" in block.classes and not found:
                inside_rule = True
                continue
            if found:
                break  # infobot, or any rule after the colophon (an unbalanced infotop)
            inside_rule = False
            continue
        is_colophon = bool(block.classes & {"information", "info", "from", "transcriber"}) or (
            inside_rule and "fst" not in block.classes)
        if is_colophon and block.tag == "p" and block.text and not is_endnote_block(block.el):
            found.append(i)
        elif found:
            break
    return found


@dataclass
class Body:
    text: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    editorial_notes: list[str] = field(default_factory=list)
    series: SeriesSigns = field(default_factory=SeriesSigns)
    words: int = 0


def _anchor_targets(body: html.HtmlElement) -> dict[str, int]:
    """Fragment targets -> document position of the first link to them."""
    targets: dict[str, int] = {}
    for position, el in enumerate(body.iter()):
        if el.tag != "a":
            continue
        href = el.get("href") or ""
        if href.startswith("#") and len(href) > 1 and href[1:].lower() not in ("top", "toc", "contents"):
            targets.setdefault(href[1:], position)
    return targets


def _note_target(block: Block, targets: dict[str, int], positions: dict[html.HtmlElement, int]) -> str | None:
    """The anchor of a note: an element named by a link that comes earlier in the page (a
    reference's own anchor is named only by the note's link back, which comes later)."""
    for el in block.el.iter():
        if not isinstance(el.tag, str):
            continue
        for key in (el.get("id"), el.get("name")):
            if key and key in targets and targets[key] < positions.get(el, -1):
                return str(key)
    return None


def read_body(blocks: list[Block], start: int, body_el: html.HtmlElement,
              skip: frozenset[int] = frozenset()) -> Body:
    out = Body()
    targets = _anchor_targets(body_el)
    positions = {el: i for i, el in enumerate(body_el.iter())} if targets else {}
    in_notes = False
    editorial_container: html.HtmlElement | None = None
    texts: list[tuple[str, Block]] = []
    prose_started = False  # a paragraph of the text has been read (series lines before it open the page)
    for index, block in enumerate(blocks[start:], start):
        if block.tag == "hr" or index in skip:
            continue
        text = block.text
        if LAST_UPDATED.match(text) and block.words < 12:
            break
        if block.classes & {"footer", "linkback"}:
            if texts:
                break
            continue  # the end-of-page navigation class used at the start
        # A "last updated" class on anything but a last-updated line is text that borrowed it.
        if not text or (_is_nav(block) and not block.classes & NOTE_CLASSES):
            # A series line set in a navigation class ("p.link": "(To Be Continued)") is read.
            read_series_line(out.series, text, block.el, opening=not prose_started, navigation=True)
            continue
        links = block.el.findall(".//a") if block.words <= 40 else []
        if links and sum(len(a.text_content().split()) for a in links) >= 0.8 * block.words:
            read_series_line(out.series, text, block.el, opening=not prose_started)
            continue  # a navigation line ("Next chapter", "Archive | Index") or a linked series line
        target = _note_target(block, targets, positions) if targets else None
        if block.tag in _HEADINGS and NOTES_HEADINGS.match(text):
            in_notes = True
            continue
        if target is None and not in_notes and block.classes & NOTE_CLASSES and not texts:
            # A "note" before any of the text is the editors' ("[This article appeared …]").
            out.editorial_notes.append(text)
            continue
        if target is not None or block.classes & NOTE_CLASSES or (in_notes and block.tag == "p"):
            in_notes = True
            out.notes.append(_note(block))
            continue
        if editorial_container is not None and block.el.getparent() is not None and \
                editorial_container in block.el.iterancestors():
            out.editorial_notes[-1] += "\n\n" + text
            continue
        if EDITORIAL_NOTE.match(text):
            out.editorial_notes.append(text)
            container = block.el.getparent()
            in_box = container is not None and container.tag in ("td", "div", "blockquote")
            editorial_container = container if in_box else None
            continue
        editorial_container = None
        if block.words <= SERIES_LINE_MAX_WORDS and read_series_line(
                out.series, text, block.el, opening=not prose_started):
            continue
        if block.tag in _HEADINGS:
            if SEPARATOR.match(text):
                continue
            heading = _heading_text(block.el)
            out.sections.append(heading)
            if not prose_started:
                out.series.opening_headings.append(heading)
        elif SEPARATOR.match(text):
            continue
        else:
            prose_started = True
            read_trailing_marker(out.series, text, block.el)
        texts.append((text, block))
    out.text = [t for t, _ in texts]
    out.words = sum(block.words for _, block in texts)
    return out


def _note(block: Block) -> Note:
    text = block.text
    label_match = re.match(r"^\s*[\[(]?\s*(\d{1,3}[a-z*]?|[a-z]|\*+)\s*[\])]?\s*\.?\s*", text, re.I)
    label = ""
    if label_match and label_match.end() < len(text):
        label = label_match[1]
        text = text[label_match.end():]
    return Note(label=label, text=text.strip())


def read_last_updated(blocks: list[Block]) -> DateValue | None:
    for block in reversed(blocks[-12:] if len(blocks) > 12 else blocks):
        text = block.text
        match = LAST_UPDATED.search(text)
        if match and (match.start() == 0 or block.classes & {"updat", "udat", "updast", "inline", "foot"}):
            value = text[match.end():].strip(" .:")
            if not value:
                continue
            whole = parse_date(value)
            return whole if whole.value is not None else (find_date(value) or whole)
    return None


def _page_title(tree: html.HtmlElement) -> str:
    title = tree.find(".//title")
    return clean(title.text_content()) if title is not None else ""


def _is_same_site(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    if a.scheme == "file" or b.scheme == "file":
        return a.scheme == b.scheme
    return a.scheme in ("http", "https") and a.hostname == b.hostname


@dataclass
class Page:
    """Everything read from one page before it becomes a record."""

    id: str
    url: str
    tree: html.HtmlElement
    body: html.HtmlElement
    blocks: list[Block]
    encoding: str
    sha256: str
    language: str
    page_title: str
    removed_characters: int = 0  # characters XML cannot carry, removed from the document


def parse_page(body: bytes, url: str, page_id: str, charset: str | None = None) -> Page:
    if not body.strip():
        raise ExtractError("empty_body", "the page has no content")
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise ExtractError("not_html", "the body is binary, not HTML")
    text, encoding = decode_html(body, charset)
    text, removed = xml_safe(text)
    text = _XML_DECL.sub("", text, count=1)
    if "<" not in text[:4096]:
        raise ExtractError("not_html", "the body holds no markup")
    tree, body_el, blocks = _read(text)
    if _lost(text, tree, blocks):
        # The parser stopped early: read the document again flattened (see document.flatten), with
        # no limit on the size of a text node.
        tree, body_el, blocks = _read(flatten(text, FLATTEN_DEPTH), html.HTMLParser(huge_tree=True))
        if _lost(text, tree, blocks):
            raise ExtractError("body_lost", f"the parsed page keeps {text_size(tree.text_content())} of the "
                               f"{document_text_size(text)} characters of text the document holds")
    return Page(
        id=page_id,
        url=url,
        tree=tree,
        body=body_el,
        blocks=blocks,
        encoding=encoding,
        sha256=hashlib.sha256(body).hexdigest(),
        language=language_of(page_id),
        page_title=_page_title(tree),
        removed_characters=removed,
    )


def _read(text: str, parser: html.HTMLParser | None = None) -> tuple[html.HtmlElement, html.HtmlElement, list[Block]]:
    """The document's tree (scripts, styles and comments removed), its body and its blocks."""
    try:
        tree = html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as error:
        raise ExtractError("parse_error", f"the HTML could not be parsed: {error}") from error
    etree.strip_elements(tree, "script", "style", "noscript", etree.Comment, with_tail=False)
    body_el = tree.find("body")
    if body_el is None:
        body_el = tree
    return tree, body_el, blocks_of(body_el)


def _lost(text: str, tree: html.HtmlElement, blocks: list[Block]) -> bool:
    """The tree keeps less than BODY_LOST_SHARE of the text the document holds (see vocab)."""
    # The document's text is never longer than the document, and the blocks' text is part of the
    # tree's: these bounds settle almost every page before the document itself is measured.
    floor = BODY_LOST_SHARE * len(text)
    in_blocks = 0
    for block in blocks:
        in_blocks += len(block.text) - block.words  # no more than its characters, spaces aside
        if in_blocks >= floor:
            return False
    kept = text_size(tree.text_content())
    if kept >= floor:
        return False
    held = document_text_size(text)
    return held >= BODY_LOST_MIN_TEXT and kept < BODY_LOST_SHARE * held


def _provenance(page: Page, fetch: Fetch) -> Provenance:
    return Provenance(
        fetched_at=fetch.fetched_at or utc_now(),
        http_status=fetch.http_status,
        etag=fetch.etag,
        last_modified=fetch.last_modified,
        encoding=page.encoding,
        content_sha256=page.sha256,
        extractor_version=EXTRACTOR_VERSION,
    )


_INDEX_SKIP = frozenset({"toplink", "footer", "updat", "inline", "foot", "title", "linkback"})


def _count_entries(blocks: list[Block]) -> int:
    """How many distinct pages of the site the blocks link to (navigation aside)."""
    seen = set()
    for block in blocks:
        if block.tag == "hr" or block.classes & _INDEX_SKIP:
            continue
        for a in block.el.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("#", "mailto:", "javascript:")) or "://" in href[:12] \
                    or _SKIP_LINK.search(href.split("#")[0]):
                continue
            seen.add(href.split("#")[0])
    return len(seen)


def index_entries(page: Page) -> list[IndexEntry]:
    entries: list[IndexEntry] = []
    seen: set[str] = set()
    for block in page.blocks:
        if block.tag == "hr" or block.classes & _INDEX_SKIP:
            continue
        lines = split_lines(block.el, label_tags=False)
        context_date: DateValue | None = None
        for line in lines:
            rest = line.text
            for _, link_text in line.links:
                if link_text:
                    rest = rest.replace(link_text, " ")
            date = find_date(rest, page.language) if rest.strip() else None
            if date is None:
                date = _cell_date(block, page.language) or context_date
            else:
                context_date = date if not line.links else context_date
            notes = [m for m in re.findall(r"\([^()]{2,80}\)", rest) if find_date(m) is None]
            for href, link_text in line.links:
                absolute, _ = urldefrag(urljoin(page.url, href.strip()))
                if not link_text or href.startswith(("#", "mailto:", "javascript:")):
                    continue
                if not _is_same_site(absolute, page.url) or _SKIP_LINK.search(urlsplit(absolute).path):
                    continue
                if absolute in seen or absolute == urldefrag(page.url)[0]:
                    continue
                seen.add(absolute)
                entries.append(IndexEntry(url=absolute, title=link_text, date=date,
                                          note=" ".join(notes) or None))
    return entries


def _cell_date(block: Block, language: str) -> DateValue | None:
    cell = next((a for a in block.el.iterancestors() if a.tag == "td"), None)
    if cell is None and block.el.tag == "td":
        cell = block.el
    if cell is None:
        return None
    previous = cell.getprevious()
    if previous is not None and previous.tag == "td":
        return find_date(clean(previous.text_content()), language)
    return None


def _chapter_list(page: Page, blocks: list[Block]) -> int:
    """How many pages beside this one the text lists one to a line, each line opening with its
    link: the chapter list of a contents page, wherever it stands among the page's other text."""
    name = page.id.rsplit("/", 1)[-1].lower()

    def sibling(href: str) -> str | None:
        target = href.strip().split("#")[0].lower()
        if not target or "/" in target or ":" in target or target == name or "." not in target \
                or not _HTML_LINK.search(target):
            return None  # only a page of the same folder is a chapter
        return target

    # Most pages link to fewer sibling pages than a list needs: settle them before reading lines.
    if len({sibling(a.get("href") or "") for a in page.body.iter("a")} - {None}) < CHAPTER_LIST_MIN:
        return 0
    holding = [block for block in blocks if block.tag != "hr" and block.text
               and not block.classes & CHAPTER_LIST_SKIP_CLASSES
               and any(sibling(a.get("href") or "") for a in block.el.iter("a"))]
    listed: set[str] = set()
    for block in holding:
        for line in split_lines(block.el, label_tags=False):
            if not line.links:
                continue
            href, link_text = line.links[0]
            target = sibling(href)
            if not link_text or target is None:
                continue
            text = line.text
            lead = text.find(link_text)
            if lead < 0 or not CHAPTER_LINE_LEAD.match(text[:lead]) or CONTINUED.search(text) \
                    or CONTINUED_FROM.search(text):
                continue
            listed.add(target)
    return len(listed)


def _page_kind(page: Page, header: Header, colophon: Colophon | None, entries: int,
               body_words: int, link_words: int, chapters: int = 0) -> str:
    path = page.id
    name = path.rsplit("/", 1)[-1].lower()
    title = header.title or page.page_title
    if PLACEHOLDER_TITLES.search(title or "") or PLACEHOLDER_TITLES.search(page.page_title):
        return "other"
    root = author_root(path)
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    is_index_name = re.fullmatch(r"(?:index|indeks|indice|works|obras|oeuvres|werke)\.html?", name) is not None
    if (is_index_name and root and folder in (root, f"{root}/works")) or "/works/date/" in path:
        return "author_index"
    images = len(page.body.findall(".//img"))
    link_heavy = (entries >= 3 and (link_words >= 0.5 * max(body_words, 1) or body_words - link_words < 60)) or (
        entries >= 2 and body_words - link_words < 25)
    if NON_WORK_PAGES.search(path) and not link_heavy:
        return "other"
    has_work_header = header.title is not None and (
        header.byline is not None or colophon is not None or header.date_line is not None)
    if link_heavy:
        return "toc" if has_work_header and root else "section_index"
    if chapters >= CHAPTER_LIST_MIN and has_work_header:
        return "toc"  # a contents page with an introduction, a preface or synopses beside its list
    if images >= 3 and body_words - link_words < 40 * images:
        return "other"
    if body_words < 15 and header.byline is None and colophon is None and header.date_line is None:
        return "other"  # an empty shell: no text and nothing that makes it a work
    return "work"


def page_links(page: Page) -> list[str]:
    """Every page the document links to (anchors, image-map areas, frames), absolute, defragmented."""
    links: dict[str, None] = {}
    for el in page.body.iter("a", "area", "frame", "iframe"):
        href = (el.get("href") or el.get("src") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        try:
            absolute = urldefrag(urljoin(page.url, href.replace("\\", "/")))[0]
        except ValueError:
            continue
        links.setdefault(absolute, None)
    return list(links)


def extract(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
            fetch: Fetch | None = None) -> Work | Index | OtherPage:
    """The record of one page; raises ExtractError with a stable code when there is none."""
    fetch = fetch or Fetch()
    return extract_page(parse_page(body, url, page_id, fetch.charset), catalogue, fetch)


def extract_page(page: Page, catalogue: Catalogue | None, fetch: Fetch) -> Work | Index | OtherPage:
    catalogue = catalogue or Catalogue()
    url, page_id = page.url, page.id
    blocks = page.blocks
    canonical, slug = catalogue.author_for(page_id)
    colophon_indexes = _find_colophon(blocks)
    # A colophon printed after the text (source notes at the foot of a speech) is no header.
    trailing = bool(colophon_indexes) and _first_prose(blocks) < colophon_indexes[0]
    contents = _contents_links(page)
    header = read_header(blocks, colophon_indexes[0] if colophon_indexes and not trailing else None,
                         canonical, page.page_title, page.language,
                         in_book=any(contents))
    colophon = None
    if colophon_indexes:
        colophon = read_colophon([blocks[i].el for i in colophon_indexes], url, header.title, page.language)
    start = colophon_indexes[-1] + 1 if colophon_indexes and not trailing else header.end
    content = read_body(blocks, start, page.body, frozenset(colophon_indexes))
    body_words = content.words
    link_words = sum(
        len(a.text_content().split())
        for b in blocks[start:] if b.tag != "hr" and not _is_nav(b)
        for a in b.el.iter("a") if not (a.get("href") or "#").startswith("#")
    )
    kind = _page_kind(page, header, colophon, _count_entries(blocks[start:]), body_words, link_words,
                      _chapter_list(page, blocks[start:]))
    last_updated = read_last_updated(blocks)
    if kind == "other":
        return OtherPage(id=page_id, url=url, language=page.language,
                         title=header.title or page.page_title or None)
    if kind in ("author_index", "section_index"):
        title = header.title
        if kind == "author_index" or title is None:
            h1 = next((b for b in blocks if b.tag == "h1" and b.text), None)
            title = _heading_text(h1.el) if h1 is not None else title
        if title is None:
            p_title = next((b for b in blocks if "title" in b.classes and b.text), None)
            title = p_title.text if p_title is not None else (page.page_title or page_id)
        name = canonical or (title if kind == "author_index" else None)
        return Index(
            id=page_id, url=url, kind=kind, language=page.language, title=title,
            author=Author(name=name, byline=None, slug=slug) if name or slug else None,
            entries=index_entries(page), last_updated=last_updated, provenance=_provenance(page, fetch),
        )
    title = header.title or page.page_title or page_id
    if content.series.marker is None and colophon is not None:
        read_marker(content.series, [line.text for line in colophon.lines if line.label is None])
    series = page_series(content.series, kind=kind, title=title, page_title=page.page_title,
                         subtitle=header.subtitle,
                         sections=content.sections, text=content.text,
                         notes=[*content.editorial_notes, *(note.text for note in content.notes)],
                         page_id=page_id, url=url)
    dates = colophon.dates if colophon else None
    citation = colophon.citation if colophon else None
    date = (header.date_line
            or (dates.written if dates else None)
            or (dates.delivered if dates else None)
            or (dates.first_published if dates else None)
            or (citation.date if citation else None)
            or url_date(page_id))
    text = "\n\n".join(content.text)
    return Work(
        id=page_id,
        url=url,
        kind=kind,
        language=page.language,
        title=title,
        subtitle=header.subtitle,
        pretitle=header.pretitle if header.book_title is None else header.book_title,
        author=Author(name=canonical or header.byline, byline=header.byline, slug=slug),
        date=date,
        dates=dates or WorkDates(),
        citation=citation,
        credits=colophon.credits if colophon else [],
        licence=colophon.licence if colophon else Licence(),
        series=series,
        part_of=_part_of(header, contents),
        editorial_notes=content.editorial_notes,
        notes=content.notes,
        sections=content.sections,
        text=text,
        word_count=content.words,
        last_updated=last_updated,
        provenance=_provenance(page, fetch),
    )


_CONTENTS_LINK = re.compile(r"^(?:table of )?contents$|^index$|^(?:book|pamphlet) index$|^índice$|^indice$", re.I)


def _part_of(header: Header, contents: tuple[str | None, str | None]) -> PartOf | None:
    """The contents page a chapter belongs to: its own "Contents"/"Index" link or, under its book's
    title, its link to the folder's index page (see _contents_links)."""
    named, index = contents
    url = named or (index if header.book_title is not None else None)
    return PartOf(title=header.book_title or header.pretitle, url=url) if url else None


def _contents_links(page: Page) -> tuple[str | None, str | None]:
    """The contents page beside this one that it links to: the first link named "Contents" or
    "Index", and the first link to the folder's index page."""
    folder = page.url.rsplit("/", 1)[0] + "/"
    here = urldefrag(page.url)[0]
    named: str | None = None
    index: str | None = None
    for a in page.body.iter("a"):
        href = a.get("href") or ""
        if "/" in href.split("#")[0] or not href:
            continue  # the contents page sits beside its chapters
        is_named = _CONTENTS_LINK.match(clean(a.text_content())) is not None
        if not (is_named or href.lower().startswith("index.")):
            continue
        absolute: str = urldefrag(urljoin(page.url, href))[0]
        if absolute == here or not absolute.startswith(folder) or "/" in absolute[len(folder):]:
            continue
        if is_named and named is None:
            named = absolute
        if index is None and re.fullmatch(r"index\.html?", absolute[len(folder):]):
            index = absolute
        if named is not None and index is not None:
            break
    return named, index
