"""`colophon compact`: the change sets before a run folded into one, published like a run; what a
consumer reads from the feed is the same before and after, and a kill at any step loses nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from output.changes import changes_since
from output.faults import POINTS
from output.snapshot import Snapshot
from tests import synthetic
from tests.support import origin, problems, read_jsonl, run_colophon

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")


def _runs(out: Path) -> list[str]:
    return [r["id"] for r in json.loads((out / "datapackage.json").read_text())["runs"]]


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four runs over a changing site: the first crawl, a work corrected, a work removed and one
    added, the added one corrected."""
    root = tmp_path_factory.mktemp("compact")
    site = synthetic.build(root / "site", authors=1, works=6)
    out = root / "out"
    corrected, removed = site / synthetic.work_path("writer0", 1), site / synthetic.work_path("writer0", 2)
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        corrected.write_text(corrected.read_text().replace("second paragraph", "corrected paragraph"))
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        removed.unlink()
        index = site / "archive/writer0/index.htm"
        listed = '<p><a href="late.htm">A Late Article</a>, 1939</p></body>'
        index.write_text(index.read_text().replace("</body>", listed))
        late = site / "archive/writer0/late.htm"
        late.write_text(corrected.read_text().replace("<h1>", "<h1>Late: "))
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        late.write_text(late.read_text().replace("corrected paragraph", "twice corrected paragraph"))
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
    runs = _runs(out)
    assert len(runs) == 4
    return {"out": out, "site": site, "runs": runs, "removed": synthetic.work_path("writer0", 2),
            "before": {since: list(changes_since(out, since)) for since in (None, *runs)}}


def _copy(feed: dict[str, Any], tmp_path: Path) -> Path:
    out = tmp_path / "out"
    subprocess.run(["cp", "-a", str(feed["out"]), str(out)], check=True)
    return out


def test_compaction_folds_the_runs_before_one(feed: dict[str, Any], tmp_path: Path) -> None:
    out = _copy(feed, tmp_path)
    runs = feed["runs"]
    result = run_colophon("compact", str(out), "--before", runs[3])
    assert result.returncode == 0, result.stderr
    assert "3 change sets folded" in result.stderr
    package = json.loads((out / "datapackage.json").read_text())
    (compaction,) = package["compactions"]
    assert compaction["folded"] == runs[:3] and compaction["before"] == runs[3]
    changes = [r["path"] for r in package["resources"] if r["path"] and str(r["path"]).startswith("changes/")]
    assert changes == [compaction["path"], f"changes/{runs[3]}.jsonl"]
    assert sorted(p.name for p in (out / "changes").iterdir()) == sorted(
        [compaction["path"].split("/")[1], f"{runs[3]}.jsonl"])
    assert {f"{run}.json" for run in runs} <= {p.name for p in (out / "runs").iterdir()}  # every report stays
    # What a consumer reads: the same from the start, and after the last folded run and after.
    assert list(changes_since(out, None)) == feed["before"][None]
    for since in runs[2:]:
        assert list(changes_since(out, since)) == feed["before"][since]
    # The compacted set holds one net change per record: the removed work, added then removed, is in
    # no change of it (a consumer starting from nothing never had it).
    net = read_jsonl(out / compaction["path"])
    assert len({c["id"] for c in net}) == len(net) == compaction["records"]
    assert feed["removed"] not in {c["id"] for c in net}
    assert {c["op"] for c in net} == {"added"}
    assert problems(out) == []
    # The records are the very files of the snapshot before: linked, not rewritten.
    assert Snapshot.open(out).part_paths("works.jsonl")[0].stat().st_nlink >= 2


def test_a_consumer_inside_the_folded_runs_is_told_to_read_the_snapshot(feed: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    out = _copy(feed, tmp_path)
    runs = feed["runs"]
    assert run_colophon("compact", str(out), "--before", runs[3]).returncode == 0
    for command in (("changes", str(out), "--since", runs[1]), ("export", str(out), "--format", "csl",
                                                                "--since", runs[0])):
        result = run_colophon(*command)
        assert result.returncode == 2, result
        assert "was folded into" in result.stderr and "read the snapshot again" in result.stderr


def test_later_runs_publish_over_a_compaction(feed: dict[str, Any], tmp_path: Path) -> None:
    out = _copy(feed, tmp_path)
    runs = feed["runs"]
    assert run_colophon("compact", str(out), "--before", runs[2]).returncode == 0
    with origin(feed["site"]) as base:
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
    package = json.loads((out / "datapackage.json").read_text())
    assert [c["folded"] for c in package["compactions"]] == [runs[:2]]
    assert list(changes_since(out, runs[3])) == []  # the new run changed nothing
    assert problems(out) == []
    # Compacting again folds the earlier compaction with the runs after it.
    assert run_colophon("compact", str(out), "--before", _runs(out)[-1]).returncode == 0
    assert list(changes_since(out, None)) == feed["before"][None]
    assert problems(out) == []


@pytest.mark.parametrize("arguments, message", [
    (("--before", "no-such-run"), "no published run 'no-such-run'"),
])
def test_bad_arguments_stop_at_once(feed: dict[str, Any], tmp_path: Path, arguments: tuple[str, ...],
                                    message: str) -> None:
    out = _copy(feed, tmp_path)
    result = run_colophon("compact", str(out), *arguments)
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    result = run_colophon("compact", str(tmp_path / "nowhere"), "--before", feed["runs"][1])
    assert result.returncode == 2 and "not a dataset folder" in result.stderr


def test_a_folder_of_the_layout_before_generations_is_refused(feed: dict[str, Any], tmp_path: Path) -> None:
    out = _copy(feed, tmp_path)
    generation = Snapshot.open(out).root
    for name in [p.name for p in generation.iterdir()]:  # the snapshot's files in the folder itself
        (out / name).unlink()
        (generation / name).rename(out / name)
    (out / "snapshot").unlink()
    shutil.rmtree(out / ".snapshots")
    listed = sorted(p.name for p in (out / "changes").iterdir())
    result = run_colophon("compact", str(out), "--before", feed["runs"][3])
    assert result.returncode == 2 and "earlier version" in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in (out / "changes").iterdir()) == listed


def test_nothing_to_fold_changes_nothing(feed: dict[str, Any], tmp_path: Path) -> None:
    out = _copy(feed, tmp_path)
    before = (out / "datapackage.json").read_bytes()
    result = run_colophon("compact", str(out), "--before", feed["runs"][1])
    assert result.returncode == 0 and "nothing to fold" in result.stderr
    assert (out / "datapackage.json").read_bytes() == before


@pytest.mark.parametrize("point", [point for point in POINTS if point.startswith("compact.")])
def test_a_kill_at_every_step_loses_nothing(feed: dict[str, Any], tmp_path: Path, point: str) -> None:
    out = _copy(feed, tmp_path)
    runs = feed["runs"]
    killed = run_colophon("compact", str(out), "--before", runs[3], env={"COLOPHON_FAULT": point})
    assert killed.returncode == -9, killed.stderr
    # Whatever a reader sees now is one whole snapshot whose feed reads as before.
    assert problems(out) == []
    assert list(changes_since(out, None)) == feed["before"][None]
    # The next process to hold the folder finishes or forgets the compaction; compacting again works.
    again = run_colophon("compact", str(out), "--before", runs[3])
    assert again.returncode == 0, again.stderr
    assert list(changes_since(out, None)) == feed["before"][None]
    package = json.loads((out / "datapackage.json").read_text())
    assert [c["folded"] for c in package["compactions"]] == [runs[:3]]
    assert len(list((out / "changes").iterdir())) == 2
    assert problems(out) == []
