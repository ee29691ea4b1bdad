"""The colophon: where it stands among the blocks, and its labelled `p.information` lines or `p.info`
prose -> citation, credits, licence, dates."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.extract.citation import is_source_statement, parse_citation
from crawler.extract.credits import credits_from, dedupe_credits, prose_credits, role_of_words
from crawler.extract.dates import find_date, read_date
from crawler.extract.document import Block, Element, classes_of, own_text, text_of
from crawler.extract.licence import licence_of, states_licence
from crawler.extract.memo import remembered
from crawler.extract.text import clean, near_word, normalise_label
from crawler.extract.vocab import (
    CITATION_PREFIX,
    COLOPHON_CLASSES,
    COLOPHON_OPENING_RULE,
    COPYRIGHT,
    EMPHASIS,
    FIELD_LABELS,
    FIRST_PARAGRAPH_CLASS,
    LABEL_IS_SENTENCE,
    LABEL_PARTS,
    LABEL_ROLE_QUALIFIERS,
    LABEL_SPAN_CLASS,
    LABEL_WORD,
    LABEL_WORDS,
    NESTED_BLOCKS,
    NOTE_LABEL,
    PLAIN_LABEL,
    PUBLICATION_HINT,
    ROLE_LABELS,
    SOURCE_OF_LABEL,
)
from models import Citation, Credit, DateValue, Licence, WorkDates

_LABELS_LONGEST_FIRST = sorted(FIELD_LABELS, key=len, reverse=True)


def colophon_blocks(blocks: list[Block]) -> list[int]:
    """The indexes of the colophon's paragraphs: the first run of paragraphs of a colophon class, or
    of the paragraphs between an opening rule (`hr.infotop`) and the next rule (endnotes aside)."""
    found: list[int] = []
    inside_rule = False
    for i, block in enumerate(blocks):
        if block.tag == "hr":
            if COLOPHON_OPENING_RULE in block.classes and not found:
                inside_rule = True
                continue
            if found:
                break  # infobot, or any rule after the colophon (an unbalanced infotop)
            inside_rule = False
            continue
        is_colophon = not block.classes.isdisjoint(COLOPHON_CLASSES) or (
            inside_rule and FIRST_PARAGRAPH_CLASS not in block.classes)
        if is_colophon and block.tag == "p" and block.text and not is_endnote_block(block.el):
            found.append(i)
        elif found:
            break
    return found


@dataclass
class Line:
    """One line of a colophon: its label (if any), its text as printed, what it emphasises and links."""

    label: str | None = None
    text: str = ""
    emphasis: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _OpenLine:
    """A line being read, its text still in the pieces the tree holds it in."""

    label: str | None = None
    parts: list[str] = field(default_factory=list)
    emphasis: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)

    def has_text(self) -> bool:
        return any(part.strip() for part in self.parts)


def split_lines(el: Element, label_tags: bool = True) -> list[Line]:
    """A paragraph's lines, split at <br> and at each `span.info` label."""
    reader = _LineReader(label_tags)
    if el.text:
        reader.lines[-1].parts.append(el.text)
    for child in el:
        reader.walk(child)
    read = (Line(line.label, clean("".join(line.parts)), line.emphasis, line.links) for line in reader.lines)
    return [line for line in read if line.text or line.label]


class _LineReader:
    """The walk of split_lines: the lines read so far, and whether a nested block stopped it. (An
    object, not a recursive closure, which would be a reference cycle: see document._own_text.)"""

    def __init__(self, label_tags: bool) -> None:
        self.label_tags = label_tags
        self.lines = [_OpenLine()]
        self.stopped = False

    def walk(self, node: Element) -> None:
        lines = self.lines
        tag = node.tag if isinstance(node.tag, str) else ""
        if self.stopped or tag in NESTED_BLOCKS:
            self.stopped = True  # a block nested in the paragraph is not part of its lines
            return
        if tag == "br":
            lines.append(_OpenLine())
        elif self.label_tags and ((tag == "span" and LABEL_SPAN_CLASS in classes_of(node)) or (
                tag in ("strong", "b") and not lines[-1].has_text() and _is_label(text_of(node)))):
            label = own_text(node)
            lines[-1].emphasis += [text_of(e) for e in node.iter("em", "i")]
            if lines[-1].has_text() or lines[-1].label:
                lines.append(_OpenLine())
            lines[-1].label = label
        elif tag:
            if node.text:
                lines[-1].parts.append(node.text)
            for child in node:
                self.walk(child)
            if tag in EMPHASIS:
                lines[-1].emphasis.append(text_of(node))
            elif tag == "a" and node.get("href"):
                lines[-1].links.append((node.get("href", ""), text_of(node)))
        if node.tail and not self.stopped:
            lines[-1].parts.append(node.tail)


def _is_label(text: str) -> bool:
    """Text of a bold run that is a colophon label ("Transcription", "Source: <em>…</em>")."""
    head = clean(text).split(":", 1)[0]
    field_name, roles = label_fields(head)
    return bool(field_name or roles)


@remembered
def _label_word(word: str) -> str:
    """A label word as the vocabulary spells it: "transciption" -> "transcription"."""
    return word if word in LABEL_WORDS else near_word(word, LABEL_WORDS) or word


def label_fields(label: str) -> tuple[str | None, list[str]]:
    """(field, credit roles) a label names: `Transcription/HTML Markup` -> (None, [transcription, markup])."""
    field_name, roles = _label_fields(normalise_label(label))
    return field_name, list(roles)


@remembered
def _label_fields(label: str) -> tuple[str | None, tuple[str, ...]]:
    key = LABEL_WORD.sub(lambda m: _label_word(m[0]), label)
    if key in FIELD_LABELS:
        return FIELD_LABELS[key], ()
    for known in _LABELS_LONGEST_FIRST:
        # "Fuente de la presente edicion", "Source of this translation".
        if key.startswith(known + " ") and FIELD_LABELS[known] != "licence":
            return FIELD_LABELS[known], ()
    if SOURCE_OF_LABEL.fullmatch(key):
        return "source", ()  # "Transcription Source": what the transcription was made from
    if key in ROLE_LABELS:
        return None, (ROLE_LABELS[key],)
    roles = []
    # "Transcription/Markup & corrections", "Translated from German by", "English Translation",
    # "2nd Proof reading": a part that opens with a role word, or names one after qualifiers.
    for part in LABEL_PARTS.split(key):
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
    match = PLAIN_LABEL.match(text)
    # "Translated and Edited by Mike Baker: published by …" is a sentence, not a label.
    if match and not LABEL_IS_SENTENCE.search(match[1]) and any(label_fields(match[1])):
        return match[1], match[2].strip()
    return None


def is_endnote_block(el: Element) -> bool:
    """A paragraph whose first label is an endnote's number ("<span class="info">1.</span> …")."""
    first = next(el.iterdescendants("span"), None)
    if first is not None and LABEL_SPAN_CLASS in classes_of(first):
        return bool(NOTE_LABEL.match(text_of(first)))
    return False


# --- the colophon as a whole ---------------------------------------------------------------------
@dataclass
class Colophon:
    """What the colophon gives the record, and its lines (read again for a series marker)."""

    citation: Citation | None
    dates: WorkDates
    credits: list[Credit]
    licence: Licence
    lines: list[Line]


def _colophon_date(value: str, language: str) -> DateValue | None:
    """A labelled date: the whole value read as one date, else the first date inside it."""
    whole = read_date(value, language)
    if whole.value is not None:
        return whole.date_value()
    return find_date(value, language)


def read_colophon(blocks: list[Element], base_url: str, work_title: str | None,
                  language: str) -> Colophon:
    """The colophon of the paragraphs ``blocks``: labelled lines by their labels, unlabelled ones as
    a source statement, prose credits or a licence statement."""
    lines = [line for block in blocks for line in split_lines(block)]
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
                source = Line(text=clean(value), emphasis=line.emphasis, links=line.links)
            elif field_name in ("written", "delivered", "first_published", "written_first_published"):
                names = (["written", "first_published"] if field_name == "written_first_published"
                         else [field_name])
                for name in names:
                    if dates.get(name) is None:
                        dates[name] = _colophon_date(value, language)
                if "first_published" in names and published is None:
                    published = Line(text=clean(value), emphasis=line.emphasis, links=line.links)
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
        if COPYRIGHT.search(text) or states_licence(text):
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
    licence = Licence()
    if licence_label is not None or licence_text:
        licence = licence_of(licence_label, clean(" ".join(licence_text)) or None, licence_links, base_url)
    chosen = source or prose_citation
    if chosen is None and published is not None and (
            published.emphasis or PUBLICATION_HINT.search(published.text)):
        chosen = published
    citation = None
    if chosen is not None and chosen.text:
        citation = parse_citation(chosen.text, chosen.emphasis, work_title, language)
    return Colophon(citation=citation, dates=WorkDates(**{k: v for k, v in dates.items() if v is not None}),
                    credits=dedupe_credits(credits), licence=licence, lines=lines)
