"""A mirror that cites the archive (`colophon crawl --base-url`): crawled from a mirror on another
address, or from a local copy of its folder, the archive gives the records a crawl of the archive
itself gives, every record and every export citing the archive's address, and each record's
provenance naming where it was actually fetched from."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import synthetic
from tests.support import origin, read_jsonl, run_colophon, stable

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0",
        "--progress-every", "0")
FORMATS = ("csl", "bibtex", "ris", "dc", "jsonld", "marcxml")
RECORD_FILES = ("works", "indexes", "rejects")


def _records(out: Path) -> dict[str, list[dict[str, Any]]]:
    from output.snapshot import Snapshot

    snapshot = Snapshot.open(out)
    return {name: read_jsonl(snapshot.path(f"{name}.jsonl")) for name in RECORD_FILES}


def _cited(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """The records apart from their provenance's account of the fetch (when, where, and what an
    HTTP server said of it: a folder has no status, ETag nor Last-Modified): what was read stays."""
    def strip(record: dict[str, Any]) -> str:
        record = stable(record)
        if isinstance(record.get("provenance"), dict):
            record["provenance"] = {k: record["provenance"][k]
                                    for k in ("content_sha256", "encoding", "extractor_version")}
        return json.dumps(record, sort_keys=True)

    return {name: sorted(map(strip, rows)) for name, rows in records.items()}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One archive folder served twice: as the archive itself and as a mirror of it; the archive's
    crawl, for reference."""
    folder = tmp_path_factory.mktemp("mirror")
    root = synthetic.build(folder / "site", authors=2, works=12)
    with origin(root) as archive_base, origin(root) as mirror_base:
        out = folder / "archive"
        result = run_colophon("crawl", archive_base, "--out", str(out), *FAST)
        assert result.returncode == 0, result.stdout + result.stderr
        yield {"root": root, "base": archive_base, "mirror": mirror_base, "records": _records(out)}


def test_a_mirror_crawled_with_the_archives_base_url_gives_the_archives_records(
        archive: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = run_colophon("crawl", archive["mirror"], "--out", str(out), *FAST, "--base-url", archive["base"])
    assert result.returncode == 0, result.stdout + result.stderr
    records = _records(out)
    assert len(records["works"]) > 20
    assert _cited(records) == _cited(archive["records"])
    for record in records["works"] + records["indexes"]:
        assert record["url"].startswith(archive["base"])
        assert record["provenance"]["fetched_from"] == archive["mirror"] + record["url"][len(archive["base"]):]
    entries = [entry["url"] for index in records["indexes"] for entry in index["entries"]]
    assert sum(url.startswith(archive["base"]) for url in entries) > 20
    assert not any(url.startswith(archive["mirror"]) for url in entries)  # the rest link elsewhere
    # The archive's own crawl fetched each page at the address it cites: nothing to record there.
    assert all("fetched_from" not in r["provenance"] for r in archive["records"]["works"])


def test_a_local_copy_crawled_with_the_archives_base_url_gives_the_archives_records(
        archive: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "folder"
    result = run_colophon("crawl", str(archive["root"]), "--out", str(out), *FAST, "--base-url", archive["base"])
    assert result.returncode == 0, result.stdout + result.stderr
    records = _records(out)
    assert _cited(records) == _cited(archive["records"])
    assert all(r["provenance"]["fetched_from"].startswith("file://") for r in records["works"])


def test_every_export_of_a_mirror_crawl_cites_the_archive(archive: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = run_colophon("crawl", archive["mirror"], "--out", str(out), *FAST, "--base-url", archive["base"])
    assert result.returncode == 0, result.stdout + result.stderr
    addresses = re.compile(r"(?:https?|file)://[^\s\"'<>}]+")
    for form in FORMATS:
        exported = run_colophon("export", str(out), "--format", form)
        assert exported.returncode == 0, exported.stderr
        found = addresses.findall(exported.stdout)
        ours = [url for url in found if url.startswith(("http://127.0.0.1", "file://"))]
        assert ours, form  # the format carries the works' addresses
        assert all(url.startswith(archive["base"]) for url in ours), (form, [u for u in ours
                                                                           if not u.startswith(archive["base"])][:3])


@pytest.mark.parametrize("url", ["ftp://www.marxists.org/", "https://user:pw@www.marxists.org/",
                                 "https://www.marxists.org/?x=1", "www.marxists.org"])
def test_a_base_url_that_is_not_an_archives_address_is_refused(url: str, tmp_path: Path) -> None:
    result = run_colophon("crawl", "--sample", "--out", str(tmp_path / "out"), "--base-url", url, timeout=60)
    assert result.returncode == 2 and "--base-url must" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
