"""The decoded document read as markup, without the parser: how much text it holds, and a flattened
copy for the parser to read again when it stopped early (at its depth limit, at the end tag)."""

from __future__ import annotations

import re

# Text outside the markup: comments, scripts, styles and tags aside ("a < b" is text, not a tag).
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<(script|style|noscript)\b.*?(?:</\1\s*>|\Z)|</?[A-Za-z][^>]*>?|<[!?][^>]*>?",
    re.S | re.I,
)
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);?")
_WHITESPACE = " \t\n\r\x0c\xa0"
# A start or end tag, with the spans whose insides are not markup (comments, scripts, styles).
_TAG = re.compile(
    r"<!--.*?(?:-->|\Z)|<(?P<raw>script|style)\b.*?(?:</(?P=raw)\s*>|\Z)"
    r"|<(?P<end>/?)(?P<name>[A-Za-z][A-Za-z0-9:_-]*)(?:\s[^>]*?)?(?P<empty>/?)>",
    re.S | re.I,
)
_VOID = frozenset({"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
                   "input", "isindex", "keygen", "link", "meta", "param", "source", "spacer", "track",
                   "wbr"})
_DOCUMENT_ENDS = frozenset({"body", "html"})
# Elements a second one of the same name closes rather than nests in.
_SELF_CLOSING = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})


def text_size(text: str) -> int:
    """Characters of text, HTML's whitespace and no-break spaces aside."""
    return len(text) - sum(map(text.count, _WHITESPACE))


def document_text_size(document: str) -> int:
    """Characters of text the document holds outside its markup, whitespace aside, a character
    reference counting as the one character it stands for."""
    return text_size(_ENTITY.sub("x", _MARKUP.sub(" ", document)))


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
    for tag in _TAG.finditer(document):
        name = tag["name"]
        if name is None:
            continue  # a comment, script or style: kept as it is
        name = name.lower()
        keep = True
        if tag["end"]:
            if name in _DOCUMENT_ENDS:
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
        elif name not in _VOID and not tag["empty"]:
            if name in _SELF_CLOSING and open_ and open_[-1] == name:
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
