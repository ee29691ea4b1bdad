"""The OAI-PMH repository harvested by a real client (Sickle), before and after a refresh; protocol
errors; `colophon export --since`."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymarc
import pytest
from lxml import etree
from sickle import Sickle

from tests import synthetic
from tests.support import REPO, origin, read_jsonl, run_colophon

pytestmark = pytest.mark.long

OAI = "{http://www.openarchives.org/OAI/2.0/}"
CRAWL = ("--delay", "0", "--concurrency", "8", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")


@contextlib.contextmanager
def repository(folder: Path, page_size: int = 25) -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", str(folder), "--port", "0",
                                "--page-size", str(page_size)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r" at (http://\S+/oai) ", line)
        assert found, line
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def oai_error(base: str, query: str) -> str | None:
    with urllib.request.urlopen(f"{base}?{query}", timeout=10) as response:
        root = etree.fromstring(response.read())
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str]]:
    tmp = tmp_path_factory.mktemp("oai")
    site = synthetic.build(tmp / "site", authors=3, works=40)
    out = tmp / "out"
    with origin(site) as base:
        result = run_colophon("crawl", base, "--out", str(out), *CRAWL)
        assert result.returncode == 0, result.stdout + result.stderr
        yield site, out, base


def test_harvest_then_refresh_then_incremental_harvest(dataset: tuple[Path, Path, str]) -> None:
    site, out, base = dataset
    works = {w["id"] for w in read_jsonl(out / "works.jsonl")}
    assert len(works) > 120
    with repository(out) as url:
        sickle = Sickle(url)
        identify = sickle.Identify()
        assert identify.deletedRecord == "persistent" and identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
        records = list(sickle.ListRecords(metadataPrefix="oai_dc"))  # follows resumption tokens
        assert len(records) == len(works) > 25
        assert {r.header.identifier.removeprefix("oai:colophon.invalid:") for r in records} == works
        first = next(r for r in records if r.header.identifier.endswith(synthetic.work_path("writer1", 3)))
        assert first.metadata["title"] == ["Article 3 by Writer1 Example"]
        assert first.metadata["creator"] == ["Example, Writer1"]
        latest = max(r.header.datestamp for r in records)
        in_set = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="author:writer2"))
        assert len(in_set) == 40 and all("/writer2/" in h.identifier for h in in_set)
        assert len(list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="periodical:paper-0"))) == 40
        assert "author:writer0" in {s.setSpec for s in sickle.ListSets()}
        marc = sickle.GetRecord(identifier=f"oai:colophon.invalid:{synthetic.work_path('writer0', 1)}",
                                metadataPrefix="marc21")
        parsed = pymarc.parse_xml_to_array(io.BytesIO(
            etree.tostring(marc.xml.find(".//{http://www.loc.gov/MARC21/slim}record"))))[0]
        assert parsed["245"]["a"] == "Article 1 by Writer0 Example"
        assert {f.metadataPrefix for f in sickle.ListMetadataFormats()} == {"oai_dc", "marc21"}

        # A refresh: two works change, one disappears, the rest stay as they are.
        time.sleep(1.1)  # datestamps have one-second granularity
        changed = [synthetic.work_path("writer0", 4), synthetic.work_path("writer2", 9)]
        for path in changed:
            page = site / path
            page.write_text(page.read_text().replace("second paragraph", "corrected paragraph"))
        gone = synthetic.work_path("writer1", 7)
        (site / gone).unlink()
        result = run_colophon("crawl", base, "--out", str(out), *CRAWL)
        assert result.returncode == 0, result.stdout + result.stderr
        since = (dt.datetime.strptime(latest, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(seconds=1)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        fresh = list(Sickle(url).ListRecords(**{"metadataPrefix": "oai_dc", "from": since}))
        live = {r.header.identifier.removeprefix("oai:colophon.invalid:") for r in fresh if not r.header.deleted}
        deleted = {r.header.identifier.removeprefix("oai:colophon.invalid:") for r in fresh if r.header.deleted}
        assert live == set(changed)
        assert deleted == {gone}
        # Deleted records persist: a full harvest still reports it, as deleted.
        everything = list(Sickle(url).ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=False))
        assert [h.deleted for h in everything if h.identifier.endswith(gone)] == [True]


@pytest.mark.parametrize(("query", "code"), [
    ("", "badVerb"),
    ("verb=Explode", "badVerb"),
    ("verb=Identify&verb=Identify", "badVerb"),
    ("verb=Identify&extra=1", "badArgument"),
    ("verb=ListRecords", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2020-01-01T00:00:00Z", "badArgument"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2030-01-02&until=2030-01-01", "badArgument"),
    ("verb=ListRecords&metadataPrefix=mods", "cannotDisseminateFormat"),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2999-01-01", "noRecordsMatch"),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=author:nobody", "noRecordsMatch"),
    ("verb=ListRecords&resumptionToken=garbage", "badResumptionToken"),
    ("verb=ListRecords&resumptionToken=x&metadataPrefix=oai_dc", "badArgument"),
    ("verb=GetRecord&identifier=oai:colophon.invalid:nope.htm&metadataPrefix=oai_dc", "idDoesNotExist"),
    ("verb=ListMetadataFormats&identifier=oai:elsewhere:x", "idDoesNotExist"),
    ("verb=Identify", None),
])
def test_protocol_errors(dataset: tuple[Path, Path, str], query: str, code: str | None) -> None:
    _, out, _ = dataset
    with repository(out) as url:
        assert oai_error(url, query) == code


def test_export_since_a_run(dataset: tuple[Path, Path, str], tmp_path: Path) -> None:
    site, out, base = dataset
    import json

    runs = [r["id"] for r in json.loads((out / "datapackage.json").read_text())["runs"]]
    page = site / synthetic.work_path("writer2", 20)
    page.write_text(page.read_text().replace("second paragraph", "amended paragraph"))
    gone = synthetic.work_path("writer2", 21)
    (site / gone).unlink()
    assert run_colophon("crawl", base, "--out", str(out), *CRAWL).returncode == 0
    target = tmp_path / "delta.xml"
    result = run_colophon("export", str(out), "--format", "marcxml", "--since", runs[-1], "--out", str(target))
    assert result.returncode == 0, result.stderr
    records = pymarc.parse_xml_to_array(str(target))
    assert {(r.leader[5], r["001"].data) for r in records} == {
        ("n", synthetic.work_path("writer2", 20)), ("d", gone)}
    csl = run_colophon("export", str(out), "--format", "csl", "--since", runs[-1])
    assert [item["id"] for item in json.loads(csl.stdout)] == [synthetic.work_path("writer2", 20)]
    assert "1 removed records not expressible in csl" in csl.stderr
    everything = run_colophon("export", str(out), "--format", "ris")
    assert everything.stdout.count("ER  - ") == len(read_jsonl(out / "works.jsonl"))
    unknown = run_colophon("export", str(out), "--format", "csl", "--since", "no-such-run")
    assert unknown.returncode == 2 and "no published run" in unknown.stderr


def _identify(repository: Any) -> etree._Element:
    return etree.fromstring(repository.respond(b"verb=Identify", "http://127.0.0.1/oai"))


def test_identifiers_name_the_archives_domain_or_the_one_given(tmp_path: Path) -> None:
    from output.oai import Repository

    site = synthetic.build(tmp_path / "site", authors=1, works=2)
    out = tmp_path / "out"
    with origin(site) as base:
        result = run_colophon("crawl", base, "--out", str(out), *CRAWL, "--base-url", "https://www.marxists.org/")
    assert result.returncode == 0, result.stdout + result.stderr
    work = read_jsonl(out / "works.jsonl")[0]
    scheme = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    for given, domain in ((None, "marxists.org"), ("archive.example.org", "archive.example.org")):
        repository = Repository(out, repository_id=given)
        identify = _identify(repository)
        assert identify.findtext(f".//{scheme}repositoryIdentifier") == domain
        assert identify.findtext(f".//{scheme}sampleIdentifier").startswith(f"oai:{domain}:")
        answer = etree.fromstring(repository.respond(
            f"verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:{domain}:{work['id']}".encode(), "http://x/oai"))
        assert answer.find(f"{OAI}error") is None
        assert answer.findtext(f".//{OAI}header/{OAI}identifier") == f"oai:{domain}:{work['id']}"
    refused = run_colophon("serve", str(out), "--repository-identifier", "not a domain", "--port", "0")
    assert refused.returncode == 2 and "--repository-identifier" in refused.stderr
    assert "Traceback" not in refused.stderr


# The oai-identifier scheme's own pattern (oai-identifier.xsd, OAI-PMH 2.0 guidelines): a domain,
# then a local identifier of URI characters (RFC 2396 uric), "%" only as the start of an escape.
OAI_IDENTIFIER = re.compile(r"oai:[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+:[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+")


def test_an_id_with_spaces_letters_and_percent_signs_is_an_identifier_as_the_scheme_writes_it(
        tmp_path: Path) -> None:
    """A page whose path holds a space, a non-ASCII letter and a "%" (hand-made pages have them) is
    named by its %-escaped id, which harvests and GetRecord take back to the same record."""
    from output.oai import Repository

    site = synthetic.build(tmp_path / "site", authors=1, works=2)
    folder = site / "archive" / "writer0"
    (folder / "1930" / "01" / "w0.htm").rename(folder / "1930" / "01" / "Café notes 100%.htm")
    index = folder / "index.htm"
    escaped_path = "1930/01/Caf%C3%A9%20notes%20100%25.htm"
    index.write_text(index.read_text().replace('href="1930/01/w0.htm"', f'href="{escaped_path}"'))
    out = tmp_path / "out"
    with origin(site) as base:
        result = run_colophon("crawl", base, "--out", str(out), *CRAWL, "--base-url", "https://www.marxists.org/")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = {work["id"] for work in read_jsonl(out / "works.jsonl")}
    assert "archive/writer0/1930/01/Café notes 100%.htm" in ids
    repository = Repository(out)
    listed = etree.fromstring(repository.respond(b"verb=ListIdentifiers&metadataPrefix=oai_dc", "http://x/oai"))
    identifiers = [element.text for element in listed.iter(f"{OAI}identifier")]
    assert len(identifiers) == len(ids)  # (works are its records)
    assert all(OAI_IDENTIFIER.fullmatch(identifier or "") for identifier in identifiers), identifiers
    escaped = f"oai:marxists.org:archive/writer0/{escaped_path}"
    assert escaped in identifiers
    answer = etree.fromstring(repository.respond(
        f"verb=GetRecord&metadataPrefix=oai_dc&identifier={escaped.replace('%', '%25')}".encode(), "http://x/oai"))
    assert answer.find(f"{OAI}error") is None
    assert answer.findtext(f".//{OAI}header/{OAI}identifier") == escaped
    assert "Caf%C3%A9" in (answer.findtext(".//{http://purl.org/dc/elements/1.1/}identifier") or "")
