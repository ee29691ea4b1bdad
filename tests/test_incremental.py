"""Scheduled refreshes: exact change sets, resumption after SIGKILL, locking, revisit policy."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from output.state import Policy, RunLocked, StateStore
from tests import synthetic
from tests.support import REPO, origin, origin_stats, problems, read_jsonl, run_colophon, stable

pytestmark = pytest.mark.long

FAST = ("--delay", "0", "--concurrency", "8", "--log-level", "ERROR", "--scope", "site")
SNAPSHOT = ("works", "indexes", "other", "rejects", "tombstones")


def crawl(base: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    result = run_colophon("crawl", base, "--out", str(out), *FAST, *extra)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result


def last_run(out: Path) -> dict[str, Any]:
    runs: list[dict[str, Any]] = json.loads((out / "datapackage.json").read_text())["runs"]
    return runs[-1]


def change_set(out: Path) -> dict[str, set[str]]:
    ops: dict[str, set[str]] = {"added": set(), "modified": set(), "removed": set()}
    for change in read_jsonl(out / "changes" / f"{last_run(out)['id']}.jsonl"):
        ops[change["op"]].add(change["id"])
    return ops


def snapshot(out: Path) -> dict[str, list[Any]]:
    """The published records without what differs between two identical crawls (fetch times, and
    where in the WARC files the bytes were kept)."""
    data = {}
    for name in SNAPSHOT:
        records = [stable(record) for record in read_jsonl(out / f"{name}.jsonl")]
        data[name] = sorted(records, key=lambda r: json.dumps(r, sort_keys=True))
    return data


def test_refreshes_publish_exact_change_sets(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out = tmp_path / "out"
    with origin(site) as base:
        crawl(base, out, "--revisit-min", "0")
        first = change_set(out)
        assert not first["modified"] and not first["removed"]
        assert "archive/writer0/index.htm" in first["added"] and len(first["added"]) == 20

        # Changed, added, removed and left alone between runs.
        synthetic.edit_between_runs(site)
        index = site / "archive/writer0/index.htm"
        unlisted = synthetic.work_path("writer0", 0)  # still on the server, no longer linked
        index.write_text(index.read_text().replace(f'href="{unlisted[len("archive/writer0/"):]}"', 'href="#"'))
        untouched = site / synthetic.work_path("writer0", 3)
        os.utime(untouched, (time.time() + 5, time.time() + 5))  # new ETag and date, same content

        crawl(base, out, "--revisit-min", "0")
        assert change_set(out) == {
            "added": {"archive/writer0/1960/01/new.htm"},
            "modified": {synthetic.work_path("writer0", 2), "archive/writer0/index.htm"},
            "removed": {synthetic.work_path("writer0", 5), unlisted},
        }
        tombstones = read_jsonl(out / "tombstones.jsonl")
        assert sorted(t["id"] for t in tombstones) == sorted([synthetic.work_path("writer0", 5), unlisted])
        works = {w["id"] for w in read_jsonl(out / "works.jsonl")}
        assert synthetic.work_path("writer0", 5) not in works and "archive/writer0/1960/01/new.htm" in works

        # An unchanged re-run: conditional requests answered 304, an empty change set.
        before = origin_stats(base)["bytes"]
        crawl(base, out, "--revisit-min", "0")
        assert change_set(out) == {"added": set(), "modified": set(), "removed": set()}
        assert (out / "changes" / f"{last_run(out)['id']}.jsonl").read_bytes() == b""
        counts = last_run(out)["counts"]
        assert counts["not_modified"] >= 20
        assert origin_stats(base)["bytes"] - before < 2000  # 304s and 404s carry (almost) no bytes
    assert problems(out) == []


def test_changes_since_a_run(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=4)
    out = tmp_path / "out"
    with origin(site) as base:
        crawl(base, out, "--revisit-min", "0")
        first = last_run(out)["id"]
        page = site / synthetic.work_path("writer0", 1)
        page.write_text(page.read_text().replace("The text", "Changed text"))
        crawl(base, out, "--revisit-min", "0")
        (site / synthetic.work_path("writer0", 1)).unlink()
        crawl(base, out, "--revisit-min", "0")
    since_first = [json.loads(line) for line in run_colophon("changes", str(out), "--since", first).stdout.splitlines()]
    assert [(c["op"], c["id"]) for c in since_first] == [("removed", synthetic.work_path("writer0", 1))]
    everything = [json.loads(line) for line in run_colophon("changes", str(out)).stdout.splitlines()]
    assert all(c["op"] == "added" for c in everything)  # added then removed: never shown at all
    assert synthetic.work_path("writer0", 1) not in {c["id"] for c in everything}
    assert synthetic.work_path("writer0", 2) in {c["id"] for c in everything}


def test_refresh_while_the_origin_is_down_removes_nothing(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out = tmp_path / "out"
    with origin(site) as base:
        crawl(base, out, "--revisit-min", "0")
    before, published = read_jsonl(out / "works.jsonl"), last_run(out)["id"]
    down = run_colophon("crawl", base, "--out", str(out), *FAST, "--revisit-min", "0", "--retries", "0")
    assert down.returncode == 3, down.stdout + down.stderr  # nothing could be fetched
    assert "nothing could be fetched" in down.stdout and "Traceback" not in down.stderr
    # A run that could fetch nothing publishes nothing: the last snapshot stands as it was.
    assert read_jsonl(out / "works.jsonl") == before
    assert last_run(out)["id"] == published
    assert read_jsonl(out / "tombstones.jsonl") == []


def test_catalogue_gone_for_a_run_changes_no_names(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=3)
    out = tmp_path / "out"
    with origin(site) as base:
        crawl(base, out, "--revisit-min", "0")
        catalogue = site / "admin/js/data/authors.json"
        catalogue.rename(tmp_path / "authors.json")
        crawl(base, out, "--revisit-min", "0")
        assert change_set(out)["modified"] == set()
        assert {w["author"]["name"] for w in read_jsonl(out / "works.jsonl")} >= {"Writer0 Example"}


def test_partial_run_never_removes(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out = tmp_path / "out"
    with origin(site) as base:
        crawl(base, out, "--revisit-min", "0")
        works = len(read_jsonl(out / "works.jsonl"))
        crawl(base, out, "--revisit-min", "0", "--max-pages", "3")
        assert last_run(out)["complete"] is False
        assert change_set(out)["removed"] == set()
        assert len(read_jsonl(out / "works.jsonl")) == works


def test_revisit_policy_skips_pages_not_due(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out = tmp_path / "out"
    with origin(site) as base:
        crawl(base, out)  # default: works wait at least an hour
        crawl(base, out)
        counts = last_run(out)["counts"]
        assert counts["not_due"] >= 6  # works not refetched ...
        assert counts["not_modified"] >= 2  # ... while index and contents pages are revalidated
        assert change_set(out)["removed"] == set()  # not due is not gone
        crawl(base, out, "--revalidate")
        assert last_run(out)["counts"]["not_due"] == 0


@pytest.mark.parametrize(("interval", "changed", "expected"), [
    (0.0, False, 100.0), (100.0, False, 150.0), (900.0, False, 1000.0), (400.0, True, 200.0), (150.0, True, 100.0),
])
def test_adaptive_interval_within_bounds(interval: float, changed: bool, expected: float) -> None:
    assert Policy(minimum=100, maximum=1000).next_interval(interval, changed) == expected


def test_second_run_refuses_and_dead_holder_releases(tmp_path: Path) -> None:
    out = tmp_path / "out"
    held = StateStore.open(out)
    try:
        result = run_colophon("crawl", "--sample", "--out", str(out), timeout=60)
        assert result.returncode == 75
        assert "another colophon run" in result.stderr and str(os.getpid()) in result.stderr
        with pytest.raises(RunLocked):
            StateStore.open(out)
    finally:
        held.close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from output.state import StateStore; StateStore.open(Path(sys.argv[1])); "
                               "print('held', flush=True); time.sleep(60)", str(out)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    StateStore.open(out).close()  # a killed holder does not keep the folder


def _kill_at(command: list[str], delay: float) -> None:
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=4, works=60)
    rng = random.Random(20261124)
    with origin(site) as base:
        baseline = tmp_path / "baseline"
        started = time.monotonic()
        crawl(base, baseline, "--revisit-min", "0")
        duration = time.monotonic() - started
        expected = snapshot(baseline)
        assert len(expected["works"]) > 240
        for trial in range(4):
            out = tmp_path / f"trial{trial}"
            command = [sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(out), *FAST,
                       "--revisit-min", "0"]
            for _ in range(2):
                _kill_at(command, rng.uniform(0.4, duration * 0.9))
                if (out / "datapackage.json").is_file():  # what is published is always whole
                    assert problems(out) == []
            result = run_colophon("crawl", base, "--out", str(out), *FAST, "--revisit-min", "0")
            assert result.returncode == 0, result.stdout + result.stderr
            assert snapshot(out) == expected, f"trial {trial} differs from the uninterrupted run"
            ids = [w["id"] for w in read_jsonl(out / "works.jsonl")]
            assert len(ids) == len(set(ids))
            assert problems(out) == []
        # A refresh killed part-way resumes too, and ends where an uninterrupted refresh ends.
        for n in range(0, 60, 7):
            page = site / synthetic.work_path("writer1", n)
            page.write_text(page.read_text().replace("second paragraph", "revised paragraph"))
        crawl(base, baseline, "--revisit-min", "0")
        out = tmp_path / "trial0"
        _kill_at([sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(out), *FAST, "--revisit-min", "0"],
                 rng.uniform(0.4, duration * 0.6))
        crawl(base, out, "--revisit-min", "0")
        assert snapshot(out) == snapshot(baseline)
        resumed_or_new = {c["id"] for run in json.loads((out / "datapackage.json").read_text())["runs"][-2:]
                          for c in read_jsonl(out / "changes" / f"{run['id']}.jsonl")}
        assert {synthetic.work_path("writer1", n) for n in range(0, 60, 7)} <= resumed_or_new


def test_schedule_runs_on_a_cron_expression(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "schedule", "* * * * * */2", "--max-runs", "2", "--",
         "--sample", "--out", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("exited 0") == 2
    assert len(list((out / "runs").glob("*.json"))) == 2


def test_sigterm_leaves_the_run_to_resume(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=30)
    out = tmp_path / "out"
    with origin(site) as base:
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(out), "--scope", "site",
             "--delay", "0.1", "--no-autothrottle", "--log-level", "ERROR", "--revisit-min", "0"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while sum(origin_stats(base)["requests"].values()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)  # in the middle of the crawl, however long the start-up took
        process.send_signal(signal.SIGTERM)  # what systemd sends on stop
        stdout, _ = process.communicate(timeout=120)
        assert process.returncode == 4, stdout
        assert "will resume" in stdout
        assert not (out / "datapackage.json").exists()  # nothing half-published
        result = crawl(base, out, "--revisit-min", "0")
        assert "resumed" in result.stdout
        crawl(base, tmp_path / "uninterrupted", "--revisit-min", "0")
    run = last_run(out)
    report = json.loads((out / "runs" / f"{run['id']}.json").read_text())
    assert report["resumed"] is True and report["complete"] is True
    assert snapshot(out) == snapshot(tmp_path / "uninterrupted")
