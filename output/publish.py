"""Publishing a run: the snapshot files, its change set, tombstones, run report and datapackage.json,
all at once or not at all, and never a mix of two runs for a reader.

1. Every snapshot file is written into a staging generation folder, `.snapshots/<run>.tmp/`, and
   the change set and run report beside their final names (`*.tmp`); all fsynced.
2. The state store commits the run (published hashes, removals, run status) in one transaction:
   this is the decision. A kill before it leaves nothing visible, and the run resumes.
3. The change set and report are renamed into place, the staging folder becomes `.snapshots/<run>/`,
   and the `snapshot` symlink is switched to it with one rename: readers see the old snapshot or
   the new one, whole (output.snapshot). Generations beyond the last few are then removed.

A process killed after the decision is rolled forward by recover() on the next open; one killed
before it is rolled back (its staged files are swept), so the change feed never loses a run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from models import SCHEMA_VERSION, utc_now
from output import faults
from output.atomic import fsync_dir
from output.dataset import FILES, schema_files
from output.jsonl import JsonLinesWriter
from output.snapshot import (
    CHANGES_DIR,
    DATAPACKAGE,
    GENERATIONS_DIR,
    KEEP_GENERATIONS,
    RUNS_DIR,
    SCHEMA_DIR,
    SNAPSHOT_FILES,
    SNAPSHOT_LINK,
    BrokenDataset,
    NoDataset,
    Snapshot,
    current_generation,
)
from output.state import StateStore, record_hash

CHANGE_FILES = ("works.jsonl", "indexes.jsonl")
Finish = Callable[[str, bytes], bytes]  # consumers' records; rejects and others are not
LEGACY_JOURNAL = ".publish.journal"
RUNS_WINDOW = 50  # runs described in datapackage.json; every run's report stays in runs/


class _Staged:
    """The files of one publication, written where they wait for the decision."""

    def __init__(self, folder: Path, run: str) -> None:
        self.folder = folder
        self.run = run
        self.generation = folder / GENERATIONS_DIR / f"{run}.tmp"
        if self.generation.exists():
            shutil.rmtree(self.generation)
        self.generation.mkdir(parents=True)
        self.handles: dict[str, BinaryIO] = {}
        self.writers: dict[str, JsonLinesWriter] = {}
        try:
            self.previous: Snapshot | None = Snapshot.open(folder)
        except (NoDataset, BrokenDataset):
            self.previous = None
        self.previous_resources = {str(r.get("path")): r for r in (self.previous.resources() if self.previous else [])}

    def path(self, target: str) -> Path:
        """Where a target waits: inside the staging generation, or beside its final name."""
        if target.split("/", 1)[0] in SNAPSHOT_FILES:
            return self.generation / target
        return self.folder / f"{target}.tmp"

    def writer(self, target: str) -> JsonLinesWriter:
        if target not in self.writers:
            path = self.path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.handles[target] = open(path, "wb")  # noqa: SIM115 - closed in seal()
            self.writers[target] = JsonLinesWriter(self.handles[target])
        return self.writers[target]

    def write_bytes(self, target: str, data: bytes) -> None:
        path = self.path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def _previous(self, target: str) -> Path | None:
        """The file as the published snapshot holds it (only a generation's files can be linked)."""
        if self.previous is None or self.previous.run is None:
            return None
        path = self.previous.path(target)
        return path if path.is_file() else None

    def _link(self, source: Path, target: str) -> bool:
        path = self.path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, path)
        except OSError:  # a filesystem without hard links: the file is written instead
            return False
        return True

    def reuse(self, target: str, measured: JsonLinesWriter) -> bool:
        """Link the published copy of a JSON Lines file when it already holds exactly these lines."""
        source = self._previous(target)
        listed = self.previous_resources.get(target, {})
        if source is None or listed.get("hash") != f"sha256:{measured.sha256}" \
                or listed.get("bytes") != measured.bytes or source.stat().st_size != measured.bytes:
            return False
        if not self._link(source, target):
            return False
        self.writers[target] = measured
        return True

    def reuse_bytes(self, target: str, data: bytes) -> bool:
        source = self._previous(target)
        return source is not None and source.read_bytes() == data and self._link(source, target)

    def seal(self) -> None:
        """Close every staged JSON Lines file, fsynced."""
        for handle in self.handles.values():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()

    def sync_folders(self) -> None:
        for folder in {self.generation, self.generation / SCHEMA_DIR, self.folder / CHANGES_DIR,
                       self.folder / RUNS_DIR, self.generation.parent}:
            if folder.is_dir():
                fsync_dir(folder)


class _Discard:
    """A sink for measuring a file without writing it."""

    def write(self, data: bytes) -> int:
        return len(data)


def _feed_files(run: str) -> list[str]:
    return [f"{CHANGES_DIR}/{run}.jsonl", f"{RUNS_DIR}/{run}.json"]


def recover(state: StateStore) -> None:
    """Finish the last decided publication if a killed process left it half done, and sweep away
    whatever an undecided one had staged."""
    folder = state.folder
    (folder / LEGACY_JOURNAL).unlink(missing_ok=True)
    recent = state.published_runs(KEEP_GENERATIONS)
    if recent and (folder / GENERATIONS_DIR).is_dir():
        _complete(folder, recent[0], recent)
    _sweep(folder)


def _complete(folder: Path, run: str, keep: list[str]) -> None:
    """Steps 3 of a decided publication, each one skipped when already done (idempotent)."""
    for target in _feed_files(run):
        staged = folder / f"{target}.tmp"
        if staged.exists() and not (folder / target).exists():  # written once, never replaced
            os.replace(staged, folder / target)
            fsync_dir((folder / target).parent)
    faults.point("publish.feed-renamed")
    generation = folder / GENERATIONS_DIR / run
    staged_generation = folder / GENERATIONS_DIR / f"{run}.tmp"
    if staged_generation.is_dir() and not generation.exists():
        os.replace(staged_generation, generation)
        fsync_dir(generation.parent)
    faults.point("publish.generation-renamed")
    if not generation.is_dir():
        return  # published by a version without generations: its files are where they are
    if current_generation(folder) != generation:
        link = folder / f"{SNAPSHOT_LINK}.tmp"
        link.unlink(missing_ok=True)
        os.symlink(f"{GENERATIONS_DIR}/{run}", link)
        os.replace(link, folder / SNAPSHOT_LINK)  # the moment of publication
        fsync_dir(folder)
    faults.point("publish.swapped")
    _link_names(folder)
    faults.point("publish.linked")
    _collect(folder, {run, *keep})


def _link_names(folder: Path) -> None:
    """The names people read (`works.jsonl`, `datapackage.json`, `schemas`) as symlinks through
    `snapshot`; made once (an older folder's plain files are replaced)."""
    for name in SNAPSHOT_FILES:
        path = folder / name
        target = f"{SNAPSHOT_LINK}/{name}"
        if path.is_symlink() and os.readlink(path) == target:
            continue
        temporary = folder / f".{name}.link.tmp"
        temporary.unlink(missing_ok=True)
        os.symlink(target, temporary)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(temporary, path)
    fsync_dir(folder)


def _collect(folder: Path, keep: set[str]) -> None:
    """Remove the generations of all but the last few publications (readers in flight finish theirs)."""
    for generation in (folder / GENERATIONS_DIR).iterdir():
        if generation.is_dir() and not generation.name.endswith(".tmp") and generation.name not in keep:
            shutil.rmtree(generation, ignore_errors=True)


def _sweep(folder: Path) -> None:
    """Staged files of publications that were never decided."""
    for directory in (folder / CHANGES_DIR, folder / RUNS_DIR):
        if directory.is_dir():
            for leftover in directory.glob("*.tmp"):
                leftover.unlink(missing_ok=True)
    base = folder / GENERATIONS_DIR
    if base.is_dir():
        for leftover in base.glob("*.tmp"):
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in folder.glob("*.tmp"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def previous_datapackage(folder: Path) -> dict[str, Any]:
    try:
        return Snapshot.open(folder).datapackage
    except (NoDataset, BrokenDataset):
        return {}


def _as_stored(page_id: str, line: bytes) -> bytes:
    return line


def publish(state: StateStore, run: str, *, complete: bool, report: dict[str, Any],
            finish: Finish = _as_stored) -> dict[str, Any]:
    """Publish the run; returns the report, completed with the change counts. `finish` turns a stored
    record line into the published one (what a chapter inherits from its book, for instance)."""
    folder = state.folder
    recover(state)
    stage = _Staged(folder, run)
    removals = state.to_remove(run) if complete else []
    removed_ids = {page_id for page_id, _, _ in removals}
    changes = stage.writer(f"{CHANGES_DIR}/{run}.jsonl")
    # First pass: what each file of the snapshot would hold, measured (bytes, sha256, records), not
    # written; the change set is written as it is found.
    measured = {name: JsonLinesWriter(_Discard()) for name in FILES}
    ops = {"added": 0, "modified": 0, "removed": 0, "unchanged": 0}
    published: list[tuple[str, str]] = []
    stamp = utc_now()
    for page_id, url, file, line, published_hash in state.live():
        if page_id in removed_ids:
            continue
        final = finish(page_id, line)
        measured[file].write_line(final)
        faults.point("publish.staging")
        if file not in CHANGE_FILES:
            continue
        digest = record_hash(final)
        if digest == published_hash:
            ops["unchanged"] += 1
            continue
        op = "added" if published_hash is None else "modified"
        ops[op] += 1
        record = orjson.loads(final)
        changes.write({"op": op, "id": record["id"], "url": url, "run": run, "at": stamp, "record": record})
        published.append((digest, page_id))
    tombstones: list[dict[str, Any]] = [
        {"id": page_id, "url": url, "removed_run": removed_run, "removed_at": removed_at}
        for page_id, url, removed_run, removed_at in state.tombstones()]
    for page_id, url, record in removals:
        data = orjson.loads(record) if record else {}
        if data.get("kind") in ("work", "toc", "author_index", "section_index"):
            ops["removed"] += 1
            changes.write({"op": "removed", "id": page_id, "url": url, "run": run, "at": stamp})
            tombstones.append({"id": page_id, "url": url, "removed_run": run, "removed_at": stamp})
    for tombstone in tombstones:
        measured["tombstones.jsonl"].write(tombstone)
    # A file the previous snapshot already holds, byte for byte, is linked into the new generation,
    # not written again: a run that changed nothing writes (almost) nothing.
    dirty = {name for name, writer in measured.items() if not stage.reuse(name, writer)}
    if dirty - {"tombstones.jsonl"}:
        for page_id, _, file, line, _ in state.live():
            if file in dirty and page_id not in removed_ids:
                stage.writer(file).write_line(finish(page_id, line))
    if "tombstones.jsonl" in dirty:
        writer = stage.writer("tombstones.jsonl")
        for tombstone in tombstones:
            writer.write(tombstone)
    for name in dirty:
        if stage.writer(name).sha256 != measured[name].sha256:  # the store is locked: cannot happen
            raise RuntimeError(f"{name} changed while it was published")
    report = {**report, "run": run, "complete": complete, "changes": ops, "published": stamp}
    stage.seal()
    stage.write_bytes(f"{RUNS_DIR}/{run}.json", orjson.dumps(report, option=orjson.OPT_INDENT_2))
    for relative, data in schema_files().items():
        if not stage.reuse_bytes(relative, data):
            stage.write_bytes(relative, data)
    _stage_datapackage(stage, report)  # last: a staged generation with a datapackage is whole
    stage.sync_folders()
    faults.point("publish.staged")
    with state.transaction() as db:
        db.executemany("UPDATE pages SET published_sha256 = ? WHERE id = ?", published)
        db.executemany(
            "UPDATE pages SET status = 'removed', removed_run = ?, removed_at = ?, published_sha256 = NULL "
            "WHERE id = ?", [(run, stamp, page_id) for page_id in removed_ids])
        db.execute("UPDATE runs SET finished = ?, status = ?, report = ?, published_seq = ? WHERE run = ?",
                   (stamp, "complete" if complete else "partial", orjson.dumps(report), state.next_publication(),
                    run))
        faults.point("publish.committing")
    faults.point("publish.committed")
    _complete(folder, run, state.published_runs(KEEP_GENERATIONS))
    return report


def _stage_datapackage(stage: _Staged, report: dict[str, Any]) -> None:
    folder = stage.folder
    previous = previous_datapackage(folder)
    snapshot_files = sorted(t for t in stage.writers if not t.startswith(CHANGES_DIR + "/"))
    resources = [_resource(t, stage.writers[t].bytes, stage.writers[t].sha256, stage.writers[t].records)
                 for t in snapshot_files]
    # Change sets in the order they were published (run ids need not sort), this run's last.
    this_run = f"{CHANGES_DIR}/{report['run']}.jsonl"
    for resource in previous.get("resources", []):
        path = str(resource.get("path", ""))
        if path.startswith(CHANGES_DIR + "/") and path != this_run and (folder / path).is_file():
            resources.append(resource)
    writer = stage.writers[this_run]
    resources.append(_resource(this_run, writer.bytes, writer.sha256, writer.records))
    runs = [r for r in previous.get("runs", []) if r.get("id") != report["run"]][-(RUNS_WINDOW - 1):]
    package = {
        "profile": "data-package",
        "name": "colophon-dataset",
        "title": "Colophon dataset",
        "schema_version": SCHEMA_VERSION,
        "created": previous.get("created", report.get("started", utc_now())),
        "updated": report["published"],
        "resources": resources,
        "runs": [*runs, {
            "id": report["run"], "started": report.get("started"), "finished": report["published"],
            "complete": report["complete"], "finish_reason": report.get("finish_reason"),
            "colophon_version": report.get("colophon_version"), "options": report.get("options", {}),
            "counts": report.get("counts", {}), "changes": report["changes"],
        }],
    }
    stage.write_bytes(DATAPACKAGE, orjson.dumps(package, option=orjson.OPT_INDENT_2))


def _resource(path: str, size: int, sha: str, records: int) -> dict[str, Any]:
    name = path.removesuffix(".jsonl").replace("/", "-")
    schema = "changes" if path.startswith(CHANGES_DIR + "/") else FILES[path][1]
    return {"name": name, "path": path, "format": "jsonl", "mediatype": "application/jsonl",
            "encoding": "utf-8", "bytes": size, "hash": f"sha256:{sha}", "records": records,
            "schema": f"schemas/{schema}.schema.json"}
