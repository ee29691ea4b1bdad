"""Each export format read back by an independent, well-kept consumer; golden exports of three
representative records (a newspaper article in a series, a book chapter, a translated work)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import bibtexparser
import pymarc
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from lxml import etree
from pyld import jsonld
from rdflib import Graph, Literal, Namespace, URIRef

from crawler.extract import Catalogue, Fetch, harvest
from output.exports import DC, MARC, OAI_DC, export, marc_deleted

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "exports"
CASES = {"article-in-series": "labelled_series", "book-chapter": "chapter", "translated-work": "lenin_dual"}
EXTENSIONS = {"csl": "csl.json", "bibtex": "bib", "ris": "ris", "dc": "dc.xml", "jsonld": "jsonld",
              "marcxml": "marc.xml"}
SCHEMA = Namespace("https://schema.org/")


def work(case: str) -> dict[str, Any]:
    folder = FIXTURES / "pages" / CASES[case]
    path = json.loads((folder / "expected.json").read_text())["_path"]
    catalogue = Catalogue.from_json((FIXTURES / "authors.json").read_bytes())
    record = harvest((folder / "page.html").read_bytes(), "https://www.marxists.org/" + path, path, catalogue,
                     Fetch(fetched_at="2026-01-02T03:04:05+00:00", http_status=200))
    data: dict[str, Any] = record.model_dump(mode="json")
    return data


def render(format_name: str, *cases: str) -> bytes:
    return b"".join(export(format_name, [work(case) for case in cases]))


@pytest.mark.parametrize("format_name", list(EXTENSIONS))
@pytest.mark.parametrize("case", list(CASES))
def test_golden_exports(case: str, format_name: str) -> None:
    golden = GOLDEN / f"{case}.{EXTENSIONS[format_name]}"
    assert render(format_name, case).decode() == golden.read_text(encoding="utf-8")


def test_csl_json_renders_in_a_standard_style() -> None:
    items = json.loads(render("csl", *CASES))
    article, chapter, translated = items
    assert [i["type"] for i in items] == ["article-newspaper", "chapter", "chapter"]
    assert article["issued"] == {"date-parts": [[1947, 5, 3]], "raw": "3 May 1947"}
    assert chapter["type"] == "chapter" and chapter["container-title"] == "The State and the Farmers"
    assert chapter["issued"]["date-parts"] == [[1925]]  # a year, no invented month or day
    assert translated["translator"] == [{"family": "Dutt", "given": "Clemans"}]
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    text = "\n".join(rendered)
    assert "Ashdown, R. (1947) “The Mill Strike Spreads to the Valley”, The Weekly Worker, 3 May, p. 4." in text
    assert "Weber, K. (1925) “Chapter II: The Market”, The State and the Farmers." in text
    assert "Lenin, V.I. (1972) “A Letter to the Congress”" in text and "C. Dutt (trans.)" in text
    assert "pp. 291–292" in text and "(Accessed: January 2, 2026)" in text


def test_bibtex_parses_back_with_every_field() -> None:
    library = bibtexparser.parse_string(render("bibtex", *CASES).decode(),
                                        append_middleware=[bibtexparser.middlewares.LatexDecodingMiddleware()])
    assert not library.failed_blocks
    article, chapter, translated = library.entries
    fields = {f.key: f.value for f in article.fields}
    assert article.entry_type == "article"
    assert fields["author"] == "Ashdown, Ruth" and fields["journal"] == "The Weekly Worker"
    assert (fields["volume"], fields["number"], fields["pages"], fields["year"]) == ("XIV", "18", "4", "1947")
    assert fields["month"] == "may" and fields["date"] == "1947-05-03"
    assert fields["url"] == "https://www.marxists.org/archive/ashdown/1947/05/mill3.html"
    assert chapter.entry_type == "incollection"
    assert {f.key: f.value for f in chapter.fields}["booktitle"] == "The State and the Farmers"
    translated_fields = {f.key: f.value for f in translated.fields}
    assert translated_fields["translator"] == "Dutt, Clemans"
    assert translated_fields["pages"] == "291–292"  # written 291--292, decoded by the consumer
    assert len({e.key for e in library.entries}) == 3


def test_ris_parses_back_with_every_field() -> None:
    article, chapter, translated = rispy.load(io.StringIO(render("ris", *CASES).decode()))
    assert article["type_of_reference"] == "NEWS"
    assert article["authors"] == ["Ashdown, Ruth"] and article["secondary_title"] == "The Weekly Worker"
    assert (article["volume"], article["number"], article["start_page"]) == ("XIV", "18", "4")
    assert article["date"] == "1947/05/03/" and article["year"] == "1947"
    assert article["urls"] == ["https://www.marxists.org/archive/ashdown/1947/05/mill3.html"]
    assert chapter["type_of_reference"] == "CHAP" and chapter["year"] == "1925" and chapter["date"] == "1925///"
    assert translated["subsidiary_authors"] == ["Dutt, Clemans"]
    assert (translated["start_page"], translated["end_page"]) == ("291", "292")


def test_marcxml_parses_back_with_pymarc() -> None:
    article, chapter, translated = pymarc.parse_xml_to_array(io.BytesIO(render("marcxml", *CASES)))
    assert article.leader[6:8] == "ab" and chapter.leader[6:8] == "aa"
    assert article["100"]["a"] == "Ashdown, Ruth"
    assert article["245"]["a"] == "The Mill Strike Spreads to the Valley"
    assert article["773"]["t"] == "The Weekly Worker"
    assert article["773"]["g"] == "Vol. XIV, no. 18, (3 May 1947), p. 4"
    assert article["856"]["u"] == "https://www.marxists.org/archive/ashdown/1947/05/mill3.html"
    assert article["008"].data[7:11] == "1947" and article["008"].data[35:38] == "eng"
    assert article["540"]["f"] == "CC-BY-SA-2.0"
    assert chapter["773"]["o"] == "https://www.marxists.org/archive/weber/1925/farmers/index.htm"
    translators = [f["a"] for f in translated.get_fields("700") if f["e"] == "translator"]
    assert translators == ["Dutt, Clemans"]
    deleted = pymarc.parse_xml_to_array(io.BytesIO(
        b'<collection xmlns="' + MARC.encode() + b'">' +
        etree.tostring(marc_deleted({"id": "archive/x/gone.htm"})) + b"</collection>"))[0]
    assert deleted.leader[5] == "d" and deleted["001"].data == "archive/x/gone.htm"


def test_jsonld_expands_to_the_expected_triples() -> None:
    document = json.loads(render("jsonld", *CASES))
    expanded = jsonld.expand(document)  # the context is inline: nothing is fetched
    article = next(n for n in expanded if n["@id"].endswith("mill3.html"))
    assert article["@type"] == [SCHEMA.Article.toPython()]
    assert article[SCHEMA.name.toPython()][0]["@value"] == "The Mill Strike Spreads to the Valley"
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    url = URIRef("https://www.marxists.org/archive/ashdown/1947/05/mill3.html")
    issue = graph.value(url, SCHEMA.isPartOf)
    assert graph.value(issue, SCHEMA.issueNumber) == Literal("18")
    volume = graph.value(issue, SCHEMA.isPartOf)
    assert graph.value(volume, SCHEMA.volumeNumber) == Literal("XIV")
    periodical = graph.value(volume, SCHEMA.isPartOf)
    assert graph.value(periodical, SCHEMA.name) == Literal("The Weekly Worker")
    assert (periodical, None, SCHEMA.Periodical) in graph or graph.value(periodical, URIRef(
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")) == SCHEMA.Periodical
    assert graph.value(url, SCHEMA.license) == Literal("https://www.marxists.org/admin/legal/cc/by-sa.htm")
    chapter = URIRef("https://www.marxists.org/archive/weber/1925/farmers/ch02.htm")
    book = graph.value(chapter, SCHEMA.isPartOf)
    assert graph.value(book, SCHEMA.name) == Literal("The State and the Farmers")
    lenin = URIRef("https://www.marxists.org/archive/lenin/works/1903/jul/30.htm")
    translator = graph.value(lenin, SCHEMA.translator)
    assert graph.value(translator, SCHEMA.name) == Literal("Clemans Dutt")


def test_oai_dc_is_well_formed_in_the_right_namespaces() -> None:
    root = etree.fromstring(render("dc", *CASES))
    records = root.findall(f"{{{OAI_DC}}}dc")
    assert len(records) == 3
    for record in records:
        assert all(child.tag.startswith(f"{{{DC}}}") for child in record)
    article = records[0]
    values = {child.tag.split("}")[1]: child.text for child in reversed(list(article))}
    assert values["title"] == "The Mill Strike Spreads to the Valley"
    assert values["creator"] == "Ashdown, Ruth" and values["date"] == "1947-05-03"
    assert values["identifier"] == "https://www.marxists.org/archive/ashdown/1947/05/mill3.html"
    assert article.findtext(f"{{{DC}}}source").startswith("The Weekly Worker, Vol. XIV No. 18")
    chapter_relations = [e.text for e in records[1].findall(f"{{{DC}}}relation")]
    assert "https://www.marxists.org/archive/weber/1925/farmers/index.htm" in chapter_relations


# MARC 21 Bibliographic 008, position by position (all materials 00-17 and 35-39; 18-34 by material
# type: books for leader/07 a or m, continuing resources for leader/07 b). Values and their meaning
# from the standard: each case is (start, end, expected, what the standard calls it).
MARC_008_ALL = [
    (0, 6, "260102", "date entered on file, yymmdd (the access date of the fixture)"),
    (6, 7, "s", "type of date: single known date"),
    (11, 15, "    ", "date 2: blank for a single date"),
    (15, 18, "xx ", "place of publication: no place, unknown, or undetermined"),
    (35, 38, "eng", "language (MARC code list for languages)"),
    (38, 39, " ", "modified record: not modified"),
    (39, 40, "d", "cataloguing source: other"),
]
MARC_008_BOOK = [
    (18, 22, "    ", "illustrations: no illustrations"), (22, 23, " ", "target audience: unknown or not specified"),
    (23, 24, " ", "form of item: none of the following"), (24, 28, "    ", "nature of contents: none"),
    (28, 29, " ", "government publication: not one"), (29, 30, "|", "conference publication: no attempt to code"),
    (30, 31, "|", "festschrift: no attempt to code"), (31, 32, "|", "index: no attempt to code"),
    (32, 33, " ", "undefined"), (33, 34, "|", "literary form: no attempt to code"),
    (34, 35, " ", "biography: no biographical material"),
]
MARC_008_SERIAL_PART = [
    (18, 19, " ", "frequency: no determinable frequency"), (19, 20, "|", "regularity: no attempt to code"),
    (20, 21, " ", "undefined"), (21, 22, " ", "type of continuing resource: none of the following"),
    (22, 23, " ", "form of original item: none of the following"), (23, 24, " ", "form of item: none of the following"),
    (24, 25, " ", "nature of entire work: not specified"), (25, 28, "   ", "nature of contents: not specified"),
    (28, 29, " ", "government publication: not one"), (29, 30, "|", "conference publication: no attempt to code"),
    (30, 33, "   ", "undefined"), (33, 34, " ", "original alphabet or script: no alphabet or script given"),
    (34, 35, "|", "entry convention: no attempt to code"),
]


@pytest.mark.parametrize(("case", "year", "positions"), [
    (case, year, (start, end, want, meaning))
    for case, year, material in [("article-in-series", "1947", MARC_008_SERIAL_PART),
                                 ("book-chapter", "1925", MARC_008_BOOK),
                                 ("translated-work", "1972", MARC_008_BOOK)]
    for start, end, want, meaning in [*MARC_008_ALL, (7, 11, year, "date 1"), *material]
], ids=lambda value: value if isinstance(value, str) else f"{value[0]:02d}-{value[1] - 1:02d}"
    if isinstance(value, tuple) else None)
def test_marc_008_position_by_position(case: str, year: str, positions: tuple[int, int, str, str]) -> None:
    start, end, want, meaning = positions
    record = pymarc.parse_xml_to_array(io.BytesIO(render("marcxml", case)))[0]
    field = record["008"].data
    assert len(field) == 40
    assert field[start:end] == want, f"008/{start:02d}-{end - 1:02d} ({meaning})"


def test_marc_008_for_a_work_without_a_date() -> None:
    undated = {**work("book-chapter"), "date": None, "citation": None}
    record = pymarc.parse_xml_to_array(io.BytesIO(b"".join(export("marcxml", [undated], []))))[0]
    field = record["008"].data
    assert len(field) == 40 and field[6] == "n" and field[7:15] == "uuuuuuuu"  # dates unknown


def _exported(work: dict[str, Any]) -> dict[str, Any]:
    """What each format says of one work's type and date, read back by that format's own reader."""
    csl = json.loads(b"".join(export("csl", [work])))[0]
    bib = bibtexparser.parse_string(b"".join(export("bibtex", [work])).decode()).entries[0]
    ris = rispy.loads(b"".join(export("ris", [work])).decode())[0]
    node = json.loads(b"".join(export("jsonld", [work])))["@graph"][0]
    dc = etree.fromstring(b"".join(export("dc", [work])))
    marc = pymarc.parse_xml_to_array(io.BytesIO(b"".join(export("marcxml", [work]))))[0]
    return {"csl": (csl["type"], csl["issued"]["date-parts"][0]), "bibtex": (bib.entry_type, bib["date"]),
            "ris": (ris["type_of_reference"], ris["year"]), "jsonld": (node["@type"], node["datePublished"]),
            "dc": dc.findtext(f".//{{{DC}}}date"), "marc": (marc.leader[7], marc["264"]["c"])}


def test_every_format_gives_a_work_the_same_date_and_a_periodicals_review_in_two_parts_is_an_article() -> None:
    # A review printed in a newspaper, on a contents page of its own that leads to its two parts:
    # written on one day, printed on another.
    review = {"id": "archive/x/review/index.htm", "url": "https://www.marxists.org/archive/x/review/index.htm",
              "kind": "toc", "language": "en", "title": "A Review of a Book", "author": {"name": "Ann Example"},
              "date": {"raw": "3 March 1931", "value": "1931-03-03", "precision": "day"},
              "citation": {"raw": "The Daily Paper, 10 March 1931", "container_title": "The Daily Paper",
                           "date": {"raw": "10 March 1931", "value": "1931-03-10", "precision": "day"}},
              "credits": [], "licence": {}, "text": "", "word_count": 0, "provenance": {}}
    said = _exported(review)
    assert said == {"csl": ("article-newspaper", [1931, 3, 10]), "bibtex": ("article", "1931-03-10"),
                    "ris": ("NEWS", "1931"), "jsonld": ("Article", "1931-03-10"), "dc": "1931-03-10",
                    "marc": ("b", "10 March 1931")}  # (264 $c: the date as printed)
    book = {**review, "citation": {"raw": "London: A Press, 1931", "container_title": None,
                                   "date": {"raw": "1931", "value": "1931", "precision": "year"}}}
    assert _exported(book)["csl"][0] == "book" and _exported(book)["jsonld"][0] == "Book"
