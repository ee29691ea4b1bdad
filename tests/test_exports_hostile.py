"""Every export read back by its independent consumer, whatever the record's text holds: line
breaks, each format's delimiters, characters XML forbids, lone surrogates, very long values."""

from __future__ import annotations

import io
import json
import re
import urllib.parse
from typing import Any

import bibtexparser
import pymarc
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from models.records import Work
from output.exports import DC, MARC, OAI_DC, export

pytestmark = pytest.mark.long

# Pieces an attacker puts in a field: every kind of line break, the characters XML forbids or
# discourages, lone surrogates, and the delimiters of each format.
HOSTILE = (
    "\n", "\r\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029", "\t", "\x1c", "\x1d", "\x1e", "\x1f",
    "\x00", "\x01", "\x08", "\x7f", "\x80", "\x9f", "\ud800", "\udfff", "\ufffe", "\uffff", "\ufdd0",
    "\U0001fffe", "\U0010ffff", "\ufeff", "\xa0",
    "{", "}", "\\", "%", "&", "$", "#", "_", "~", "^", "@", '"', "'", "`", "--", ",", "=", ";", " ",
    "ER  - ", "\nER  - \n\nTY  - JOUR\nTI  - forged\n", "TY  - ",
    "</record>", "]]>", "<![CDATA[", "<!--", "&amp;", "&#0;", "<", ">",
    "@misc{forged,", "}\n@misc{forged, title={x}}\n", "\\textbackslash{}", "\\end{document}",
)
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates included
SHORT = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(ANY_CHARACTER, max_size=6)), max_size=8).map("".join)
LONG = st.builds(lambda piece, times: piece * times, st.sampled_from((*HOSTILE, "word ")), st.integers(100, 1000))
TEXT = st.one_of(SHORT, SHORT, SHORT, LONG)
NON_BLANK = TEXT.filter(lambda text: bool(text.strip()))
OPTIONAL = st.none() | TEXT
URL = st.builds(lambda scheme, path: f"{scheme}://www.marxists.org/{path}", st.sampled_from(("https", "http")), TEXT)

_POINT = st.one_of(
    st.integers(1000, 2999).map(str),
    st.builds("{:04d}-{:02d}".format, st.integers(1000, 2999), st.integers(1, 12)),
    st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(1000, 2999), st.integers(1, 12), st.integers(1, 28)),
    st.builds("{:04d}-{}".format, st.integers(1000, 2999), st.integers(21, 24)),
    st.integers(100, 299).map("{}X".format),
)
EDTF = st.one_of(_POINT, st.builds("{}/{}".format, _POINT, _POINT))
PRECISION = st.sampled_from(("day", "month", "season", "year", "range", "decade", "unknown"))
DATE = st.one_of(
    st.none(),
    st.fixed_dictionaries({"raw": TEXT, "value": EDTF, "precision": PRECISION}),
    st.fixed_dictionaries({"raw": TEXT, "value": st.none(), "precision": st.just("unknown")}),
)
ROLE = st.sampled_from(("transcription", "markup", "proofreading", "editing", "translation"))
TIMESTAMP = st.one_of(TEXT, st.just("2026-01-02T03:04:05+00:00"))
SHA256 = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)


def record_fields(n: int) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of one work, every string in them hostile; ``n`` keeps ids apart once cleaned."""
    return st.fixed_dictionaries({
        "id": TEXT.map(lambda path: f"archive/{path}/{n}.htm"),
        "url": URL,
        "kind": st.sampled_from(("work", "toc")),
        "language": st.sampled_from(("en", "de", "ru", "zz")),
        "title": NON_BLANK,
        "subtitle": OPTIONAL,
        "pretitle": OPTIONAL,
        "author": st.fixed_dictionaries({"name": st.none() | NON_BLANK, "byline": OPTIONAL, "slug": OPTIONAL}),
        "date": DATE,
        "dates": st.fixed_dictionaries({"written": DATE, "delivered": DATE, "first_published": DATE}),
        "citation": st.none() | st.fixed_dictionaries({
            "raw": NON_BLANK, "container_title": OPTIONAL, "volume": OPTIONAL,
            "volume_number": st.none() | st.integers(0, 999), "issue": OPTIONAL,
            "issue_number": st.none() | st.integers(0, 999), "date": DATE, "pages": OPTIONAL}),
        "credits": st.lists(st.fixed_dictionaries({
            "role": ROLE, "name": NON_BLANK, "year": st.none() | st.integers(1000, 2999), "raw": OPTIONAL}),
            max_size=3),
        "licence": st.fixed_dictionaries({
            "raw": OPTIONAL, "label": OPTIONAL,
            "status": st.sampled_from(("public_domain", "copyleft", "copyright", "unknown")),
            "id": OPTIONAL, "url": st.none() | URL}),
        "series": st.none() | st.fixed_dictionaries({
            "marker": OPTIONAL, "position": st.none() | st.integers(1, 99), "continued": st.booleans(),
            "concluded": st.booleans(), "next_url": st.none() | URL, "previous_url": st.none() | URL}),
        "part_of": st.none() | st.fixed_dictionaries({"title": OPTIONAL, "url": URL}),
        "editorial_notes": st.lists(TEXT, max_size=3),
        "notes": st.lists(st.fixed_dictionaries({"label": TEXT, "text": TEXT}), max_size=2),
        "sections": st.lists(TEXT, max_size=2),
        "text": TEXT,
        "word_count": st.integers(0, 10**6),
        "last_updated": DATE,
        "provenance": st.fixed_dictionaries({
            "fetched_at": TIMESTAMP, "http_status": st.none() | st.integers(100, 599), "etag": OPTIONAL,
            "last_modified": OPTIONAL, "encoding": TEXT, "content_sha256": SHA256, "extractor_version": TEXT}),
    })


@st.composite
def works(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One to five work records that the model accepts, as the exports read them."""
    records = []
    for n in range(draw(st.integers(1, 5))):
        try:
            work = Work.model_validate(draw(record_fields(n)))
        except ValidationError:  # an id no path of the archive can be ('..' as a segment, '://')
            reject()
        records.append(work.model_dump(mode="json"))
    return records


# Reproducible in CI: no example database, a fixed sequence of examples.
HOSTILE_SETTINGS = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                            suppress_health_check=[HealthCheck.too_slow])


# --- what each family of formats may carry, stated independently of the exports ------------------
def is_text(char: str) -> bool:
    """A character of XML 1.0 (§2.2) that it neither forbids nor discourages."""
    point = ord(char)
    if char in "\t\n\r":
        return True
    return not (point < 0x20 or 0x7F <= point <= 0x9F or 0xD800 <= point <= 0xDFFF
                or 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE)


def xml_text(text: str) -> str:
    return "".join(char for char in text if is_text(char))


def words(text: str) -> list[str]:
    """The words of a text read on one line: whitespace and line breaks of every kind only part them."""
    return [word for word in (xml_text(part) for part in text.split()) if word]


def is_one_line(value: str) -> bool:
    return len(value.splitlines()) <= 1 and all(is_text(char) and char not in "\t\n\r" for char in value)


def parse_xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(recover=False, resolve_entities=False, huge_tree=True))


# TeX's own ligatures and pylatexenc's circumflex: what a LaTeX reader makes of plain text.
_LATEX_READING = {"---": "—", "--": "–", "``": "“", "''": "”", "!`": "¡", "?`": "¿", "^": "ˆ"}
_LATEX_LIGATURE = re.compile("|".join(re.escape(plain) for plain in _LATEX_READING))


def latex_reading(text: str) -> str:
    """The text as LaTeX typesets it, without braces (a decoder drops a lone brace's command)."""
    return _LATEX_LIGATURE.sub(lambda match: _LATEX_READING[match[0]], text).replace("{", "").replace("}", "")


# --- each format read back by its consumer --------------------------------------------------------------
def render(format_name: str, records: list[dict[str, Any]]) -> bytes:
    return b"".join(export(format_name, records))


@HOSTILE_SETTINGS
@given(works())
def test_dc_parses_strictly_with_every_title(records: list[dict[str, Any]]) -> None:
    dcs = parse_xml(render("dc", records)).findall(f"{{{OAI_DC}}}dc")
    assert len(dcs) == len(records)
    for record, dc in zip(records, dcs, strict=True):
        title = xml_text(record["title"] + (f": {record['subtitle']}" if record["subtitle"] else ""))
        assert dc.findtext(f"{{{DC}}}title") == (title if title.strip() else None)
        assert dc.findtext(f"{{{DC}}}identifier") == xml_text(record["url"])


@HOSTILE_SETTINGS
@given(works())
def test_marcxml_parses_strictly_and_with_pymarc(records: list[dict[str, Any]]) -> None:
    data = render("marcxml", records)
    assert len(parse_xml(data).findall(f"{{{MARC}}}record")) == len(records)
    marcs = pymarc.parse_xml_to_array(io.BytesIO(data), strict=True)
    assert len(marcs) == len(records)
    for record, marc in zip(records, marcs, strict=True):
        assert len(str(marc.leader)) == 24 and len(marc["008"].data) == 40
        assert words(marc["001"].data) == words(record["id"])
        assert words(marc["856"]["u"]) == words(record["url"])
        title = words(record["title"] + (" :" if record["subtitle"] else ""))
        headings = marc.get_fields("245")
        assert words(headings[0].get("a") or "") == title if headings else not title
        subfields = [subfield.value for field in marc.get_fields() if not field.is_control_field()
                     for subfield in field.subfields]
        assert all(is_one_line(value) for value in subfields)


@HOSTILE_SETTINGS
@given(works())
def test_bibtex_reads_back_one_entry_per_work(records: list[dict[str, Any]]) -> None:
    text = render("bibtex", records).decode()
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    raw = bibtexparser.parse_string(text)
    assert not library.failed_blocks and not raw.failed_blocks
    assert len(library.entries) == len(raw.entries) == len(records)
    assert len({entry.key for entry in raw.entries}) == len(records)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", entry.key) for entry in raw.entries)
    for record, entry, raw_entry in zip(records, library.entries, raw.entries, strict=True):
        title = words(latex_reading(" ".join(words(record["title"]))))
        if words(record["title"]):
            assert words(entry["title"].replace("{", "").replace("}", "")) == title
        else:
            assert "title" not in entry
        url = raw_entry["url"]
        assert not set(url) & set("{}\\ \t\n\r")
        assert words(urllib.parse.unquote(url)) == words(urllib.parse.unquote(" ".join(words(record["url"]))))
        assert all(is_one_line(field.value) for field in raw_entry.fields)


@HOSTILE_SETTINGS
@given(works())
def test_ris_reads_back_one_record_per_work(records: list[dict[str, Any]]) -> None:
    text = render("ris", records).decode()
    assert all(re.match(r"[A-Z][A-Z0-9]  - ", line) for line in text.splitlines() if line)
    ris = rispy.loads(text)
    assert len(ris) == len(records)
    for record, entry in zip(records, ris, strict=True):
        assert words(entry["id"]) == words(record["id"])
        assert words(entry.get("title", "")) == words(record["title"])
        # rispy reads UR as a list separated by semicolons
        assert words(" ".join(entry["urls"])) == words(record["url"].replace(";", " "))


@HOSTILE_SETTINGS
@given(works())
def test_csl_json_renders_a_bibliography(records: list[dict[str, Any]]) -> None:
    items = json.loads(render("csl", records))
    assert [item["title"] for item in items] == [xml_text(record["title"]) for record in records]
    bibliography = CitationStylesBibliography(CitationStylesStyle("harvard-cite-them-right", validate=False),
                                              CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    assert len([str(entry) for entry in bibliography.bibliography()]) == len(records)


@HOSTILE_SETTINGS
@given(works())
def test_jsonld_loads_with_every_node(records: list[dict[str, Any]]) -> None:
    graph = json.loads(render("jsonld", records))["@graph"]
    assert [node["name"] for node in graph] == [xml_text(record["title"]) for record in records]
    assert [node["@id"] for node in graph] == [xml_text(record["url"]) for record in records]


# --- the attacks as found -------------------------------------------------------------------------------
def minimal(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "archive/ashdown/1947/05/mill3.html", "url": "https://www.marxists.org/archive/ashdown/1947/05/mill3.html",
        "kind": "work", "language": "en", "title": "The Mill Strike", "author": {"name": "Ruth Ashdown"},
        "date": {"raw": "3 May 1947", "value": "1947-05-03", "precision": "day"}, "text": "", "word_count": 0,
        "provenance": {"fetched_at": "2026-01-02T03:04:05+00:00", "encoding": "utf-8",
                       "content_sha256": "0" * 64, "extractor_version": "1"}}
    record: dict[str, Any] = Work.model_validate({**fields, **changes}).model_dump(mode="json")
    return record


@pytest.mark.parametrize("format_name", ["dc", "marcxml"])
@pytest.mark.parametrize(("title", "read_back"), [
    ("The Mill\x01 Strike", "The Mill Strike"),
    ("\x00The Mill Strike\x1f", "The Mill Strike"),
    ("The Mill\x7f\x80 Strike\x9f", "The Mill Strike"),
    ("The \ud800Mill Strike\ufffe", "The Mill Strike"),
    ("\x0b\x0cThe Mill Strike", "The Mill Strike"),
], ids=["soh", "nul-and-unit-separator", "del-and-c1", "lone-surrogate-and-nonchar", "vertical-tab-form-feed"])
def test_control_characters_in_a_title_leave_xml_well_formed(format_name: str, title: str, read_back: str) -> None:
    root = parse_xml(render(format_name, [minimal(title=title), minimal(id="archive/b.htm")]))
    if format_name == "dc":
        assert [dc.findtext(f"{{{DC}}}title") for dc in root] == [read_back, "The Mill Strike"]
    else:
        marcs = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(root)), strict=True)
        assert [m["245"]["a"] for m in marcs] == [read_back, "The Mill Strike"]


@pytest.mark.parametrize("changes", [
    {"url": "https://www.marxists.org/archive/x.htm\nER  - \n\nTY  - JOUR\nTI  - Forged\n"},
    {"url": "https://www.marxists.org/archive/x.htm\r\nER  - "},
    {"id": "archive/x.htm\nER  - \nTY  - JOUR"},
    {"title": "The Mill\u2028ER  - \u2029TY  - JOUR"},
    {"author": {"name": "Ruth\x85ER  - \x0bTY  - JOUR Ashdown"}},
], ids=["lf-in-url", "crlf-in-url", "lf-in-id", "unicode-separators-in-title", "nel-and-vt-in-author"])
def test_a_line_break_in_a_field_does_not_forge_a_ris_record(changes: dict[str, Any]) -> None:
    ris = rispy.loads(render("ris", [minimal(**changes)]).decode())
    assert len(ris) == 1
    assert "JOUR" not in {entry["type_of_reference"] for entry in ris}


@pytest.mark.parametrize(("title", "raw", "decoded"), [
    ("C:\\Marx", r"C:\textbackslash{}Marx", "C:\\Marx"),
    ("Ends in \\", r"Ends in \textbackslash{}", "Ends in \\"),
    ("\\{x\\}", r"\textbackslash{}\{x\textbackslash{}\}", "\\{x\\}"),
    ("Lone } brace {", r"Lone \textbraceright{} brace \textbraceleft{}", "Lone  brace "),
    ("100% & $5 #1 a_b ~x^2", r"100\% \& \$5 \#1 a\_b \textasciitilde{}x\textasciicircum{}2",
     "100% & $5 #1 a_b ~xˆ2"),
], ids=["backslash", "trailing-backslash", "escaped-braces", "unpaired-braces", "latex-specials"])
def test_bibtex_escapes_what_latex_reads(title: str, raw: str, decoded: str) -> None:
    text = render("bibtex", [minimal(title=title)]).decode()
    assert bibtexparser.parse_string(text).entries[0]["title"] == raw
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert len(library.entries) == 1 and not library.failed_blocks
    assert library.entries[0]["title"] == decoded
