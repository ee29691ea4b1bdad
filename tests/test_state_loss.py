"""A lost, emptied, truncated or corrupt state store: the run refuses with its own exit code, the
published dataset stays as it was, and `rebuild-state` restores a store whose next refresh reports
only real changes; with the origin down after a rebuild, nothing published shrinks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import synthetic
from tests.support import dataset_bytes, origin, problems, read_jsonl, run_colophon

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")
EXIT_STATE = 65


def _crawl(base: str, out: Path) -> tuple[int, str]:
    result = run_colophon("crawl", base, "--out", str(out), *FAST, "--retries", "0")
    return result.returncode, result.stdout + result.stderr


def _last_changes(out: Path) -> dict[str, set[str]]:
    runs = json.loads((out / "datapackage.json").read_text())["runs"]
    ops: dict[str, set[str]] = {"added": set(), "modified": set(), "removed": set()}
    for change in read_jsonl(out / "changes" / f"{runs[-1]['id']}.jsonl"):
        ops[change["op"]].add(change["id"])
    return ops


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage_header(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(b"\x00garbage garbage garbage" + data[24:])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "deleted": lambda p: p.unlink(),
    "emptied": lambda p: p.write_bytes(b""),
    "truncated": _truncate,
    "garbage-header": _garbage_header,
    "not-a-database": lambda p: p.write_bytes(b"this is not a database\n" * 200),
    "a-folder": lambda p: (p.unlink(), p.mkdir()),
}


@pytest.fixture(scope="module")
def removal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A site served for the module, and a dataset after two runs (the second removed a page, with
    its tombstone): a template each damage copies."""
    folder = tmp_path_factory.mktemp("removal")
    site = synthetic.build(folder / "site", authors=1, works=6)
    template = folder / "template"
    gone = synthetic.work_path("writer0", 4)
    with origin(site) as base:
        assert _crawl(base, template)[0] == 0
        (site / gone).unlink()
        assert _crawl(base, template)[0] == 0  # a removal, with its tombstone
        assert [t["id"] for t in read_jsonl(template / "tombstones.jsonl")] == [gone]
        yield {"base": base, "site": site, "template": template, "gone": gone}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_state_store_refuses_then_rebuilds(damage: str, removal: dict[str, Any], tmp_path: Path) -> None:
    base, site, gone = removal["base"], removal["site"], removal["gone"]
    out = tmp_path / "out"
    shutil.copytree(removal["template"], out, symlinks=True)
    works = dataset_bytes(out, "works.jsonl")

    DAMAGE[damage](out / "state.sqlite")
    code, output = _crawl(base, out)
    assert code == EXIT_STATE, output
    assert "state.sqlite" in output and "rebuild-state" in output and "Traceback" not in output
    assert dataset_bytes(out, "works.jsonl") == works  # nothing was published over the dataset

    rebuilt = run_colophon("rebuild-state", str(out))
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    if damage not in ("deleted", "emptied"):
        assert list(out.glob("state.sqlite.damaged-*")), "the damaged store is kept for inspection"

    # The next refresh reports only what really changed: one page edited since (and put back after,
    # for the next damage).
    edited = synthetic.work_path("writer0", 1)
    page = site / edited
    original = page.read_text()
    page.write_text(original.replace("The text of article 1", "The corrected text of article 1"))
    try:
        code, output = _crawl(base, out)
    finally:
        page.write_text(original)
    assert code == 0, output
    assert _last_changes(out) == {"added": set(), "modified": {edited}, "removed": set()}
    assert read_jsonl(out / "tombstones.jsonl")[0]["id"] == gone  # removals persist
    assert problems(out) == []


def test_with_the_origin_down_after_a_rebuild_nothing_shrinks(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out = tmp_path / "out"
    with origin(site) as base:
        assert _crawl(base, out)[0] == 0
    before = {name: dataset_bytes(out, name) for name in ("works.jsonl", "indexes.jsonl", "tombstones.jsonl")}
    (out / "state.sqlite").unlink()
    assert run_colophon("rebuild-state", str(out)).returncode == 0
    code, output = _crawl(base, out)  # the origin is gone: nothing can be fetched
    assert code == 3, output
    assert {name: dataset_bytes(out, name) for name in before} == before
    assert problems(out) == []


def test_a_known_page_failing_with_unknown_links_removes_nothing(tmp_path: Path) -> None:
    """After a rebuild nobody knows where each page leads: if the author index cannot be fetched,
    the works it lists are not reached, and must not be taken for removed."""
    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out = tmp_path / "out"
    with origin(site) as base:
        assert _crawl(base, out)[0] == 0
        works = len(read_jsonl(out / "works.jsonl"))
        (out / "state.sqlite").unlink()
        assert run_colophon("rebuild-state", str(out)).returncode == 0
        index = site / "archive/writer0/index.htm"
        index.unlink()
        index.symlink_to(index.name)  # a link to itself: the origin fails (500) on it, a transient fault
        code, output = _crawl(base, out)
    assert code in (0, 1), output
    assert len(read_jsonl(out / "works.jsonl")) == works
    assert _last_changes(out)["removed"] == set()


def test_rebuild_refuses_a_sound_store_and_a_folder_without_dataset(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=2)
    out = tmp_path / "out"
    with origin(site) as base:
        assert _crawl(base, out)[0] == 0
    sound = run_colophon("rebuild-state", str(out))
    assert sound.returncode == 2 and "sound" in sound.stderr
    empty = run_colophon("rebuild-state", str(tmp_path / "nothing"))
    assert empty.returncode == 2 and "no published dataset" in empty.stderr
