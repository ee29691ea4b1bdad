"""Archival capture: what a crawl fetched is kept as WARC (read back here with warcio, and indexed by
an independent tool, cdxj-indexer); a dataset is made again from it with no network
(`colophon reextract`), and a crawl harvests WARC files another tool wrote (`wget --warc-file`)."""

from __future__ import annotations

import collections
import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from output.warc import IDENTICAL, NOT_MODIFIED
from tests import altered, synthetic
from tests.support import REPO, origin, origin_stats, problems, published, read_jsonl, run_colophon, unresolved_captures

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0",
        "--progress-every", "0")
WGET = shutil.which("wget")


def _crawl(base: str, out: Path, *extra: str) -> dict[str, Any]:
    """A crawl; returns its run report."""
    result = run_colophon("crawl", base, "--out", str(out), *FAST, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return _last_report(out)


def _last_report(out: Path) -> dict[str, Any]:
    run = json.loads((out / "datapackage.json").read_text())["runs"][-1]["id"]
    report: dict[str, Any] = json.loads((out / "runs" / f"{run}.json").read_text())
    return report


def _altered_crawl(base: str, out: Path, *extra: str) -> None:
    """A crawl whose pages are read by the altered extractor (tests/altered.py), as Scrapy runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "archive", "-a", f"start={base}", "-a", "scope=site",
         "-s", f"COLOPHON_OUT={out}", "-s", "COLOPHON_EXTRACTOR=tests.altered:harvest_page",
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=ERROR",
         "-s", "COLOPHON_REVISIT_MIN=0", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def _records(path: Path) -> list[Any]:
    with open(path, "rb") as stream:
        return [(record, record.content_stream().read()) for record in ArchiveIterator(stream)]


def _warc_files(out: Path) -> list[Path]:
    return sorted((out / "warc").glob("*.warc.gz"))


def _by_run(out: Path) -> dict[str, list[Any]]:
    """Each run's WARC records (with their decoded payloads), by run id."""
    runs: dict[str, list[Any]] = collections.defaultdict(list)
    for path in _warc_files(out):
        runs[path.name.split("-")[1]] += _records(path)
    return runs


def _file_of(root: Path, url: str, base: str) -> Path:
    """The file the origin serves for a URL (a folder answers with its index page)."""
    path = root / url[len(base):]
    return path / "index.htm" if path.is_dir() else path


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An archive crawled twice (the second run all 304s), the same archive captured by wget, and a
    dataset made by the altered extractor; the origin is down once the fixture has them."""
    folder = tmp_path_factory.mktemp("warc")
    root = synthetic.build(folder / "site", authors=2, works=8)
    out = folder / "dataset"
    with origin(root) as base:
        first = _crawl(base, out)
        served = dict(origin_stats(base)["requests"])
        second = _crawl(base, out, "--revalidate")
        made_by_altered = folder / "altered"
        _altered_crawl(base, made_by_altered)
        capture = None
        if WGET is not None:
            capture = folder / "capture"
            result = subprocess.run(
                [WGET, "--recursive", "--level=inf", "--no-verbose", f"--warc-file={capture}", "--no-warc-keep-log",
                 f"--directory-prefix={folder / 'wget'}", base, base + "admin/js/data/authors.json"],
                capture_output=True, text=True, timeout=300)
            assert (folder / "capture.warc.gz").is_file(), result.stderr
        bare = folder / "bare"
        _crawl(base, bare, "--no-warc")
    yield {"root": root, "base": base, "out": out, "first": first, "second": second, "served": served,
           "altered": made_by_altered, "capture": folder / "capture.warc.gz" if capture else None,
           "bare": bare, "records": published(out)}


def test_every_response_is_kept_as_the_origin_served_it(captured: dict[str, Any]) -> None:
    runs = _by_run(captured["out"])
    first = runs[captured["first"]["run"]]
    assert first[0][0].rec_type == "warcinfo"
    responses = {r.rec_headers.get_header("WARC-Target-URI"): (r, body) for r, body in first
                 if r.rec_type == "response"}
    requests = {r.rec_headers.get_header("WARC-Target-URI") for r, _ in first if r.rec_type == "request"}
    base = captured["base"]
    served = {base + path.lstrip("/") for path in captured["served"] if path != "/_stats"}
    assert set(responses) == served == requests  # every request the origin answered, and nothing else
    for url, (record, body) in responses.items():
        status = int(record.http_headers.get_statuscode())
        concurrent = [r for r, _ in first if r.rec_type == "request" and r.rec_headers.get_header(
            "WARC-Concurrent-To") == record.rec_headers.get_header("WARC-Record-ID")]
        assert len(concurrent) == 1 and concurrent[0].rec_headers.get_header("WARC-Target-URI") == url
        if status == 200 and not url.endswith("/robots.txt"):
            assert body == _file_of(captured["root"], url, base).read_bytes(), url
    counts = captured["first"]["counts"]
    assert counts["pages"] == counts["warc_records"] == len(responses)  # (every response Scrapy received)


def test_each_warc_member_is_one_gzip_record_and_the_datapackage_lists_each_file(captured: dict[str, Any]) -> None:
    out = captured["out"]
    files = _warc_files(out)
    assert len(files) == 2  # one per run
    package = json.loads((out / "datapackage.json").read_text())
    listed = {r["path"]: r for r in package["resources"] if r["format"] == "warc"}
    assert set(listed) == {f"warc/{path.name}" for path in files}
    for path in files:
        data = path.read_bytes()
        assert listed[f"warc/{path.name}"]["bytes"] == len(data)
        assert listed[f"warc/{path.name}"]["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream)
            offsets = [iterator.get_record_offset() for _ in iterator]
        assert listed[f"warc/{path.name}"]["records"] == len(offsets)
        for start, end in zip(offsets, [*offsets[1:], len(data)], strict=True):  # each a gzip member of its own
            assert gzip.decompress(data[start:end]).startswith(b"WARC/1.1\r\n")
    assert problems(out) == []
    assert unresolved_captures(out) == []


def test_a_304_is_a_revisit_record_that_names_the_response_it_stands_for(captured: dict[str, Any]) -> None:
    runs = _by_run(captured["out"])
    originals = {r.rec_headers.get_header("WARC-Record-ID"): r for r, _ in runs[captured["first"]["run"]]
                 if r.rec_type == "response"}
    second = runs[captured["second"]["run"]]
    revisits = [r for r, _ in second if r.rec_type == "revisit"]
    not_modified = [r for r in revisits if r.rec_headers.get_header("WARC-Profile") == NOT_MODIFIED]
    assert all(int(r.http_headers.get_statuscode()) == 304 for r in not_modified)
    # Every page asked again answered 304, and the catalogue too.
    assert len(not_modified) == captured["second"]["counts"]["not_modified"] + 1
    for revisit in not_modified:
        original = originals[revisit.rec_headers.get_header("WARC-Refers-To")]
        assert original.rec_headers.get_header("WARC-Target-URI") == revisit.rec_headers.get_header(
            "WARC-Refers-To-Target-URI") == revisit.rec_headers.get_header("WARC-Target-URI")
        assert original.rec_headers.get_header("WARC-Date") == revisit.rec_headers.get_header("WARC-Refers-To-Date")
        assert original.rec_headers.get_header("WARC-Payload-Digest") == revisit.rec_headers.get_header(
            "WARC-Payload-Digest")
    # robots.txt has no validators: served again whole, it is the same payload as before.
    identical = [r for r in revisits if r.rec_headers.get_header("WARC-Profile") == IDENTICAL]
    assert [r.rec_headers.get_header("WARC-Target-URI") for r in identical] == [captured["base"] + "robots.txt"]
    assert originals[identical[0].rec_headers.get_header("WARC-Refers-To")]


def test_an_independent_indexer_lists_every_fetched_url(captured: dict[str, Any]) -> None:
    indexer = shutil.which("cdxj-indexer", path=str(Path(sys.executable).parent))
    if indexer is None:
        pytest.skip("cdxj-indexer is a test dependency (pyproject: test)")
    files = _warc_files(captured["out"])
    result = subprocess.run([indexer, *map(str, files)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line.split(" ", 2)[2]) for line in result.stdout.splitlines() if line.strip()]
    indexed = collections.Counter((line["url"], line.get("mime")) for line in lines)
    base = captured["base"]
    fetched = {base + path.lstrip("/") for path in captured["served"] if path != "/_stats"}
    assert {url for url, _ in indexed} == fetched
    assert sum(count for (_, mime), count in indexed.items() if mime == "warc/revisit") == len(
        [r for r, _ in _by_run(captured["out"])[captured["second"]["run"]] if r.rec_type == "revisit"])


def test_no_warc_keeps_none(captured: dict[str, Any]) -> None:
    bare = captured["bare"]
    assert not (bare / "warc").exists()
    package = json.loads((bare / "datapackage.json").read_text())
    assert not [r for r in package["resources"] if r["format"] == "warc"]
    assert all("warc" not in r["provenance"] for r in read_jsonl(bare / "works.jsonl"))
    assert published(bare) == captured["records"]  # the same records, apart from where bytes were kept


def test_reextract_makes_the_records_of_the_real_extractor_offline(captured: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "altered"
    shutil.copytree(captured["altered"], out, symlinks=True)
    titles = [r["title"] for r in read_jsonl(out / "works.jsonl")]
    assert titles and all(t.endswith(altered.MARK) for t in titles)
    files_before = _warc_files(out)
    result = run_colophon("reextract", str(out), "--workers", "1")  # the origin is down: nothing can be fetched
    assert result.returncode == 0, result.stdout + result.stderr
    assert published(out) == captured["records"]
    report = _last_report(out)
    assert report["changes"] == {"added": 0, "modified": len(titles), "removed": 0,
                                 "unchanged": report["changes"]["unchanged"]}
    assert report["counts"]["kept_after_failure"] == 0 and report["counts"]["not_captured"] == 0
    assert report["options"]["reextract"] is True
    change_set = read_jsonl(out / "changes" / f"{report['run']}.jsonl")
    assert {c["op"] for c in change_set} == {"modified"} and len(change_set) == len(titles)
    assert _warc_files(out) == files_before  # nothing fetched, nothing written
    assert unresolved_captures(out) == []
    assert problems(out) == []


def test_reextract_refuses_a_dataset_without_warc(captured: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "bare"
    shutil.copytree(captured["bare"], out, symlinks=True)
    result = run_colophon("reextract", str(out))
    assert result.returncode == 2
    assert "keeps no WARC files" in result.stderr and "Traceback" not in result.stderr


def test_a_refresh_after_an_extractor_change_reads_304_pages_again_from_their_capture(tmp_path: Path) -> None:
    root = synthetic.build(tmp_path / "site", authors=1, works=4)
    out = tmp_path / "out"
    with origin(root) as base:
        _altered_crawl(base, out)
        works = len(read_jsonl(out / "works.jsonl"))
        before = origin_stats(base)
        report = _crawl(base, out, "--revalidate")
        after = origin_stats(base)
        assert after["conditional"] - before["conditional"] == report["counts"]["not_modified"] + 1  # + catalogue
        asked = sum(after["requests"].values()) - sum(before["requests"].values())
        # All conditional, but robots.txt and the pages that were missing (asked whole, in case they are back).
        assert asked == after["conditional"] - before["conditional"] + 1 + report["counts"]["missing"]
        assert report["counts"]["reextracted"] == report["counts"]["not_modified"]
        assert report["changes"]["modified"] == works
        assert not [r["title"] for r in read_jsonl(out / "works.jsonl") if r["title"].endswith(altered.MARK)]
        again = _crawl(base, out, "--revalidate")  # made by this extractor now: a 304 is a 304
    assert again["counts"]["reextracted"] == 0 and again["changes"]["modified"] == 0
    assert unresolved_captures(out) == []


@pytest.mark.skipif(WGET is None, reason="wget (Debian's wget) writes the independent WARC capture")
def test_a_wget_capture_gives_the_records_of_the_live_crawl(captured: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "from-warc"
    report = _crawl(captured["base"], out, "--from-warc", str(captured["capture"]))  # the origin is down
    assert published(out) == captured["records"]
    assert report["counts"]["not_captured"] == 0
    names = {r["provenance"]["warc"]["file"] for r in read_jsonl(out / "works.jsonl")}
    assert names == {"capture.warc.gz"}
    assert not (out / "warc").exists()  # nothing was fetched


def test_from_warc_refuses_a_file_that_is_no_warc(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a capture\n")
    result = run_colophon("crawl", "http://127.0.0.1:9/", "--out", str(tmp_path / "out"),
                          "--from-warc", str(tmp_path / "notes.txt"))
    assert result.returncode == 2 and "not a WARC file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def _without(source: Path, target: Path, url: str) -> None:
    """A copy of a WARC file without the records of one URL."""
    from warcio.warcwriter import WARCWriter

    with open(source, "rb") as stream, open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for record in ArchiveIterator(stream):
            if record.rec_headers.get_header("WARC-Target-URI") != url:
                writer.write_record(record)


def test_a_capture_that_lacks_an_index_page_removes_nothing_below_it(captured: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    shutil.copytree(captured["out"], out, symlinks=True)
    partial = tmp_path / "partial.warc.gz"
    index_page = captured["base"] + "archive/writer0/index.htm"
    _without(_warc_files(captured["out"])[0], partial, index_page)
    report = _crawl(captured["base"], out, "--from-warc", str(partial))
    assert report["counts"]["not_captured"] == 1
    assert report["changes"]["removed"] == 0 and report["changes"]["modified"] == 0
    assert published(out) == captured["records"]  # the index page and every work it lists kept


def test_reextract_of_a_local_folder_crawl_reads_no_folder(tmp_path: Path) -> None:
    mirror = synthetic.build(tmp_path / "mirror", authors=1, works=3)
    out = tmp_path / "out"
    result = run_colophon("crawl", str(mirror), "--out", str(out), *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    before, missing = published(out), _last_report(out)["counts"]["missing"]
    assert unresolved_captures(out) == []  # resource records, read back
    shutil.rmtree(mirror)  # the folder is gone: only the WARC files hold the pages
    result = run_colophon("reextract", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    report = _last_report(out)
    # A file that was missing has no record to read again (nor had it a record): the only pages not read.
    assert missing > 0 and report["counts"]["not_captured"] == missing
    assert report["changes"] == {"added": 0, "modified": 0, "removed": 0, "unchanged": report["changes"]["unchanged"]}
    assert published(out) == before


@pytest.mark.skipif(WGET is None, reason="wget (Debian's wget) writes the independent WARC capture")
def test_a_damaged_capture_is_read_up_to_the_damage_and_said_so(captured: dict[str, Any], tmp_path: Path) -> None:
    data = captured["capture"].read_bytes()
    with open(captured["capture"], "rb") as stream:
        iterator = ArchiveIterator(stream)
        offsets = [iterator.get_record_offset() for _ in iterator]
    middle = offsets[len(offsets) // 2]
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(data[:middle] + b"\x1f\x8b\x08\x00 junk where a record was" + data[middle:])
    result = run_colophon("crawl", captured["base"], "--out", str(tmp_path / "out"), *FAST, "--from-warc",
                          str(damaged))
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "damaged.warc.gz: unreadable after offset" in result.stderr
    report = _last_report(tmp_path / "out")
    assert report["counts"]["warc_unreadable"] == 1
    assert report["counts"]["not_captured"] > 0  # what came after the damage


def test_a_replayed_page_keeps_the_size_limit_and_a_record_without_a_status_is_a_reject(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    base = "http://archive.test/"
    page = (synthetic.PAGE.format(author="Ann Example", title="A Long Work", day=1, month="May", year=1940,
                                  paper="Paper", vol=1, issue=2, page=3, n=1, text="Text. " * 2000)).encode()
    capture = tmp_path / "made.warc.gz"
    with open(capture, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        index = (f'<html><body><h1>Index</h1><p><a href="{base}archive/a/long.htm">Long</a></p>'
                 f'<p><a href="{base}archive/a/bad.htm">Bad</a></p></body></html>').encode()
        for url, status, body in ((base + "archive/a/index.htm", "200 OK", index),
                                  (base + "archive/a/long.htm", "200 OK", page),
                                  (base + "archive/a/bad.htm", "abc", b"<html></html>")):
            http = StatusAndHeaders(status, [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=http))
    result = run_colophon("crawl", base + "archive/a/index.htm", "--out", str(tmp_path / "out"), *FAST,
                          "--from-warc", str(capture), "--max-page-bytes", "8000")
    assert result.returncode == 1, result.stdout + result.stderr
    rejects = {r["url"]: r["code"] for r in read_jsonl(tmp_path / "out" / "rejects.jsonl")}
    assert rejects == {base + "archive/a/long.htm": "too_large", base + "archive/a/bad.htm": "warc_unreadable"}
