"""The page as read: bytes -> decoded document -> parsed tree -> its blocks in reading order, with their
text and the links inside them, and the page's links: gathered once, when the page is read, for every
field to use without walking the tree again."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from lxml import etree

from crawler.extract.catalogue import language_of
from crawler.extract.decode import decode_html, xml_safe
from crawler.extract.text import clean
from crawler.extract.vocab import (
    BINARY_MAGIC,
    BLOCK_CONTAINERS,
    BODY_LOST_MIN_TEXT,
    BODY_LOST_SHARE,
    DOCUMENT_ENDS,
    ENTITY,
    FLATTEN_DEPTH,
    HTML_WHITESPACE,
    LEAF_BLOCKS,
    MARKUP,
    MARKUP_SNIFF_CHARS,
    NESTED_BLOCKS,
    SELF_CLOSING,
    SNIFF_BYTES,
    STRIPPED_ELEMENTS,
    STRUCTURE,
    TAG,
    UTF16_BOMS,
    VOID_ELEMENTS,
    WALK_MAX_DEPTH,
    XML_DECLARATION,
)

Element: TypeAlias = etree._Element  # an element of the parsed tree

_NO_CLASSES: frozenset[str] = frozenset()


TOO_DEEP = "the page nests elements too deeply to read"


class ExtractError(Exception):
    """A page that cannot become a record: `code` is stable, `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- text -------------------------------------------------------------------------------------------
def raw_text(el: Element) -> str:
    """An element's text with its descendants', as the document holds it."""
    return str(etree.tostring(el, method="text", encoding="unicode", with_tail=False))


def text_of(el: Element) -> str:
    """An element's text with its descendants', as printed: white space (no-break spaces included)
    collapsed to single spaces, ends trimmed."""
    if len(el) == 0:  # one text node (a paragraph without markup): read it without serialising
        return clean(el.text or "")
    return clean(raw_text(el))


def own_text(el: Element) -> str:
    """A block's text up to the first block nested inside it, as printed."""
    parts: list[str] = []
    _own_text(el, parts, root=True)
    return clean("".join(parts))


def _own_text(node: Element, parts: list[str], root: bool = False) -> bool:
    """Gather the text of ``node`` into ``parts``; False once a nested block is reached."""
    # A module function, not a closure: a recursive closure is a reference cycle, which keeps what
    # it holds alive until the garbage collector runs.
    if not root and isinstance(node.tag, str) and node.tag in NESTED_BLOCKS:
        return False
    if isinstance(node.tag, str) and node.text:
        parts.append(node.text)
    for child in node:
        if not _own_text(child, parts):
            return False
    if not root and node.tail:
        parts.append(node.tail)
    return True


def classes_of(el: Element) -> frozenset[str]:
    """An element's class names, lower-cased."""
    value = el.get("class")
    return frozenset(value.lower().split()) if value else _NO_CLASSES


def text_size(text: str) -> int:
    """Characters of text, HTML's whitespace and no-break spaces aside."""
    return len(text) - sum(map(text.count, HTML_WHITESPACE))


def document_text_size(document: str) -> int:
    """Characters of text the document holds outside its markup, whitespace aside, a character
    reference counting as the one character it stands for."""
    return text_size(ENTITY.sub("x", MARKUP.sub(" ", document)))


# --- the page's parts -------------------------------------------------------------------------------
class Anchor:
    """A link element (`<a>`) of the page: its href as written, and its text, read when first asked
    for (most links' text is never read), then kept."""

    __slots__ = ("_text", "el", "href")

    def __init__(self, el: Element, href: str | None) -> None:
        self.el = el
        self.href = href
        self._text: str | None = None

    @property
    def text(self) -> str:
        """The link's words as printed."""
        if self._text is None:
            self._text = text_of(self.el)
        return self._text

    @property
    def words(self) -> int:
        text = self.text
        return text.count(" ") + 1 if text else 0


class Block:
    """One block of the page in reading order: a paragraph or a loose text cell (tag `p`), a
    heading, or a rule (`hr`), its text as printed, and the links inside it. The text is read when
    the block is found: every field reads the blocks' text, so none would be spared by reading it
    later."""

    __slots__ = ("anchors", "classes", "el", "heading", "tag", "text", "words")

    def __init__(self, el: Element, tag: str, text: str) -> None:
        self.el = el
        self.tag = tag
        names = el.get("class")
        self.classes = frozenset(names.lower().split()) if names else _NO_CLASSES
        self.text = text
        self.words = text.count(" ") + 1 if text else 0  # as many as the text has spaces, and one
        self.anchors: Sequence[Anchor] = ()  # in document order (see _read)
        self.heading: tuple[str, ...] | None = None  # its lines as a heading prints them, once read (see header)


@dataclass
class Page:
    """Everything read from one page before it becomes a record."""

    id: str
    url: str
    tree: Element
    body: Element
    blocks: list[Block]
    anchors: list[Anchor]  # every <a> of the body, in document order
    references: list[str]  # what every <a>, <area>, <frame> and <iframe> points to, as written
    images: int  # how many <img> the body holds
    encoding: str
    sha256: str
    language: str
    page_title: str
    removed_characters: int = 0  # characters XML cannot carry, removed from the document


# --- the parse --------------------------------------------------------------------------------------
def parse_page(body: bytes, url: str, page_id: str, charset: str | None = None) -> Page:
    """The page read from its bytes; raises ExtractError when they hold no HTML to read."""
    if not body or body.isspace():  # (strip() would copy the page to find out)
        raise ExtractError("empty_body", "the page has no content")
    head = body[:SNIFF_BYTES]
    if head.startswith(BINARY_MAGIC) or (b"\x00" in head and not head.startswith(UTF16_BOMS)):
        raise ExtractError("not_html", "the body is binary, not HTML")
    text, encoding = decode_html(body, charset)
    text, removed = xml_safe(text)
    text = XML_DECLARATION.sub("", text, count=1)
    if "<" not in text[:MARKUP_SNIFF_CHARS]:
        raise ExtractError("not_html", "the body holds no markup")
    read = _read(text, _PARSER)
    if _lost(text, read):
        # The parser stopped early: read the document again flattened (see flatten), with no limit
        # on the size of a text node.
        read = _read(flatten(text, FLATTEN_DEPTH), etree.HTMLParser(huge_tree=True), deep=True)
        if _lost(text, read):
            raise body_lost(text, read)
    title = next(read.tree.iter("title"), None)
    return Page(
        id=page_id,
        url=url,
        tree=read.tree,
        body=read.body,
        blocks=read.blocks,
        anchors=read.anchors,
        references=read.references,
        images=read.images,
        encoding=encoding,
        sha256=hashlib.sha256(body).hexdigest(),
        language=language_of(page_id),
        page_title=text_of(title) if title is not None else "",
        removed_characters=removed,
    )


_PARSER = etree.HTMLParser()


@dataclass
class _Read:
    """One parse of the document and what was gathered from it."""

    tree: Element
    body: Element
    blocks: list[Block]
    anchors: list[Anchor]
    references: list[str]
    images: int


def body_lost(text: str, read: _Read) -> ExtractError:
    """The error of a page whose parse kept too little of the document's text."""
    return ExtractError("body_lost", f"the parsed page keeps {text_size(raw_text(read.tree))} of the "
                        f"{document_text_size(text)} characters of text the document holds")


def _read(text: str, parser: etree.HTMLParser, deep: bool = False) -> _Read:
    """The document's tree (scripts, styles and comments removed), its body, its blocks and links.
    ``deep``: the parser may nest past what the walks read (see WALK_MAX_DEPTH), which is checked."""
    try:
        tree = etree.fromstring(text, parser)
    except (etree.ParserError, ValueError) as error:
        raise ExtractError("parse_error", f"the HTML could not be parsed: {error}") from error
    if tree is None:
        raise ExtractError("parse_error", "the HTML could not be parsed: Document is empty")
    if deep and _depth(tree) > WALK_MAX_DEPTH:
        raise ExtractError("too_deep", TOO_DEEP)
    etree.strip_elements(tree, *STRIPPED_ELEMENTS, etree.Comment, with_tail=False)
    body = next(tree.iterchildren("body"), None)  # as find("body") reads it, without compiling a path
    if body is None:
        body = tree
    # The body's links and images, and the elements that hold a block (a structural element)
    # somewhere inside.
    anchors: list[Anchor] = []
    references: list[str] = []
    images = 0
    for el in body.iter("a", "area", "frame", "iframe", "img"):
        tag = el.tag
        if tag == "img":
            images += 1
            continue
        href = el.get("href")
        if tag == "a":
            anchors.append(Anchor(el, href))
        references.append(href or el.get("src") or "")
    holders: set[Element] = set()
    for el in body.iter(*STRUCTURE):
        parent = el.getparent()
        while parent is not None and parent not in holders:
            holders.add(parent)
            parent = parent.getparent()
    blocks: list[Block] = []
    nested = _visit(body, holders, blocks)
    # Each link goes to the blocks around it: the innermost, and the paragraph that holds that
    # block when a page nests blocks in a paragraph.
    block_of = {block.el: block for block in blocks}
    held: dict[Block, list[Anchor]] = {}
    for anchor in anchors:
        for ancestor in anchor.el.iterancestors():
            block = block_of.get(ancestor)
            if block is not None:
                held.setdefault(block, []).append(anchor)
                if not nested:
                    break
    for block, inside in held.items():
        block.anchors = inside
    return _Read(tree, body, blocks, anchors, references, images)


def _depth(tree: Element) -> int:
    """How many levels the tree nests, walked without recursion."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(tree, events=("start", "end")):
        if event == "start":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _visit(el: Element, holders: set[Element], out: list[Block]) -> bool:
    """The blocks inside ``el`` in reading order, into ``out``: paragraphs, headings, rules and loose
    text cells (containers holding a block of their own are walked into; the others are text
    cells).  True when a paragraph holds blocks of its own (they are then inside two blocks)."""
    nested = False
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in LEAF_BLOCKS:
            if child in holders and next(child.iterdescendants(*NESTED_BLOCKS), None) is not None:
                # Blocks nested inside a paragraph: its own text, then the blocks themselves.
                out.append(Block(child, tag, own_text(child)))
                _visit(child, holders, out)
                nested = True
                continue
            out.append(Block(child, tag, text_of(child)))
        elif tag == "hr":
            out.append(Block(child, tag, ""))
        elif tag in BLOCK_CONTAINERS and child not in holders:
            text = text_of(child)
            if text:
                out.append(Block(child, "p", text))
        elif _visit(child, holders, out):
            nested = True
    return nested


def _lost(text: str, read: _Read) -> bool:
    """The tree keeps less than BODY_LOST_SHARE of the text the document holds (see vocab)."""
    # The document's text is never longer than the document, and the blocks' text is part of the
    # tree's: these bounds settle almost every page before the document itself is measured.
    floor = BODY_LOST_SHARE * len(text)
    in_blocks = 0
    for block in read.blocks:
        in_blocks += len(block.text) - block.words  # no more than its characters, spaces aside
        if in_blocks >= floor:
            return False
    kept = text_size(raw_text(read.tree))
    if kept >= floor:
        return False
    held = document_text_size(text)
    return held >= BODY_LOST_MIN_TEXT and kept < BODY_LOST_SHARE * held


def flatten(document: str, depth: int) -> str:
    """The document with its runaway nesting unwrapped: once `depth` elements are open, an element
    opened inside another of its own name loses its start and end tags, its content kept in place,
    so no text changes order and the blocks inside the nest (paragraphs, headings) stay blocks.
    The end tags of the body and the document go too: what follows them is still the body's (as
    HTML reads it), where the parser would drop it."""
    out: list[str] = []
    open_: list[str] = []
    opened: dict[str, int] = {}  # how many elements of each name are open
    unwrapped: dict[str, int] = {}  # how many elements of each name lost their start tag
    last = 0
    for tag in TAG.finditer(document):
        name = tag["name"]
        if name is None:
            continue  # a comment, script or style: kept as it is
        name = name.lower()
        keep = True
        if tag["end"]:
            if name in DOCUMENT_ENDS:
                keep = False
            elif unwrapped.get(name):
                unwrapped[name] -= 1  # the innermost element of that name is an unwrapped one
                keep = False
            elif opened.get(name):
                while True:  # an end tag closes the elements left open inside it
                    closed = open_.pop()
                    opened[closed] -= 1
                    if closed == name:
                        break
        elif name not in VOID_ELEMENTS and not tag["empty"]:
            if name in SELF_CLOSING and open_ and open_[-1] == name:
                open_.pop()
                opened[name] -= 1
            if len(open_) >= depth and opened.get(name):
                unwrapped[name] = unwrapped.get(name, 0) + 1
                keep = False
            else:
                open_.append(name)
                opened[name] = opened.get(name, 0) + 1
        if not keep:
            out.append(document[last:tag.start()])
            last = tag.end()
    out.append(document[last:])
    return "".join(out)
