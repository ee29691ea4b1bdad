"""The colophon: labelled `p.information` lines or `p.info` prose -> citation, credits, licence, dates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from lxml import html

from crawler.extract.citation import is_source_statement, parse_citation
from crawler.extract.citation import number_of as number_of
from crawler.extract.credits import credits_from, dedupe_credits, prose_credits, role_of_words
from crawler.extract.dates import find_date, parse_date
from crawler.extract.text import clean as clean
from crawler.extract.text import near_word
from crawler.extract.vocab import (
    CITATION_PREFIX,
    COPYLEFT,
    COPYRIGHT,
    FIELD_LABELS,
    LABEL_ROLE_QUALIFIERS,
    LABEL_WORDS,
    LICENCE_LINKS,
    LICENCE_WORDS,
    NOTE_LABEL,
    PUBLIC_DOMAIN,
    PUBLICATION_HINT,
    ROLE_LABELS,
)
from models import Citation, Credit, DateValue, Licence, WorkDates

_EMPHASIS = frozenset({"em", "i", "strong", "b", "cite", "u"})

_LABELS_LONGEST_FIRST = sorted(FIELD_LABELS, key=len, reverse=True)
_PLAIN_LABEL = re.compile(r"^\s*([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ /\\&.,'-]{1,50}?)\s*:\s*(.*)$", re.S)


# Blocks that end a paragraph's own text when a page nests them inside it (an unclosed
# <span class="info"> swallowing the rest of the page).
_NESTED_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "table", "ul", "ol", "dl",
                            "blockquote", "pre", "hr", "center"})


def own_text(el: html.HtmlElement) -> str:
    """A block's text up to the first block nested inside it."""
    parts: list[str] = []

    def walk(node: html.HtmlElement, root: bool = False) -> bool:
        if not root and isinstance(node.tag, str) and node.tag in _NESTED_BLOCKS:
            return False
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        for child in node:
            if not walk(child):
                return False
        if not root and node.tail:
            parts.append(node.tail)
        return True

    walk(el, root=True)
    return clean("".join(parts))


@dataclass
class Line:
    """One line of a colophon: its label (if any), its text, what it emphasises and links."""

    label: str | None = None
    parts: list[str] = field(default_factory=list)
    emphasis: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return clean("".join(self.parts))


def _classes(el: html.HtmlElement) -> set[str]:
    return set((el.get("class") or "").lower().split())


def split_lines(el: html.HtmlElement, label_tags: bool = True) -> list[Line]:
    """A paragraph's lines, split at <br> and at each `span.info` label."""
    lines = [Line()]
    stopped = False

    def walk(node: html.HtmlElement) -> None:
        nonlocal stopped
        tag = node.tag if isinstance(node.tag, str) else ""
        if stopped or tag in _NESTED_BLOCKS:
            stopped = True  # a block nested in the paragraph is not part of its lines
            return
        if tag == "br":
            lines.append(Line())
        elif label_tags and ((tag == "span" and "info" in _classes(node)) or (
                tag in ("strong", "b") and not clean("".join(lines[-1].parts))
                and _is_label(node.text_content()))):
            label = own_text(node)
            lines[-1].emphasis += [clean(e.text_content()) for e in node.iter("em", "i")]
            if (lines[-1].parts and clean("".join(lines[-1].parts))) or lines[-1].label:
                lines.append(Line())
            lines[-1].label = label
        elif tag:
            if node.text:
                lines[-1].parts.append(node.text)
            for child in node:
                walk(child)
            if tag in _EMPHASIS:
                lines[-1].emphasis.append(clean(node.text_content()))
            elif tag == "a" and node.get("href"):
                lines[-1].links.append((node.get("href", ""), clean(node.text_content())))
        if node.tail and not stopped:
            lines[-1].parts.append(node.tail)

    if el.text:
        lines[-1].parts.append(el.text)
    for child in el:
        walk(child)
    return [line for line in lines if line.text or line.label]


def _is_label(text: str) -> bool:
    """Text of a bold run that is a colophon label ("Transcription", "Source: <em>…</em>")."""
    head = clean(text).split(":", 1)[0]
    field_name, roles = label_fields(head)
    return bool(field_name or roles)


def normalise_label(label: str) -> str:
    return clean(label).rstrip(":").strip().lower()


@lru_cache(maxsize=4096)
def _label_word(word: str) -> str:
    """A label word as the vocabulary spells it: "transciption" -> "transcription"."""
    return word if word in LABEL_WORDS else near_word(word, LABEL_WORDS) or word


def label_fields(label: str) -> tuple[str | None, list[str]]:
    """(field, credit roles) a label names: `Transcription/HTML Markup` -> (None, [transcription, markup])."""
    field_name, roles = _label_fields(normalise_label(label))
    return field_name, list(roles)


@lru_cache(maxsize=4096)
def _label_fields(label: str) -> tuple[str | None, tuple[str, ...]]:
    key = re.sub(r"[^\W\d_]{6,}", lambda m: _label_word(m[0]), label)
    if key in FIELD_LABELS:
        return FIELD_LABELS[key], ()
    for known in _LABELS_LONGEST_FIRST:
        # "Fuente de la presente edicion", "Source of this translation".
        if key.startswith(known + " ") and FIELD_LABELS[known] != "licence":
            return FIELD_LABELS[known], ()
    if re.fullmatch(r"\w+ sources?", key):
        return "source", ()  # "Transcription Source": what the transcription was made from
    if key in ROLE_LABELS:
        return None, (ROLE_LABELS[key],)
    roles = []
    # "Transcription/Markup & corrections", "Translated from German by", "English Translation",
    # "2nd Proof reading": a part that opens with a role word, or names one after qualifiers.
    for part in re.split(r"\s*(?:/|\\|&|,|\band\b|\by\b|\be\b)\s*", key):
        words = part.strip(" .()").split()
        if not words:
            continue
        role = ROLE_LABELS.get(" ".join(words)) or role_of_words(words[0])
        for cut in range(1, min(len(words), 3)):
            if role is None and all(w in LABEL_ROLE_QUALIFIERS for w in words[:cut]):
                rest = " ".join(words[cut:])
                role = ROLE_LABELS.get(rest) or (role_of_words(rest) if len(words) - cut == 1 else None)
        if role:
            roles.append(role)
    return None, tuple(dict.fromkeys(roles))


def labelled(line: Line) -> tuple[str, str] | None:
    """(label, value) of a labelled line: span label, colon outside the span, value inside it."""
    text = line.text
    if line.label is not None:
        label = line.label
        if ":" in label.rstrip(":"):
            # "Proofread: Emil 1998" with the value inside the label span.
            label, _, inner = label.partition(":")
            text = clean(f"{inner} {text}")
        return clean(label).rstrip(":"), text.lstrip(":").strip()
    match = _PLAIN_LABEL.match(text)
    # "Translated and Edited by Mike Baker: published by …" is a sentence, not a label.
    if match and not re.search(r"\bby\s+\w", match[1], re.I) and any(label_fields(match[1])):
        return match[1], match[2].strip()
    return None


def is_endnote_block(el: html.HtmlElement) -> bool:
    first = el.find(".//span")
    if first is not None and "info" in _classes(first):
        return bool(NOTE_LABEL.match(clean(first.text_content())))
    return False


# Credits are read by credits.py, citations by citation.py.


# --- licence ---------------------------------------------------------------------------------
_SAYS_PUBLIC_DOMAIN = re.compile(r"public domain|pubic domain|dominio p[uú]blico|domaine public", re.I)


def licence_of(label: str | None, statement: str | None, links: list[tuple[str, str]],
               base_url: str) -> Licence:
    if label is None and statement is None:
        return Licence()
    text = statement or ""
    key = normalise_label(label) if label else ""
    if _SAYS_PUBLIC_DOMAIN.search(text) or key in ("public domain", "pubic domain", "pubblico dominio"):
        status = "public_domain"
    elif key in ("copyleft",):
        status = "copyleft"
    elif COPYRIGHT.search(text) and not PUBLIC_DOMAIN.search(text):
        status = "copyright"
    elif PUBLIC_DOMAIN.search(text):
        status = "public_domain"
    elif COPYLEFT.search(text):
        status = "copyleft"
    elif key in ("copyright", "derechos"):
        status = "copyright"
    else:
        status = "unknown"
    licence_id, url = None, None
    for href, _ in links:
        for needle, spdx in LICENCE_LINKS:
            if needle in href.lower():
                licence_id, url = spdx, urljoin(base_url, href)
                break
        if licence_id:
            break
    if licence_id is None:
        for pattern, spdx in LICENCE_WORDS:
            if pattern.search(text):
                licence_id = spdx
                break
    return Licence(raw=statement or None, label=clean(label).rstrip(":") if label else None,
                   status=status, id=licence_id, url=url)


# --- the colophon as a whole ---------------------------------------------------------------------
@dataclass
class Colophon:
    citation: Citation | None = None
    dates: WorkDates = field(default_factory=WorkDates)
    credits: list[Credit] = field(default_factory=list)
    licence: Licence = field(default_factory=Licence)
    lines: list[Line] = field(default_factory=list)


def _colophon_date(value: str, language: str) -> DateValue | None:
    whole = parse_date(value, language)
    if whole.value is not None:
        return whole
    return find_date(value, language)


def read_colophon(blocks: list[html.HtmlElement], base_url: str, work_title: str | None,
                  language: str) -> Colophon:
    colophon = Colophon()
    lines = [line for block in blocks for line in split_lines(block)]
    colophon.lines = lines
    source: Line | None = None
    published: Line | None = None
    licence_label: str | None = None
    licence_text: list[str] = []
    licence_links: list[tuple[str, str]] = []
    prose_citation: Line | None = None
    credits: list[Credit] = []
    dates: dict[str, DateValue | None] = {}
    for index, line in enumerate(lines):
        pair = labelled(line)
        if pair is not None:
            label, value = pair
            field_name, roles = label_fields(label)
            if field_name == "source" and source is None:
                source = Line(parts=[value], emphasis=line.emphasis, links=line.links)
            elif field_name in ("written", "delivered", "first_published", "written_first_published"):
                names = (["written", "first_published"] if field_name == "written_first_published"
                         else [field_name])
                for name in names:
                    if dates.get(name) is None:
                        dates[name] = _colophon_date(value, language)
                if "first_published" in names and published is None:
                    published = Line(parts=[value], emphasis=line.emphasis, links=line.links)
            elif field_name == "licence" and licence_label is None:
                licence_label = label
                licence_text.append(value)
                licence_links += line.links
            elif roles:
                credits += credits_from(roles, value, raw=f"{clean(label)}: {value}")
            continue
        text = line.text
        if prose_citation is None and source is None and CITATION_PREFIX.match(text):
            prose_citation = line  # "From <book>, edited by …": the book's editor, not a credit
            continue
        found = prose_credits(text)
        if found:
            credits += found
            # "Copyright © X. Published here by kind permission" may share a line with credits.
        if COPYRIGHT.search(text) or re.search(r"public domain|copyleft|creative commons", text, re.I):
            if licence_label is None and not licence_text:
                licence_text.append(text)
                licence_links += line.links
            elif licence_label is not None and index > 0 and not found:
                licence_text.append(text)
            continue
        if found:
            continue
        if prose_citation is None and (
            CITATION_PREFIX.match(text) or (index == 0 and is_source_statement(text))
        ):
            prose_citation = line
    colophon.credits = dedupe_credits(credits)
    colophon.dates = WorkDates(**{k: v for k, v in dates.items() if v is not None})
    if licence_label is not None or licence_text:
        colophon.licence = licence_of(licence_label, clean(" ".join(licence_text)) or None,
                                      licence_links, base_url)
    chosen = source or prose_citation
    if chosen is None and published is not None and (
            published.emphasis or PUBLICATION_HINT.search(published.text)):
        chosen = published
    if chosen is not None and chosen.text:
        colophon.citation = parse_citation(chosen.text, chosen.emphasis, work_title, language)
    return colophon
