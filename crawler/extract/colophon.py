"""The colophon: labelled `p.information` lines or `p.info` prose -> citation, credits, licence, dates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import roman
from lxml import html

from crawler.extract.dates import find_date, parse_date
from crawler.extract.vocab import (
    COPYLEFT,
    COPYRIGHT,
    FIELD_LABELS,
    LICENCE_LINKS,
    LICENCE_WORDS,
    NOTE_LABEL,
    PROSE_CREDIT,
    PROSE_ROLE_WORDS,
    PUBLIC_DOMAIN,
    ROLE_LABELS,
)
from models import Citation, Credit, DateValue, Licence, WorkDates

_EMPHASIS = frozenset({"em", "i", "strong", "b", "cite", "u"})

_LABELS_LONGEST_FIRST = sorted(FIELD_LABELS, key=len, reverse=True)
_PLAIN_LABEL = re.compile(r"^\s*([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ /\\&.,'-]{1,50}?)\s*:\s*(.*)$", re.S)


def clean(text: str) -> str:
    """Whitespace (non-breaking spaces included) collapsed to single spaces, ends trimmed."""
    return " ".join(text.split())


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


def label_fields(label: str) -> tuple[str | None, list[str]]:
    """(field, credit roles) a label names: `Transcription/HTML Markup` -> (None, [transcription, markup])."""
    key = normalise_label(label)
    if key in FIELD_LABELS:
        return FIELD_LABELS[key], []
    for known in _LABELS_LONGEST_FIRST:
        # "Fuente de la presente edicion", "Source of this translation".
        if key.startswith(known + " ") and FIELD_LABELS[known] != "licence":
            return FIELD_LABELS[known], []
    if key in ROLE_LABELS:
        return None, [ROLE_LABELS[key]]
    roles = []
    for part in re.split(r"\s*(?:/|\\|&|,|\band\b|\by\b|\be\b)\s*", key):
        part = part.strip(" .")
        if part in ROLE_LABELS:
            roles.append(ROLE_LABELS[part])
        elif part.startswith(("html", "xhtml")) or part.endswith("markup"):
            roles.append("markup")
        elif part.startswith("proof"):
            roles.append("proofreading")
        elif part.startswith("transcri"):
            roles.append("transcription")
        elif part.startswith("edit"):
            roles.append("editing")
        elif part.startswith("translat"):
            roles.append("translation")
    return (None, list(dict.fromkeys(roles))) if roles else (None, [])


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
    if match and (label_fields(match[1])[0] or label_fields(match[1])[1]):
        return match[1], match[2].strip()
    return None


def is_endnote_block(el: html.HtmlElement) -> bool:
    first = el.find(".//span")
    if first is not None and "info" in _classes(first):
        return bool(NOTE_LABEL.match(clean(first.text_content())))
    return False


# --- credits ----------------------------------------------------------------------------------
_NAME_STOP = re.compile(
    r"\s+(?:for|at|from|on behalf of|courtesy)\s+(?:the\s+)?(?=[A-Z]|www|marxists|etol|mia)|"
    r",?\s*\b(?:with (?:many )?thanks|thanks to|courtesy of|by kind permission)\b|"
    r"\s+(?:in|on|during)\s+(?:\w+\s+)?\d{4}|\s*\(|;|(?<!\b[A-Z])\.\s|(?<!\b[A-Z])\.$|\s+-\s+|\s+–\s+",
)
_NOT_A_NAME = re.compile(
    r"internet archive|marxists|\bmia\b|\betol\b|website|web site|www\.|unknown|"
    r"\.(?:org|com|net|info|nl|de|uk|fr|es|it)\b|^(?:the|a|an)\s|"
    r"^\W*$|^by$|^\?+$|^none$|^n\.?/?a\.?$",
    re.I,
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_SUBCREDIT = re.compile(
    r"[,;.]?\s*\b(edited|proofread|proof-read|transcribed|marked up|translated|html markup)\s+by\b",
    re.I,
)


def credit_names(value: str) -> tuple[list[str], int | None]:
    """Names and the year credited in a credit value: `2018 by Einde O’Callaghan.`"""
    year_match = _YEAR.search(value)
    year = int(year_match[1]) if year_match else None
    text = re.sub(r"^\s*(?:\d{4}\s*)?(?:by\s+)?", "", value.strip(), flags=re.I)
    # "from the German by X", "corrected by X", "additional copyediting by X": the name follows "by".
    text = re.sub(r"^(?:[^,;:()]{0,40}?\s)?by\s+(?=\S)", "", text, count=1, flags=re.I)
    text = re.sub(r"^(?:in\s+)?\d{4}\s*(?:by\s+)?", "", text)
    stop = _NAME_STOP.search(text)
    if stop:
        text = text[: stop.start()]
    names = []
    for part in re.split(r"\s*(?:,|&|\band\b|\by\b|;)\s*", text):
        name = clean(_YEAR.sub("", part)).strip(" .,:;-")
        name = re.sub(r"^by\s+", "", name, flags=re.I)
        if name and not _NOT_A_NAME.search(name) and re.search(r"[A-Za-zÀ-ÿ]", name):
            names.append(name)
    return names, year


def credits_from(roles: list[str], value: str) -> list[Credit]:
    credits: list[Credit] = []
    # "Clemans Dutt, Edited by Robert Daglish": the embedded clause names a second role.
    pieces = _SUBCREDIT.split(value)
    head, rest = pieces[0], pieces[1:]
    names, year = credit_names(head)
    credits += [Credit(role=role, name=name, year=year) for role in roles for name in names]
    for word, sub_value in zip(rest[::2], rest[1::2], strict=True):
        role = PROSE_ROLE_WORDS.get(word.lower().replace("proof-read", "proofread"))
        role = role or ROLE_LABELS.get(word.lower())
        if role:
            sub_names, sub_year = credit_names(sub_value)
            credits += [Credit(role=role, name=n, year=sub_year) for n in sub_names]
    return credits


def prose_credits(text: str) -> list[Credit]:
    credits: list[Credit] = []
    for sentence in re.split(r"(?<=[a-z\)])\.\s+(?=[A-Z])", text):
        match = PROSE_CREDIT.search(sentence)
        if not match:
            continue
        roles = []
        for word in re.split(r"\s*(?:,|&|\band\b|/)\s*", match["roles"].lower()):
            word = word.strip()
            role = PROSE_ROLE_WORDS.get(word) or PROSE_ROLE_WORDS.get(word.replace("-", " "))
            if role:
                roles.append(role)
        credits += credits_from(list(dict.fromkeys(roles)), match["names"])
    return credits


def dedupe_credits(credits: list[Credit]) -> list[Credit]:
    seen: dict[tuple[str, str], Credit] = {}
    for credit in credits:
        seen.setdefault((credit.role, credit.name), credit)
    return list(seen.values())


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


# --- citation --------------------------------------------------------------------------------
_CITATION_PREFIX = re.compile(
    r"^\s*(?:from|source\s*:|originally (?:published )?(?:in|as)|first published in|published in|"
    r"reprinted from|taken from|published by)\s*:?\s*",
    re.I,
)
_VOLUME = re.compile(r"\b(?:vol(?:ume)?\.?|tomo?|band|bd\.)\s*([IVXLCDM]+\b|\d+)", re.I)
_ISSUE = re.compile(r"(?:\b(?:nos?|number|nr|n[º°o]|issue)\.?|#)\s*(\d+(?:\s*[/–-]\s*\d+)?)\b", re.I)
_PAGES = re.compile(
    r"(?:\bpp?\.|\bpages?\b|\bpg\.|\bpp\b|\bp\b(?=\s*\d))\s*"
    r"((?:\d+|[ivxlc]+)[a-z]?(?:\s*(?:[-–—]|&|and|,)\s*\d+[a-z]?)*)",
    re.I,
)
_NOT_CONTAINER = re.compile(
    r"^(?:vol|no\.|nos?\b|p\.|pp\.|page|\d|speech|lecture|letter|address|report|written|"
    r"delivered|transcribed|translated|manuscript|unpublished|the author|author's|marxists|ibid|et al|"
    r"op\.? ?cit)",
    re.I,
)


def _title_like(text: str) -> bool:
    """A container title starts with a capital (or a digit-less word): "internal pamphlet" does not."""
    return bool(text) and not text[0].islower() and not _NOT_CONTAINER.match(text)


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def number_of(text: str | None) -> int | None:
    """'22' -> 22, 'X' -> 10; None for anything else."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        return int(roman.fromRoman(text.upper()))
    except (roman.InvalidRomanNumeralError, ValueError):
        return None


def parse_citation(raw: str, emphasis: list[str], work_title: str | None, language: str) -> Citation:
    text = clean(raw)
    body = _CITATION_PREFIX.sub("", text)
    title_key = _fold(work_title or "")
    usable = [c for c in (clean(e).strip(" ,.;:") for e in emphasis)
              if len(_fold(c)) > 2 and c in body and _title_like(c)
              and not re.fullmatch(r"[\d\W]+", c)]
    # The work's own title printed before the periodical ("<em>The New International</em>,
    # <strong>Justice</strong>") is not the container; a book's contents page cites itself.
    others = [c for c in usable if _fold(c) != title_key]
    container = others[0] if others else (usable[0] if usable else None)
    if container is None and _PUBLISHER.match(text):
        container = None  # "Published by the Socialist Workers Party": a publisher, not a container
    elif container is None:
        head = re.split(r",|\(|\s+vol\.?\s|\s+no\.?\s*\d|;|\.\s", body, maxsplit=1, flags=re.I)[0]
        head = head.strip(" .")
        if head and _title_like(head) and find_date(head) is None and len(head) < 150:
            container = head
    after = body.split(container, 1)[1] if container and container in body else body
    volume = _VOLUME.search(after)
    issue = _ISSUE.search(after)
    pages = _PAGES.search(after)
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


_PUBLISHER = re.compile(r"^\s*(?:first\s+)?(?:published|printed|produced|issued)(?:\s+and\s+distributed)?\s+"
                        r"(?:[^,]{0,30}\s)?by\b", re.I)
_PUBLICATION_HINT = re.compile(r"\bvol\.|\bno\.\s*\d|\bpp?\.\s*\d|\bpublished (?:in|by)\b", re.I)


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
                credits += credits_from(roles, value)
            continue
        text = line.text
        if prose_citation is None and source is None and _CITATION_PREFIX.match(text):
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
            _CITATION_PREFIX.match(text) or (index == 0 and (find_date(text) or _PUBLICATION_HINT.search(text)))
        ):
            prose_citation = line
    colophon.credits = dedupe_credits(credits)
    colophon.dates = WorkDates(**{k: v for k, v in dates.items() if v is not None})
    if licence_label is not None or licence_text:
        colophon.licence = licence_of(licence_label, clean(" ".join(licence_text)) or None,
                                      licence_links, base_url)
    chosen = source or prose_citation
    if chosen is None and published is not None and (
            published.emphasis or _PUBLICATION_HINT.search(published.text)):
        chosen = published
    if chosen is not None and chosen.text:
        colophon.citation = parse_citation(chosen.text, chosen.emphasis, work_title, language)
    return colophon
