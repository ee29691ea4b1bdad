"""Plain text as every field reads it: `clean` collapses white space exactly as splitting and
joining the words does, an element's printed text is its text content cleaned, and the keys that
compare names and titles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree, html

from crawler.extract.document import text_of
from crawler.extract.text import clean, name_key, title_key

EXACT = settings(max_examples=500, deadline=None, database=None, derandomize=True)
# Every character Python splits on, and characters clean() must keep (a soft hyphen, a zero-width
# space, letters outside Latin-1).
WHITE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT = st.text(alphabet=st.sampled_from([*WHITE, "a", "Z", "é", "’", "—", "\xad", "\u200b", "字", "·"]),
               max_size=40)


@given(TEXT)
@EXACT
def test_clean_is_split_and_join(text: str) -> None:
    assert clean(text) == " ".join(text.split())


@pytest.mark.parametrize(("text", "expected"), [
    ("  The   coalition\n   has lasted ", "The coalition has lasted"),
    ("three\tyears,\r\nand", "three years, and"),
    ("no\xa0break\u2003space", "no break space"),
    ("soft\xadhyphen kept", "soft\xadhyphen kept"),
    ("        ", ""),
    ("", ""),
], ids=["source-wrapping", "tabs-and-crlf", "unicode-spaces", "soft-hyphen", "blank", "empty"])
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


@pytest.mark.parametrize("markup", [
    "<p>The <b>coalition</b>\n   has <a href='x.htm'>lasted</a>  three years.</p>",
    "<p>\n  Da&nbsp;<i>capo</i>&#8195;al fine \n</p>",
    "<h2>Jane Doe<br>1874-1936</h2>",
    "<td><!-- a comment --> cell <?php echo 1 ?> text</td>",
    "<p>\n  plain   text,\n no markup </p>",
], ids=["inline", "entities", "break", "comment-and-pi", "plain"])
def test_text_of_is_the_text_content_cleaned(markup: str) -> None:
    el = html.fragment_fromstring(markup)
    assert text_of(el) == clean(el.text_content())
    assert text_of(etree.fromstring(markup, etree.HTMLParser()).find(".//body/*")) == clean(el.text_content())


@pytest.mark.parametrize(("a", "b"), [
    ("Rosa Luxemburg", "ROSA LUXEMBURG"),
    ("Jean Jaurès", "Jean Jaures"),
    ("O’Neill", "ONeill"),
], ids=["case", "accents", "punctuation"])
def test_name_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_name_key_keeps_spaces_and_title_key_does_not() -> None:
    assert name_key("Rosa  Luxemburg") == "rosa  luxemburg"
    assert title_key("The New International.") == title_key("THE NEW INTERNATIONAL") == "thenewinternational"
