"""The text under the header: its paragraphs and section headings, its notes and editors' notes,
the series lines it prints, where it begins, and the last-updated line at the foot of the page."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.extract.dates import find_date, read_date
from crawler.extract.document import Block, Element, Page
from crawler.extract.header import block_heading_text
from crawler.extract.series import SeriesSigns, read_series_line, read_trailing_marker
from crawler.extract.vocab import (
    COLOPHON_CLASSES,
    EDITORIAL_BOXES,
    EDITORIAL_NOTE,
    EDITORIAL_NOTE_OPENINGS,
    FIRST_PARAGRAPH_CLASS,
    FIRST_PARAGRAPH_MIN_WORDS,
    HEADINGS,
    LAST_UPDATED,
    LAST_UPDATED_BLOCKS,
    LAST_UPDATED_CLASSES,
    LAST_UPDATED_MAX_WORDS,
    LAST_UPDATED_OPENINGS,
    LAST_UPDATED_WORD,
    LINK_LINE_MAX_WORDS,
    LINK_LINE_SHARE,
    NAV_CLASSES,
    NOT_NOTE_TARGETS,
    NOTE_CLASSES,
    NOTE_NUMBER,
    NOTES_HEADINGS,
    PAGE_FOOTER_CLASSES,
    PROSE_MIN_WORDS,
    SEPARATOR,
    SEPARATOR_MARKS,
    SERIES_LINE_MAX_WORDS,
)
from models import DateValue, Note


@dataclass
class Body:
    """What the text gives the record."""

    text: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    editorial_notes: list[str] = field(default_factory=list)
    series: SeriesSigns = field(default_factory=SeriesSigns)
    words: int = 0


def read_body(page: Page, start: int, skip: frozenset[int] = frozenset()) -> Body:
    """The text from block ``start`` on (the blocks in ``skip``, a colophon, aside) up to the
    last-updated line or the page's footer."""
    out = Body()
    blocks = page.blocks
    anchored = note_anchors(page)
    in_notes = False
    editorial_container: Element | None = None
    texts: list[Block] = []
    prose_started = False  # a paragraph of the text has been read (series lines before it open the page)
    for index in range(start, len(blocks)):
        block = blocks[index]
        if block.tag == "hr" or index in skip:
            continue
        text = block.text
        words = block.words
        classes = block.classes
        if words < LAST_UPDATED_MAX_WORDS and opens_last_updated(text):
            break
        if classes and not classes.isdisjoint(PAGE_FOOTER_CLASSES):
            if texts:
                break
            continue  # the end-of-page navigation class used at the start
        # A "last updated" class on anything but a last-updated line is text that borrowed it.
        if not text or (classes and not classes.isdisjoint(NAV_CLASSES) and classes.isdisjoint(NOTE_CLASSES)):
            # A series line set in a navigation class ("p.link": "(To Be Continued)") is read.
            read_series_line(out.series, text, block.el, opening=not prose_started, navigation=True)
            continue
        if words <= LINK_LINE_MAX_WORDS:
            links = block.anchors
            if links and sum(a.words for a in links) >= LINK_LINE_SHARE * words:
                read_series_line(out.series, text, block.el, opening=not prose_started)
                continue  # a navigation line ("Next chapter", "Archive | Index") or a linked series line
        target = anchored.get(block.el) if anchored else None
        heading = block.tag in HEADINGS
        if heading and NOTES_HEADINGS.match(text):
            in_notes = True
            continue
        noted = bool(classes) and not classes.isdisjoint(NOTE_CLASSES)
        if target is None and not in_notes and noted and not texts:
            # A "note" before any of the text is the editors' ("[This article appeared …]").
            out.editorial_notes.append(text)
            continue
        if target is not None or noted or (in_notes and block.tag == "p"):
            in_notes = True
            out.notes.append(note(text))
            continue
        if editorial_container is not None and block.el.getparent() is not None and \
                editorial_container in block.el.iterancestors():
            out.editorial_notes[-1] += "\n\n" + text
            continue
        if opens_editorial_note(text):
            out.editorial_notes.append(text)
            container = block.el.getparent()
            in_box = container is not None and container.tag in EDITORIAL_BOXES
            editorial_container = container if in_box else None
            continue
        editorial_container = None
        if words <= SERIES_LINE_MAX_WORDS and read_series_line(
                out.series, text, block.el, opening=not prose_started):
            continue
        if is_separator(text):
            continue
        if heading:
            section = block_heading_text(block)
            out.sections.append(section)
            if not prose_started:
                out.series.opening_headings.append(section)
        else:
            prose_started = True
            if text[-1] in ")]" or text[-1].isdigit():  # the marker closes its bracket (see series)
                read_trailing_marker(out.series, text, block.el)
        texts.append(block)
    out.text = [block.text for block in texts]
    out.words = sum(block.words for block in texts)
    return out


def opens_last_updated(text: str) -> bool:
    """The line opens with "Last updated" (or "Updated", "Last up dated")."""
    return text[:2].lower() in LAST_UPDATED_OPENINGS and LAST_UPDATED.match(text) is not None


def opens_editorial_note(text: str) -> bool:
    """The line opens an editors' note: "Editor's Note:", "[Note by ETOL:", "Translator's note."."""
    head = text.lstrip()
    if head[:1] in "[(":
        head = head[1:].lstrip()
    # The note's first two letters, compared as the pattern compares them (the dotless i as i).
    return head[:2].lower().replace("ı", "i") in EDITORIAL_NOTE_OPENINGS and EDITORIAL_NOTE.match(text) is not None


def is_separator(text: str) -> bool:
    """A line of stars, dots or dashes that separates parts of the text."""
    first = text[:1]
    if first and not first.isspace() and first not in SEPARATOR_MARKS:
        return False  # a cheap test of the first character before the pattern
    return SEPARATOR.match(text) is not None


def note_anchors(page: Page) -> dict[Element, str]:
    """Each element that holds a note's anchor (the anchor itself and everything around it) -> the
    first such anchor inside it.  A note's anchor is an element named by a link that comes earlier
    in the page (a reference's own anchor is named only by the note's link back, which comes later)."""
    for anchor in page.anchors:
        if _note_fragment(anchor.href) is not None:
            break
    else:
        return {}
    targets: dict[str, int] = {}  # fragment -> document position of the first link to it
    held: dict[Element, str] = {}
    for position, el in enumerate(page.body.iter()):
        tag = el.tag
        if tag == "a":
            fragment = _note_fragment(el.get("href"))
            if fragment is not None:
                targets.setdefault(fragment, position)
        elif not isinstance(tag, str):
            continue
        ident, name = el.get("id"), el.get("name")
        if ident is None and name is None:
            continue
        for key in (ident, name):
            if key and key in targets and targets[key] < position:
                held.setdefault(el, key)
                for holder in el.iterancestors():
                    if holder in held:
                        break  # and so are all the elements around it
                    held[holder] = key
                break
    return held


def _note_fragment(href: str | None) -> str | None:
    """The fragment a link to a note of the page names ("#n1" -> "n1"); None for another link
    ("#top", "#contents", another page)."""
    if href and href.startswith("#") and len(href) > 1 and href[1:].lower() not in NOT_NOTE_TARGETS:
        return href[1:]
    return None


def note(text: str) -> Note:
    """A note and the number or mark it opens with ("1.", "[12]", "*")."""
    label_match = NOTE_NUMBER.match(text)
    label = ""
    if label_match and label_match.end() < len(text):
        label = label_match[1]
        text = text[label_match.end():]
    return Note(label=label, text=text.strip())


def first_prose(blocks: list[Block]) -> int:
    """Index of the first paragraph of running text (past the headings), or len(blocks)."""
    seen_heading = False
    for i, block in enumerate(blocks):
        if block.tag in HEADINGS:
            seen_heading = True
        elif (seen_heading and block.tag == "p" and block.classes.isdisjoint(NAV_CLASSES)
              and block.classes.isdisjoint(COLOPHON_CLASSES)
              and (block.words >= PROSE_MIN_WORDS
                   or (FIRST_PARAGRAPH_CLASS in block.classes and block.words >= FIRST_PARAGRAPH_MIN_WORDS))):
            return i
    return len(blocks)


def last_updated(blocks: list[Block]) -> DateValue | None:
    """The date of the "Last updated on …" line at the foot of the page."""
    for block in reversed(blocks[-LAST_UPDATED_BLOCKS:]):
        text = block.text
        if LAST_UPDATED_WORD not in text.lower():
            continue  # the pattern's every match holds the word: a cheap test before the costly scan
        match = LAST_UPDATED.search(text)
        if match and (match.start() == 0 or not block.classes.isdisjoint(LAST_UPDATED_CLASSES)):
            value = text[match.end():].strip(" .:")
            if not value:
                continue
            whole = read_date(value)
            if whole.value is not None:
                return whole.date_value()
            return find_date(value) or whole.date_value()
    return None
