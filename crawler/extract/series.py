"""Series: whether a page is one part of a multi-part work, which part it is, and its links to the
next and previous parts.

The body reader hands every short line and every paragraph to `read_series_line` and
`read_trailing_marker` while it reads (the signs gather in a `SeriesSigns`); `page_series` then builds
the record's `Series` from the signs, the page's headings, its `<title>` and its file name.

The part number is a cascade, most trusted first:

1. a series marker: "(The second of a series of articles)";
2. "Part III", "Installment VII", "pt. I" at the start or the end of the title, of the subtitle or
   of a heading that opens the text (unless the text has further headings of that kind: then
   they are the page's own sections);
3. a number set off by a dash: "Some Title - 3 (June 1939)", "Genoa and France – II. Poincaré …",
   "[A Part Heading – 1]", in the title, then the `<title>`, then an opening heading;
4. weak forms, taken only when confirmed: a bare number ending the title or the `<title>`
   ("War Reflections 1", "The Modern Revolution II") when the file name ends in the same number
   or the page says it is a part; a numbered opening heading ("II.", "1. …") when both hold.

A file name alone never gives the number: the number is the one the page prints (a first part
that prints none, such as an article whose "(To be continued)" links to `…2.htm`, has none).
A contents page (kind `toc`) takes no number from its `<title>` or its headings: it lists the
parts and is none of them.

`continued` is set by a line "(To be continued)", "(Concluded in next issue)", "CONTINUED" after
the text (in any class, navigation classes included), by a paragraph that ends with such a
bracketed marker, or by the editors' announcement "The second part … will appear …" in a note or
near either end of the text.  A line "(Continued from last issue)" or "(Continued)" before the
text, or under the title, makes the page a later part (its `marker`, with the link back as
`previous_url`).  "Conclusion" alone is a section heading, not the end of a series.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import roman

from crawler.extract.document import Element, text_of
from crawler.extract.resolve import resolver
from crawler.extract.vocab import (
    ANNOUNCEMENT_EDGE_PARAGRAPHS,
    ANNOUNCEMENT_MAX_CHARS,
    ANNOUNCEMENT_VERBS,
    BARE_PART,
    CARDINALS,
    CONCLUDED,
    CONTINUED,
    CONTINUED_ALONE,
    CONTINUED_FROM,
    DASHED_PART,
    DIVISION_NUMBER,
    FILE_PART_NUMBER,
    FIRST_WORD,
    NEXT_PART_ANNOUNCED,
    NOT_PART_WORDS,
    NUMBERED_HEADING,
    OPENING_NUMBERED_HEADINGS,
    ORDINAL_FIGURE,
    ORDINALS,
    PART_IN_TITLE,
    PART_TITLE_TAIL,
    SERIES_LINE_MAX_WORDS,
    SERIES_LINE_OPENINGS,
    SERIES_MARKER,
    SERIES_MARKER_WORDS,
    TRAILING_CONTINUED,
    TRAILING_MARKER_CHARS,
    WORD_CHARACTER,
)
from models import Series


@dataclass
class SeriesSigns:
    """What the body prints about the page's place in a series, gathered while it is read."""

    marker: str | None = None
    position: int | None = None
    continued: bool = False
    concluded: bool = False
    continues: bool = False  # it continues an earlier part: "(Continued)", "Continued from …"
    next_href: str | None = None
    previous_href: str | None = None
    opening_headings: list[str] = field(default_factory=list)  # headings before the first paragraph

    def shows_part(self) -> bool:
        """The page says, in its own lines, that it is one part of several."""
        return bool(self.marker or self.continued or self.concluded or self.continues
                    or self.next_href or self.previous_href)


def read_series_line(signs: SeriesSigns, text: str, el: Element, opening: bool,
                     navigation: bool = False) -> bool:
    """Read a short line that is a series sign ("(To be continued)", "(Continued from last
    issue)", "(Concluded)", "The second of a series") into ``signs``; False for any other line.
    ``opening`` is true before the text's first paragraph; a ``navigation`` line (a link bar, a
    navigation class) is read for its links to the next and previous parts only."""
    if not text or text.count(" ") >= SERIES_LINE_MAX_WORDS:
        return False
    if not navigation and signs.marker is None and read_marker(signs, [text]):
        return True
    if not opens_series_line(text):
        return False  # every pattern below opens with one of these words: a cheap test before them
    if CONTINUED.search(text):
        signs.continued = True
        signs.next_href = signs.next_href or _first_href(el)
        return True
    if CONTINUED_FROM.search(text) or (opening and CONTINUED_ALONE.match(text)):
        signs.continues = True
        signs.marker = signs.marker or text.strip("()[] ")
        signs.previous_href = signs.previous_href or _first_href(el)
        return True
    if CONTINUED_ALONE.match(text):
        signs.continued = True
        signs.next_href = signs.next_href or _first_href(el)
        return True
    if not navigation and CONCLUDED.match(text):
        signs.concluded = True
        return True
    return False


def opens_series_line(text: str) -> bool:
    """The first word of ``text`` is one a series line opens with ("To be continued", "(Concluded)",
    "Fortsetzung folgt"), compared as the patterns compare it (case aside, and the dotless i and
    the long s that they read as i and s)."""
    first = FIRST_WORD.search(text)
    if first is None:
        return False
    word = first[0].lower()
    if not word.isascii():
        word = word.replace("i\u0307", "i").replace("ı", "i").replace("ſ", "s")
    return word in SERIES_LINE_OPENINGS


def read_trailing_marker(signs: SeriesSigns, text: str, el: Element) -> None:
    """A paragraph of the text that ends with "(To be continued)" continues in the next part."""
    if not (text[-1:] in ")]" or text[-1:].isdigit()):
        return  # the marker closes its bracket; skip the pattern for ordinary paragraphs
    marker = TRAILING_CONTINUED.search(text[-TRAILING_MARKER_CHARS:])
    if marker:
        signs.continued = True
        signs.next_href = signs.next_href or _marker_href(el, marker[0])


def read_marker(signs: SeriesSigns, texts: list[str]) -> bool:
    """Read "(The second of a series of articles)" or "Third of three articles" into ``signs``."""
    for text in texts:
        lowered = text.lower()
        for word in SERIES_MARKER_WORDS:
            if word in lowered:
                break
        else:
            continue  # the marker names its series; skip the costly pattern for ordinary lines
        marker = SERIES_MARKER.search(text)
        if marker is None or len(text.split()) > SERIES_LINE_MAX_WORDS:
            continue
        position = _ordinal(marker["ord"], marker["total"])
        if position is None:
            continue
        signs.marker = text.strip("() ")
        signs.position = position
        if marker["ord"].lower() in ("last", "final", "concluding") or (
                marker["total"] and position == _ordinal("last", marker["total"])):
            signs.concluded = True
        return True
    return False


def page_series(signs: SeriesSigns, *, kind: str, title: str, page_title: str, subtitle: str | None,
                sections: list[str], text: list[str], notes: Iterable[str], page_id: str,
                url: str) -> Series | None:
    """The page's `Series`, or None when nothing on it says it is a part."""
    if subtitle:
        _read_header_line(signs, subtitle)
    if not signs.continued and _announces_next_part(text, notes):
        signs.continued = True
    if kind == "toc":
        # A contents page lists the parts, it is none of them: its <title> is often its first
        # part's ("… - 1 (1895)") and its headings are the list ("Installment I Installment II").
        page_title, sections, signs = "", [], replace(signs, opening_headings=[])
    position = signs.position or series_position(signs, title, page_title, subtitle, sections, page_id)
    if not (position or signs.shows_part()):
        return None
    resolve = resolver(url)
    return Series(
        marker=signs.marker,
        position=position,
        continued=signs.continued,
        concluded=signs.concluded,
        next_url=resolve(signs.next_href) if signs.next_href else None,
        previous_url=resolve(signs.previous_href) if signs.previous_href else None,
    )


def _read_header_line(signs: SeriesSigns, text: str) -> None:
    """A line under the title such as "(Concluded)" or "(Continued from last issue)"."""
    if CONCLUDED.match(text):
        signs.concluded = True
    elif CONTINUED_FROM.search(text) or CONTINUED_ALONE.match(text):
        signs.continues = True
        signs.marker = signs.marker or text.strip("()[] ")


def series_position(signs: SeriesSigns, title: str, page_title: str, subtitle: str | None,
                  sections: list[str], page_id: str) -> int | None:
    """The part number printed in the title, the `<title>` or a heading (the cascade above)."""
    opening = _opening_part_heading(signs.opening_headings, sections)
    # The author's name before the colon of "Author: Title (Date)" is not part of the title.
    page_title = page_title.partition(": ")[2] or page_title
    for text in (title, subtitle, opening):
        number = _part_word(text)
        if number:
            return number
    number = _part_word(page_title)
    if number:
        return number
    for text in (title, page_title, opening):
        match = DASHED_PART.search(text or "")
        number = _number(match["num"]) if match else None
        if number:
            return number
    file_number = _file_number(page_id)
    for text in (title, page_title):
        number = _bare_number(text)
        if number and (number == file_number or signs.shows_part()):
            return number
    for heading in signs.opening_headings[:OPENING_NUMBERED_HEADINGS]:
        match = NUMBERED_HEADING.match(heading)
        if match and _number(match["num"]) == file_number and signs.shows_part():
            return file_number
    return None


def _part_word(text: str | None) -> int | None:
    """"Part III" at the start or the end of ``text``."""
    if not text:
        return None
    matches = list(PART_IN_TITLE.finditer(text))
    if len(matches) > 1:
        return None  # a line naming several parts ("Part 1 Part 2 Part 3") is a list of them
    for match in matches:
        before = text[:match.start()]
        at_start = WORD_CHARACTER.search(before) is None
        bracketed = before.rstrip().endswith(("(", "["))
        at_end = PART_TITLE_TAIL.match(text[match.end():]) and (bracketed or not DIVISION_NUMBER.search(before))
        if at_start or at_end:
            number = _number(match["num"])
            if number:
                return number
    return None


def _opening_part_heading(opening: list[str], sections: list[str]) -> str | None:
    """The first heading before the text, unless the text carries more headings of its kind
    ("Part I" … "Part II" are then the page's own sections)."""
    if not opening:
        return None
    first = opening[0]
    word = first.split(maxsplit=1)[0].lower() if first.split() else ""
    if not word:
        return None
    later = [s for s in sections if s != first and s.split(maxsplit=1)[0].lower() == word]
    numbered_later = [s for s in later if PART_IN_TITLE.match(s) or DASHED_PART.search(s)]
    return None if numbered_later else first


def ends_in_number(text: str) -> bool:
    """The text ends with a figure or a Roman numeral, a bracket after it aside ("War Reflections
    1 (1915)"): what every match of BARE_PART ends with, a cheap test before the pattern's scan."""
    tail = text.rstrip()
    if tail.endswith(")"):
        opening = tail.rfind("(")
        if opening < 0 or ")" in tail[opening + 1:-1]:
            return False
        tail = tail[:opening].rstrip()
    return bool(tail) and (tail[-1].isdigit() or tail[-1] in "IVXL")


def _bare_number(text: str) -> int | None:
    if not ends_in_number(text):
        return None
    match = BARE_PART.search(text)
    if match is None:
        return None
    word = match["word"].strip("\"'“”‘’?!.,:;()").lower()
    if not word or word in NOT_PART_WORDS or not any(c.isalpha() for c in word):
        return None
    return _number(match["num"])


def _number(text: str) -> int | None:
    lowered = text.lower()
    if lowered in CARDINALS:
        return CARDINALS[lowered]
    if text.isdigit():
        return int(text) or None
    try:
        return int(roman.fromRoman(text.upper()))
    except (roman.InvalidRomanNumeralError, ValueError):
        return None


def _file_number(page_id: str) -> int | None:
    stem = page_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    match = FILE_PART_NUMBER.search(stem)
    if match is None:
        return None
    return int(match["num"]) or None


def _announces_next_part(text: list[str], notes: Iterable[str]) -> bool:
    edges = text[:ANNOUNCEMENT_EDGE_PARAGRAPHS] + text[-ANNOUNCEMENT_EDGE_PARAGRAPHS:]
    for paragraph in (*edges, *notes):
        if len(paragraph) > ANNOUNCEMENT_MAX_CHARS:
            continue
        # An announcement says "will appear" or the like, or "continued next": skip the pattern
        # for paragraphs that say neither (plain substring tests, far cheaper than the pattern).
        said = (" will " in paragraph and any(verb in paragraph for verb in ANNOUNCEMENT_VERBS)) or (
            "ed next " in paragraph or "ed Next " in paragraph)
        if said and NEXT_PART_ANNOUNCED.search(paragraph):
            return True
    return False


def _ordinal(word: str, total: str | None) -> int | None:
    word = word.lower()
    if word in ORDINALS:
        value = ORDINALS[word]
        if value == 0:
            return CARDINALS.get((total or "").lower()) or (int(total) if total and total.isdigit() else None)
        return value
    match = ORDINAL_FIGURE.fullmatch(word)
    return int(match[1]) if match else None


def _first_href(el: Element) -> str | None:
    for a in el.iter("a"):
        href = a.get("href")
        if href and not href.startswith("#"):
            return str(href)
    return None


def _marker_href(el: Element, marker: str) -> str | None:
    """The link on the words of a trailing marker, not one elsewhere in its paragraph."""
    for a in el.iter("a"):
        href = a.get("href")
        words = text_of(a)
        if href and not href.startswith("#") and words and words in marker:
            return str(href)
    return None
