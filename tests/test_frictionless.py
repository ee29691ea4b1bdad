"""The dataset's `datapackage.json` is a Frictionless Data Package that Frictionless itself
(`frictionless validate`) accepts: after a first crawl, after a refresh that published a change
set (whose resource name comes from a run id), and after compaction; and that it refuses once a
published file is altered (the sizes and hashes it lists are checked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import synthetic
from tests.support import origin, run_colophon

frictionless = pytest.importorskip("frictionless", reason="frictionless is a test dependency (pyproject: test)")
FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0",
        "--progress-every", "0")


# Frictionless's gzip loader leaves the file it wrapped open once a `.warc.gz` resource is checked
# (frictionless/system/loader.py, read_byte_stream_decompress): a warning about its own handles.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning",
                                        "ignore::ResourceWarning")


def _report(out: Path) -> Any:
    return frictionless.validate(str(out / "datapackage.json"))


def _errors(report: Any) -> list[str]:
    return [f"{task.name}: {error.type}: {error.message}" for task in report.tasks for error in task.errors]


def _crawl(base: str, out: Path, *accepted: int) -> None:
    result = run_colophon("crawl", base, "--out", str(out), *FAST)
    assert result.returncode in (accepted or (0,)), result.stdout + result.stderr


def test_the_datapackage_passes_frictionless_validate_through_refreshes_and_compaction(tmp_path: Path) -> None:
    root = synthetic.build(tmp_path / "site", authors=2, works=6)
    out = tmp_path / "out"
    with origin(root) as base:
        _crawl(base, out)
        report = _report(out)
        assert report.valid, _errors(report)
        synthetic.edit_between_runs(root)
        _crawl(base, out, 0, 1)
    package = json.loads((out / "datapackage.json").read_text())
    changes = [r for r in package["resources"] if str(r["path"]).startswith("changes/")]
    assert len(changes) == 2 and all(r["name"] == r["name"].lower() for r in changes)
    records = [r for r in package["resources"] if r["format"] == "jsonl"]
    assert all((out / r["jsonschema"]).is_file() for r in records)  # the JSON Schemas stay
    warcs = [r for r in package["resources"] if r["format"] == "warc"]
    assert len(warcs) == 2 and all(r["name"] == r["name"].lower() for r in warcs)  # one per run, its bytes checked
    report = _report(out)
    assert report.valid, _errors(report)
    assert {task.name for task in report.tasks} >= {"works", "indexes", "rejects", "other", "tombstones",
                                                     *(r["name"] for r in warcs)}
    compacted = run_colophon("compact", str(out), "--before", package["runs"][-1]["id"])
    assert compacted.returncode == 0, compacted.stdout + compacted.stderr
    report = _report(out)
    assert report.valid, _errors(report)


def test_frictionless_refuses_a_dataset_whose_published_file_was_altered(tmp_path: Path) -> None:
    root = synthetic.build(tmp_path / "site", authors=1, works=3)
    out = tmp_path / "out"
    with origin(root) as base:
        _crawl(base, out)
    works = next(r for r in json.loads((out / "datapackage.json").read_text())["resources"] if r["name"] == "works")
    part = (out / works["parts"][0]["path"]).resolve()
    data = bytearray(part.read_bytes())
    data[10] = ord("X") if data[10] != ord("X") else ord("Y")  # the same size, another hash
    part.chmod(0o644)
    part.write_bytes(bytes(data))
    report = _report(out)
    assert not report.valid
    assert any("hash" in error for error in _errors(report)), _errors(report)
