"""Bytes -> text without losing a character (BOM, strict UTF-8, declared non-Latin charsets, cp1252),
then only the characters XML 1.0 cannot carry removed, and counted."""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import resolve_encoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Declared charsets worth trusting when strict UTF-8 fails: the non-Latin single-byte and CJK
# encodings.  Latin-1 declarations are read as cp1252 (the WHATWG mapping) anyway.
_NON_LATIN = frozenset(
    {"cp1251", "koi8_r", "koi8_u", "iso8859_2", "cp1250", "iso8859_5", "iso8859_7", "cp1253",
     "iso8859_9", "cp1254", "iso8859_13", "cp1257", "gb18030", "gbk", "gb2312", "big5",
     "shift_jis", "euc_jp", "euc_kr", "cp949", "cp874", "tis_620", "iso8859_6", "cp1256",
     "iso8859_8", "cp1255", "cp1258", "mac_cyrillic"}
)


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; keep them as their Latin-1 characters, so
    # the decode is lossless and xml_safe() removes (and counts) the C1 controls they become.
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("colophon-latin1", _latin1_fallback)


def declared_charsets(body: bytes, header: str | None = None) -> list[str]:
    """Every charset the page or its HTTP header declares, normalised, typos resolved."""
    found: list[str] = []
    candidates = [header.encode("ascii", "ignore")] if header else []
    candidates += _META_CHARSET.findall(body[:4096])
    for raw in candidates:
        name = resolve_encoding(raw.decode("ascii", "ignore").strip().lower())
        if name:
            found.append(codecs.lookup(name).name)
    return found


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """The page's text and the encoding actually used to decode it."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            try:
                return body.decode(name), name.replace("-sig", "")
            except UnicodeDecodeError:
                break
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for name in declared_charsets(body, header_charset):
        normalised = name.replace("-", "_")
        if normalised in _NON_LATIN:
            try:
                return body.decode(name), name
            except UnicodeDecodeError:
                continue
    return body.decode("cp1252", errors="colophon-latin1"), "cp1252"


# Characters XML 1.0 cannot carry: C0 controls but TAB, LF and CR; DEL; the C1 controls (never
# text here: the decoder turns cp1252's undefined bytes into them); U+FFFE, U+FFFF; lone surrogates.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_ASCII_FORBIDDEN = tuple(map(chr, (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)))
_SINGLE_FORBIDDEN = _ASCII_FORBIDDEN + tuple(map(chr, (*range(0x80, 0xA0), 0xFFFE, 0xFFFF)))
# Numeric character references the parser would turn into one of them: code points below U+00A0
# and U+FFFE, U+FFFF, written in decimal or hex, leading zeros allowed, the semicolon optional.
_LOW_REFERENCE = re.compile(
    r"&#(?:[xX]0*(?P<hex>[0-9A-Fa-f]|[0-9][0-9A-Fa-f]|[fF]{3}[eEfF])(?![0-9A-Fa-f])"
    r"|0*(?P<dec>[0-9]{1,2}|1[0-5][0-9]|6553[45])(?![0-9]));?"
)
# References the parser reads as text (&#0; as U+FFFD), left to it.
_TEXT_REFERENCES = frozenset({0x00, 0x09, 0x0A, 0x0D, *range(0x20, 0x7F)})


def _removed(match: re.Match[str]) -> str:
    # A form feed is whitespace in HTML: a space keeps the words on either side apart.
    return " " if match[0] == "\x0c" else ""


def _holds_forbidden(document: str) -> bool:
    # Looking for each character is several times faster than the pattern's scan, and most pages
    # hold none: only they pay for the substitution.
    if document.isascii():
        return any(map(document.__contains__, _ASCII_FORBIDDEN))
    if any(map(document.__contains__, _SINGLE_FORBIDDEN)):
        return True
    try:
        document.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, the one thing UTF-8 cannot encode
        return True
    return False


def xml_safe(document: str) -> tuple[str, int]:
    """The document without the characters XML 1.0 forbids, literal or written as numeric
    references, and how many were removed. A form feed becomes a space (HTML's whitespace)."""
    removed = 0
    if _holds_forbidden(document):
        document, removed = _FORBIDDEN.subn(_removed, document)
    if "&#" not in document:
        return document, removed
    references = 0

    def resolve(match: re.Match[str]) -> str:
        nonlocal references
        code = int(match["hex"], 16) if match["hex"] is not None else int(match["dec"])
        if code in _TEXT_REFERENCES:
            return match[0]
        if 0x80 <= code <= 0x9F:
            # HTML reads these references as cp1252, as the parser does; the five code points
            # cp1252 leaves undefined would stay C1 controls.
            try:
                return bytes((code,)).decode("cp1252")
            except UnicodeDecodeError:
                pass
        references += 1
        return " " if code == 0x0C else ""

    document = _LOW_REFERENCE.sub(resolve, document)
    return document, removed + references
