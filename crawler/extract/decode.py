"""Bytes -> text without losing a character: BOM, strict UTF-8, declared non-Latin charsets, cp1252."""

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
    # cp1252 leaves 0x81 0x8D 0x8F 0x90 0x9D undefined; keep them as their Latin-1 characters.
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
