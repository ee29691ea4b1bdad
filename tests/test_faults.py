"""Kills at every named step of storing a page and of publishing a run (output.faults.POINTS).

After each kill a reader sees one complete snapshot (the one before the run, or the one after it,
never a mix), and after the next run the dataset and the change feed since the first run equal
those of a run that was never interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from output.changes import changes_since
from output.faults import POINTS
from output.snapshot import Snapshot
from tests import synthetic
from tests.support import REPO, origin, problems, published, run_colophon, stable, unresolved_captures

pytestmark = pytest.mark.long

# Small shards: a kill inside the shard writes (publish.staging) lands between two shards' files.
FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0",
        "--shard-bytes", "4096")
# Points reached more than once in a run are killed at a later pass, inside the loop.
NTH = {"warc.appending": 5,
       "publish.staging": 5, "store.begun": 2, "store.written": 2, "store.marked": 2, "store.committed": 2}


def crawl(base: str, out: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_colophon("crawl", base, "--out", str(out), *FAST, timeout=300, env={"COLOPHON_FAULT": fault})


def feed(out: Path, since: str) -> list[str]:
    """What `colophon changes --since` prints, read in this process."""
    return sorted(json.dumps(stable(change), sort_keys=True) for change in changes_since(out, since))


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The site after its change, served; the dataset as it was before (a template to copy), and
    the dataset and feed of an uninterrupted second run (the reference)."""
    base_dir = tmp_path_factory.mktemp("faults")
    site = synthetic.build(base_dir / "site", authors=1, works=6)
    template = base_dir / "template"
    with origin(site) as base:
        assert crawl(base, template).returncode == 0
        first_run = json.loads((template / "datapackage.json").read_text())["runs"][-1]["id"]
        synthetic.edit_between_runs(site)
        reference = base_dir / "reference"
        shutil.copytree(template, reference, symlinks=True)
        assert crawl(base, reference).returncode == 0
        yield {"base": base, "template": template, "reference": reference, "first_run": first_run,
               "before": published(template), "after": published(reference),
               "feed": feed(reference, first_run)}


CRAWL_POINTS = [point for point in POINTS if not point.startswith("compact.")]  # tests/test_compact.py has those


@pytest.mark.parametrize("point", CRAWL_POINTS)
def test_a_kill_at_every_step_loses_nothing(point: str, scene: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(scene["template"], out, symlinks=True)
    spec = f"{point}:{NTH[point]}" if point in NTH else point
    killed = crawl(scene["base"], out, spec)
    assert killed.returncode == -signal.SIGKILL, f"the run was not killed at {spec}: {killed.stderr[-2000:]}"

    # A reader sees one whole snapshot: the old one or the new one.
    seen = published(out)
    assert seen in (scene["before"], scene["after"]), f"a mix of two snapshots after a kill at {point}"
    assert problems(out) == []

    # The next run resumes or redoes the killed one, and ends where an uninterrupted run ends.
    again = crawl(scene["base"], out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert published(out) == scene["after"]
    assert feed(out, scene["first_run"]) == scene["feed"], f"the change feed lost or doubled entries ({point})"
    assert problems(out) == []
    assert unresolved_captures(out) == []  # every record's WARC location holds its bytes
    assert not list((out / "warc").glob("*.open"))
    leftovers = [p.name for p in out.rglob("*.tmp")]
    assert not leftovers, leftovers


def test_the_reference_run_changed_what_the_site_changed(scene: dict[str, Any]) -> None:
    assert len(Snapshot.open(scene["reference"]).parts("works.jsonl")) > 1
    ops = {(json.loads(c)["op"], json.loads(c)["id"]) for c in scene["feed"]}
    assert ops == {("modified", synthetic.work_path("writer0", 2)), ("removed", synthetic.work_path("writer0", 5)),
                   ("added", "archive/writer0/1960/01/new.htm"), ("modified", "archive/writer0/index.htm")}


def test_an_unknown_fault_point_is_refused() -> None:
    result = subprocess.run([sys.executable, "-c", "import output.faults"], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "COLOPHON_FAULT": "no.such.point"})
    assert result.returncode != 0 and "unknown fault point" in result.stderr
