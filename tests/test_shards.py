"""A record type published as shards: each record in the shard its id hashes to, only the shards
that changed written again, the others hard-linked from the snapshot before, the shard count
doubling as the type grows and never shrinking, and the datapackage listing the parts in order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from models import Reject
from output.dataset import bucket, part_path, shard_count, shard_of
from output.jsonl import dumps
from output.publish import publish
from output.snapshot import Snapshot
from output.state import Policy, StateStore
from output.validate import validate_dataset
from tests import synthetic
from tests.support import SAMPLE, dataset_bytes, origin, problems, read_jsonl, run_colophon

SMALL = 4096  # bytes per shard: a few dozen rejects fill one
FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")


def _reject(n: int, message: str = "m") -> tuple[str, bytes, dict[str, Any]]:
    reject = Reject(url=f"https://www.marxists.org/archive/x/{n:03d}.htm", stage="extract", code="not_html",
                    message=message, fetched_at="2026-01-01T00:00:00+00:00")
    return f"archive/x/{n:03d}.htm", dumps(reject), reject.model_dump(mode="json")


def _run(folder: Path, run: str, pages: dict[int, str], complete: bool = True) -> dict[str, Any]:
    """One run that stores these rejects (number -> message) and publishes."""
    state = StateStore.open(folder)
    try:
        state.begin_run(run, "2026-01-01T00:00:00+00:00", {})
        for n, message in pages.items():
            page_id, line, data = _reject(n, message)
            state.store(run, page_id, data["url"], line, data, "rejects.jsonl", [],
                        {"fetched_at": data["fetched_at"]}, Policy(), 0.0, page_id)
        return publish(state, run, complete=complete, report={}, shard_bytes=SMALL)
    finally:
        state.close()


def _inodes(folder: Path, file: str = "rejects.jsonl") -> list[int]:
    return [path.stat().st_ino for path in Snapshot.open(folder).part_paths(file)]


def test_shard_count_is_a_power_of_two_that_never_shrinks() -> None:
    assert shard_count(0) == 1
    assert shard_count(SMALL, shard_bytes=SMALL) == 1
    assert shard_count(SMALL + 1, shard_bytes=SMALL) == 2
    assert shard_count(5 * SMALL, shard_bytes=SMALL) == 8
    assert shard_count(10, at_least=4, shard_bytes=SMALL) == 4
    # A shard is chosen by the low bits of the id's hash: doubling splits each shard in two.
    for page_id in ("a.htm", "archive/marx/works/1848/communist-manifesto/index.htm", "é/ü.htm"):
        assert shard_of(bucket(page_id), 8) % 4 == shard_of(bucket(page_id), 4)


def test_each_record_is_in_the_shard_its_id_hashes_to_in_id_order(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    _run(folder, "r1", {n: "m" for n in range(60)})
    snapshot = Snapshot.open(folder)
    parts = snapshot.parts("rejects.jsonl")
    shards = len(parts)
    assert shards == shard_count(sum(len(_reject(n)[1]) for n in range(60)), shard_bytes=SMALL) and shards > 1
    resource = snapshot.resource("rejects.jsonl")
    assert resource is not None
    assert resource["path"] == [part_path("rejects.jsonl", i) for i in range(shards)]
    assert resource["records"] == 60 == sum(part["records"] for part in parts)
    assert resource["bytes"] == sum(path.stat().st_size for path in snapshot.part_paths("rejects.jsonl"))
    for index, path in enumerate(snapshot.part_paths("rejects.jsonl")):
        ids = [f"archive/x/{r['url'].rsplit('/', 1)[1]}" for r in read_jsonl(path)]
        assert ids == sorted(ids)
        assert all(shard_of(bucket(page_id), shards) == index for page_id in ids)
    assert len(read_jsonl(folder / "rejects.jsonl")) == 60  # `cat rejects/*.jsonl` reads them all
    assert validate_dataset(folder) == []


def test_a_change_rewrites_only_the_shards_it_touches(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    pages = {n: "m" for n in range(60)}
    _run(folder, "r1", pages)
    first = _inodes(folder)
    _run(folder, "r2", pages)
    assert _inodes(folder) == first  # nothing changed: every shard linked
    shards = len(first)
    changed = {3: "another message", 41: "m2"}
    _run(folder, "r3", {**pages, **changed})
    touched = {shard_of(bucket(_reject(n)[0]), shards) for n in changed}
    after = _inodes(folder)
    assert [i for i in range(shards) if after[i] != first[i]] == sorted(touched)
    messages = {r["url"].rsplit("/", 1)[1]: r["message"] for r in read_jsonl(folder / "rejects.jsonl")}
    assert messages["003.htm"] == "another message" and messages["041.htm"] == "m2" and messages["004.htm"] == "m"
    assert validate_dataset(folder) == []


def test_a_removal_rewrites_the_shard_it_leaves(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    pages = {n: "m" for n in range(60)}
    _run(folder, "r1", pages)
    first = _inodes(folder)
    shards = len(first)
    del pages[17]
    _run(folder, "r2", pages)  # complete: the page it did not reach is removed
    after = _inodes(folder)
    assert [i for i in range(shards) if after[i] != first[i]] == [shard_of(bucket(_reject(17)[0]), shards)]
    assert len(read_jsonl(folder / "rejects.jsonl")) == 59
    assert validate_dataset(folder) == []


def test_shards_double_as_a_type_grows_and_stay_when_it_shrinks(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    _run(folder, "r1", {n: "m" for n in range(10)})
    few = len(_inodes(folder))
    _run(folder, "r2", {n: "m" for n in range(200)})
    many = len(_inodes(folder))
    assert many > few and many & (many - 1) == 0
    assert len(read_jsonl(folder / "rejects.jsonl")) == 200
    _run(folder, "r3", {n: "m" for n in range(10)})  # most pages gone
    assert len(_inodes(folder)) == many
    assert len(read_jsonl(folder / "rejects.jsonl")) == 10
    assert validate_dataset(folder) == []


def test_validate_checks_every_part(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    _run(folder, "r1", {n: "m" for n in range(60)})
    snapshot = Snapshot.open(folder)
    paths = snapshot.part_paths("rejects.jsonl")
    stray = paths[0].parent / "9999.jsonl"
    stray.write_bytes(paths[0].read_bytes())
    paths[1].write_bytes(paths[1].read_bytes() + paths[1].read_bytes().splitlines(keepends=True)[0])
    problems = validate_dataset(folder)
    assert any("rejects/9999.jsonl: present but not listed" in p for p in problems), problems
    assert any(p.startswith("rejects/0001.jsonl:") and "records" in p for p in problems), problems
    package = json.loads((folder / "datapackage.json").read_text())
    resource = next(r for r in package["resources"] if r["name"] == "rejects")
    resource["records"] += 1
    resource["path"] = resource["path"][::-1]
    (snapshot.root / "datapackage.json").write_text(json.dumps(package))
    assert any("its path and its parts" in p for p in validate_dataset(folder))


def test_a_dataset_of_single_files_is_republished_as_shards(tmp_path: Path) -> None:
    """A folder published before shards (one `rejects.jsonl` in the generation): the next run
    writes shards and replaces the one-file names with the shard directories."""
    folder = tmp_path / "d"
    _run(folder, "r1", {n: "m" for n in range(5)})
    snapshot = Snapshot.open(folder)
    package = snapshot.datapackage
    for resource in package["resources"]:
        if isinstance(resource["path"], list):
            name = resource["name"]
            data = b"".join(p.read_bytes() for p in snapshot.part_paths(f"{name}.jsonl"))
            shutil.rmtree(snapshot.root / name)
            (snapshot.root / f"{name}.jsonl").write_bytes(data)
            (folder / name).unlink()
            (folder / f"{name}.jsonl").symlink_to(f"snapshot/{name}.jsonl")
            resource["path"] = f"{name}.jsonl"
            resource["hash"] = resource.pop("parts")[0]["hash"]
    (snapshot.root / "datapackage.json").write_text(json.dumps(package))
    assert validate_dataset(folder) == []  # the older layout reads and validates as it was
    assert len(read_jsonl(folder / "rejects.jsonl")) == 5
    _run(folder, "r2", {n: "m" for n in range(5)})
    assert not (folder / "rejects.jsonl").exists() and (folder / "rejects").is_symlink()
    assert len(read_jsonl(folder / "rejects.jsonl")) == 5
    assert validate_dataset(folder) == []


def test_a_contents_page_that_changes_republishes_the_chapters_that_inherit_from_it(tmp_path: Path) -> None:
    """A chapter's published record takes its book's source from the contents page: edit only the
    contents page, and the chapters are published again (their stored records did not change)."""
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    out = tmp_path / "out"
    with origin(site) as base:
        start = base + "archive/weber/"
        assert run_colophon("crawl", start, "--out", str(out), *FAST).returncode == 0
        chapters = {w["id"]: w for w in read_jsonl(out / "works.jsonl") if "farmers/ch" in w["id"]}
        assert {w["citation"]["raw"] for w in chapters.values()} == {
            "From The State and the Farmers, Labour Publishing Company, London 1925."}
        toc = site / "archive/weber/1925/farmers/index.htm"
        toc.write_text(toc.read_text().replace("Labour Publishing Company", "Labour Publishing House"))
        assert run_colophon("crawl", start, "--out", str(out), *FAST).returncode == 0
    runs = json.loads((out / "datapackage.json").read_text())["runs"]
    changes = read_jsonl(out / "changes" / f"{runs[-1]['id']}.jsonl")
    modified = {c["id"] for c in changes if c["op"] == "modified"}
    assert modified == {*chapters, "archive/weber/1925/farmers/index.htm"}
    republished = {w["id"]: w for w in read_jsonl(out / "works.jsonl") if w["id"] in chapters}
    assert {w["citation"]["raw"] for w in republished.values()} == {
        "From The State and the Farmers, Labour Publishing House, London 1925."}
    assert problems(out) == []


def test_a_crawl_publishes_shards_and_refreshes_only_what_changed(tmp_path: Path) -> None:
    """End to end with small shards: a refresh after one edited page writes one works shard."""
    site = synthetic.build(tmp_path / "site", authors=2, works=30)
    out = tmp_path / "out"
    shards = ("--shard-bytes", str(SMALL))
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *FAST, *shards).returncode == 0
        before = _inodes(out, "works.jsonl")
        assert len(before) > 1
        works = dataset_bytes(out, "works.jsonl")
        page = site / synthetic.work_path("writer1", 3)
        page.write_text(page.read_text().replace("second paragraph", "corrected paragraph"))
        assert run_colophon("crawl", base, "--out", str(out), *FAST, *shards).returncode == 0
    after = _inodes(out, "works.jsonl")
    assert sum(a != b for a, b in zip(after, before, strict=True)) == 1
    assert dataset_bytes(out, "works.jsonl") != works
    assert problems(out) == []


@pytest.mark.parametrize("value", ["0", "100", "many"])
def test_a_shard_size_too_small_stops_at_once(value: str) -> None:
    result = run_colophon("crawl", "--sample", "--shard-bytes", value, timeout=60)
    assert result.returncode == 2 and "--shard-bytes" in result.stderr and "Traceback" not in result.stderr
