"""Decoding never loses a character, whatever the page declares."""

from __future__ import annotations

import codecs

import pytest

from crawler.extract.decode import decode_html


def _page(charset: str, body: bytes) -> bytes:
    return b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=' + \
        charset.encode() + b'"></head><body><p>' + body + b"</p></body></html>"


@pytest.mark.parametrize(("charset", "body", "text", "encoding"), [
    ("iso-8859-1", "Malmö “x”".encode(), "Malmö “x”", "utf-8"),          # UTF-8 mislabelled latin-1
    ("utf-8", "Malmö".encode("latin-1"), "Malmö", "cp1252"),                  # latin-1 mislabelled utf-8
    ("iso-8859-1", b"\x93quoted\x94 \x96 dash", "“quoted” – dash", "cp1252"),  # C1 bytes are cp1252
    ("utf-98", b"caf\xe9", "café", "cp1252"),                                # a typo'd charset
    ("RTF-8", b"plain", "plain", "utf-8"),
    ("windows-1251", "Ленин".encode("cp1251"), "Ленин", "cp1251"),           # declared non-Latin
    ("iso-8859-1", b"undefined \x81\x8d", "undefined \x81\x8d", "cp1252"),    # kept, not dropped
], ids=["utf8-as-latin1", "latin1-as-utf8", "c1-bytes", "typo", "rtf-8", "cp1251", "undefined-bytes"])
def test_decode(charset: str, body: bytes, text: str, encoding: str) -> None:
    decoded, used = decode_html(_page(charset, body))
    assert text in decoded
    assert used == encoding


def test_bom_wins() -> None:
    decoded, used = decode_html(codecs.BOM_UTF16_LE + "<p>Ω</p>".encode("utf-16-le"))
    assert "Ω" in decoded and used == "utf-16"
