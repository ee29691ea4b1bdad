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
