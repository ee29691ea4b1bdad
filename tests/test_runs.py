"""Runs are numbered, named once and judged by what they could check: a fixed run id never reuses a
run's change set, the published snapshot follows the order of publication (not a clock that steps
back), and a run whose start page is gone removes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import output.publish
from output.publish import publish, recover
from output.snapshot import Snapshot
from output.state import StateStore
from tests import synthetic
from tests.support import REPO, origin, problems, read_jsonl, run_colophon

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")


def _runs(out: Path) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = json.loads((out / "datapackage.json").read_text())["runs"]
    return runs


def test_a_fixed_run_id_never_overwrites_a_change_set(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=3)
    out = tmp_path / "out"
    with origin(site) as base:
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "scrapy", "crawl", "archive", "-a", f"start={base}", "-a", "scope=site",
                 "-s", f"COLOPHON_OUT={out}", "-s", "COLOPHON_RUN_ID=nightly", "-s", "DOWNLOAD_DELAY=0",
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=ERROR"],
                cwd=REPO, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr
    ids = [run["id"] for run in _runs(out)]
    assert ids[0] == "nightly" and ids[1].startswith("nightly-") and len(set(ids)) == 2
    first = read_jsonl(out / "changes" / "nightly.jsonl")
    assert len(first) > 10 and all(change["op"] == "added" for change in first)
    assert problems(out) == []


def test_the_snapshot_follows_the_order_of_publication_not_the_clock(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "d"
    state = StateStore.open(folder)
    try:
        for run, clock in (("run-a", "2026-06-02T00:00:00+00:00"), ("run-b", "2026-06-01T00:00:00+00:00")):
            monkeypatch.setattr(output.publish, "utc_now", lambda clock=clock: clock)  # the clock steps back
            state.begin_run(run, clock, {})
            publish(state, run, complete=True, report={"started": clock})
        assert Snapshot.open(folder).run == "run-b"
        recover(state)  # what the next run's open does: it must not switch back to run-a
        assert Snapshot.open(folder).run == "run-b"
        assert state.last_published() == "run-b"
    finally:
        state.close()
    assert [run["id"] for run in _runs(folder)] == ["run-a", "run-b"]


def test_a_start_page_that_is_gone_removes_nothing(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=4)
    out = tmp_path / "out"
    with origin(site) as base:
        start = base + "archive/writer0/index.htm"
        assert run_colophon("crawl", start, "--out", str(out), *FAST).returncode == 0
        works = read_jsonl(out / "works.jsonl")
        (site / "archive/writer0/index.htm").unlink()  # a moved archive, or a typo in the schedule
        result = run_colophon("crawl", start, "--out", str(out), *FAST)
    assert result.returncode in (0, 1, 3), result.stdout + result.stderr
    assert read_jsonl(out / "works.jsonl") == works
    assert read_jsonl(out / "tombstones.jsonl") == []
    assert not _runs(out)[-1]["complete"] or _runs(out)[-1]["counts"].get("start_missing")


def test_a_page_that_comes_back_is_added_again(tmp_path: Path) -> None:
    """A removed page is asked unconditionally: when it returns exactly as it was (same ETag and
    date), a conditional request would get 304 and keep it removed for ever."""
    site = synthetic.build(tmp_path / "site", authors=1, works=4)
    out = tmp_path / "out"
    page = site / synthetic.work_path("writer0", 2)
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        content, stat = page.read_bytes(), page.stat()
        page.unlink()
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        assert [t["id"] for t in read_jsonl(out / "tombstones.jsonl")] == [synthetic.work_path("writer0", 2)]
        page.write_bytes(content)
        os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the very validators it had
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
    changes = read_jsonl(out / "changes" / f"{_runs(out)[-1]['id']}.jsonl")
    assert [(c["op"], c["id"]) for c in changes] == [("added", synthetic.work_path("writer0", 2))]
    assert synthetic.work_path("writer0", 2) in {w["id"] for w in read_jsonl(out / "works.jsonl")}


def test_datapackage_holds_a_bounded_window_of_runs_and_every_change_set(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from output.changes import changes_since, published_runs

    folder = tmp_path / "d"
    state = StateStore.open(folder)
    try:
        for n in range(55):
            stamp = f"2026-06-01T00:{n // 60:02d}:{n % 60:02d}+00:00"
            monkeypatch.setattr(output.publish, "utc_now", lambda stamp=stamp: stamp)
            state.begin_run(f"run-{n:02d}", stamp, {})
            publish(state, f"run-{n:02d}", complete=True, report={"started": stamp})
    finally:
        state.close()
    package = json.loads((folder / "datapackage.json").read_text())
    assert [r["id"] for r in package["runs"]] == [f"run-{n:02d}" for n in range(5, 55)]
    assert published_runs(folder) == [f"run-{n:02d}" for n in range(55)]  # change sets all listed, in order
    assert list(changes_since(folder, "run-00")) == []
    assert len(list((folder / "runs").glob("*.json"))) == 55
    assert problems(folder) == []


def test_run_options_record_the_start_list_by_count_and_digest(tmp_path: Path) -> None:
    import hashlib

    site = synthetic.build(tmp_path / "site", authors=2, works=2)
    out = tmp_path / "out"
    with origin(site) as base:
        starts = [base + "archive/writer0/", base + "archive/writer1/"]
        assert run_colophon("crawl", *starts, "--out", str(out), *FAST).returncode == 0
    options = _runs(out)[-1]["options"]
    assert options["starts"] == {"count": 2, "sha256": hashlib.sha256("\n".join(starts).encode()).hexdigest()}


def test_a_run_that_changed_nothing_writes_almost_nothing(tmp_path: Path) -> None:
    """Files the previous snapshot holds byte for byte are hard links in the new generation; only
    what changed, the (empty) change set, the run report and datapackage.json are written."""
    site = synthetic.build(tmp_path / "site", authors=2, works=20)
    out = tmp_path / "out"
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        before = Snapshot.open(out)
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        unchanged = Snapshot.open(out)
        page = site / synthetic.work_path("writer1", 3)
        page.write_text(page.read_text().replace("second paragraph", "corrected paragraph"))
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        changed = Snapshot.open(out)
    assert len({before.run, unchanged.run, changed.run}) == 3
    names = ("works.jsonl", "indexes.jsonl", "other.jsonl", "rejects.jsonl", "tombstones.jsonl")

    def inodes(snapshot: Snapshot, name: str) -> list[int]:
        return [path.stat().st_ino for path in snapshot.part_paths(name)]

    for name in names:
        assert inodes(unchanged, name) == inodes(before, name), name
    written = [p for p in unchanged.root.rglob("*") if p.is_file() and p.stat().st_nlink == 1]
    assert [p.name for p in written] == ["datapackage.json"]
    # One work changed: its shard is written anew, the others are linked.
    assert inodes(changed, "works.jsonl") != inodes(unchanged, "works.jsonl")
    assert inodes(changed, "indexes.jsonl") == inodes(unchanged, "indexes.jsonl")
    assert problems(out) == []
