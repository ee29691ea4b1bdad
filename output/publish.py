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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from models import SCHEMA_VERSION, utc_now
from output import faults
from output.atomic import fsync_dir
from output.dataset import FILES, SHARD_BYTES, bucket, part_path, schema_files, shard_count, shard_of
from output.jsonl import JsonLinesWriter, dumps, with_record
from output.snapshot import (
    CHANGES_DIR,
    DATAPACKAGE,
    GENERATIONS_DIR,
    KEEP_GENERATIONS,
    RECORD_DIRS,
    RUNS_DIR,
    SCHEMA_DIR,
    SINGLE_FILES,
    SNAPSHOT_FILES,
    SNAPSHOT_LINK,
    BrokenDataset,
    NoDataset,
    Snapshot,
    current_generation,
    resource_name,
)
from output.state import Position, StateStore, record_hash
from output.warc import describe, sealed_files, warc_dir
from output.warc import resource as warc_resource

CHANGE_FILES = ("works.jsonl", "indexes.jsonl")
TOMBSTONES = "tombstones.jsonl"
TOMBSTONED = ("work", "toc", "author_index", "section_index")  # kinds whose removal is published
TOMBSTONE_BYTES = 160  # about what one tombstone line holds, to size the tombstone shards
LEGACY_JOURNAL = ".publish.journal"
RUNS_WINDOW = 50  # runs described in datapackage.json; every run's report stays in runs/


class Staged:
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

    def link(self, source: Path, target: str) -> bool:
        path = self.path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, path)
        except OSError:  # a filesystem without hard links: the file is written instead
            return False
        return True

    def reuse_part(self, part: dict[str, Any] | None) -> bool:
        """Link a shard of the published snapshot into this one, as it is listed there."""
        if part is None:
            return False
        target = str(part["path"])
        source = self._previous(target)
        return source is not None and source.stat().st_size == part.get("bytes") and self.link(source, target)

    def reuse_bytes(self, target: str, data: bytes) -> bool:
        source = self._previous(target)
        return source is not None and source.read_bytes() == data and self.link(source, target)

    def seal(self) -> None:
        """Close every staged JSON Lines file, fsynced."""
        for handle in self.handles.values():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()

    def sync_folders(self) -> None:
        folders = {self.generation, self.generation / SCHEMA_DIR, self.folder / CHANGES_DIR,
                   self.folder / RUNS_DIR, self.generation.parent}
        folders |= {self.generation / name for name in RECORD_DIRS}
        for folder in folders:
            if folder.is_dir():
                fsync_dir(folder)


def _feed_files(run: str) -> list[str]:
    return [f"{CHANGES_DIR}/{run}.jsonl", f"{RUNS_DIR}/{run}.json"]


def recover(state: StateStore) -> None:
    """Finish the last decided publication if a killed process left it half done, and sweep away
    whatever an undecided one had staged."""
    folder = state.folder
    (folder / LEGACY_JOURNAL).unlink(missing_ok=True)
    recent = state.published_runs(KEEP_GENERATIONS)
    if recent and (folder / GENERATIONS_DIR).is_dir():
        complete_publication(folder, recent[0], recent)
    _sweep(folder)
    drop_folded(folder)  # a compaction killed after its publication


def drop_folded(folder: Path) -> int:
    """Remove the change set files the published snapshot lists as folded (left by a compaction
    killed after its publication); returns how many."""
    try:
        snapshot = Snapshot.open(folder)
    except (NoDataset, BrokenDataset):
        return 0
    listed = set(snapshot.change_sets())
    dropped = 0
    for compaction in snapshot.datapackage.get("compactions", []):
        for run in compaction.get("folded", []):
            path = folder / CHANGES_DIR / f"{run}.jsonl"
            if run not in listed and path.is_file():
                path.unlink()
                dropped += 1
    return dropped


def complete_publication(folder: Path, run: str, keep: list[str]) -> None:
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
    """The names people read (`works/`, `datapackage.json`, `schemas/`) as symlinks through
    `snapshot`; made once (an older folder's plain files, and its one-file names such as
    `works.jsonl`, are replaced)."""
    for name in SINGLE_FILES:
        legacy = folder / name
        if legacy.is_symlink() or legacy.is_file():
            legacy.unlink()
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


class Finish(Protocol):
    """Turns a stored record line into the published one (what a chapter inherits from its book),
    and says what else than the record itself the published line depends on (its `basis`): a
    record whose basis and stored form are as last published is not read again."""

    def basis(self, page_id: str) -> str: ...

    def __call__(self, page_id: str, line: bytes) -> bytes: ...


class AsStored:
    """Records published as they are stored."""

    def basis(self, page_id: str) -> str:
        return ""

    def __call__(self, page_id: str, line: bytes) -> bytes:
        return line


@dataclass
class _Entry:
    """One page of the snapshot being published: where it goes, and what was published of it."""

    position: Position
    file: str
    shard: int
    basis: str
    tombstone: dict[str, Any] | None = None  # the tombstone it publishes, for a removed page


@dataclass
class _Layout:
    """How many shards each record file has in the new snapshot, and which it had before."""

    shards: dict[str, int]
    previous: dict[str, list[dict[str, Any]]]  # file -> the parts the published snapshot lists

    def resharded(self, file: str) -> bool:
        return len(self.previous.get(file, [])) != self.shards[file] or any(
            part.get("path") != part_path(file, index) for index, part in enumerate(self.previous[file]))


def _layout(entries: list[_Entry], previous: Snapshot | None, shard_bytes: int) -> _Layout:
    size = dict.fromkeys(FILES, 0)
    for entry in entries:
        size[entry.file] += entry.position.size or 0 if entry.tombstone is None else TOMBSTONE_BYTES
    parts = {file: previous.parts(file) if previous is not None else [] for file in FILES}
    shards = {}
    for file in FILES:
        listed = len(parts[file])
        resource = previous.resource(file) if previous is not None else None
        # Shards are kept as they are; one file of a snapshot published before shards is not.
        sharded = resource is not None and isinstance(resource.get("path"), list) and not listed & (listed - 1)
        shards[file] = shard_count(size[file], listed if sharded else 1, shard_bytes)
    return _Layout(shards, parts)


def _entries(positions: list[Position], removals: dict[str, tuple[str, str | None]], run: str, stamp: str,
             finish: Finish) -> list[_Entry]:
    """Every page the new snapshot holds (records and tombstones), from the store's metadata."""
    entries = []
    for position in positions:
        if position.status == "live" and position.id not in removals and position.file in FILES:
            file, tombstone = position.file, None
            basis = f"{position.record_sha256}|{finish.basis(position.id)}"
            if basis == position.published_basis:
                basis = position.published_basis  # one string held, not two equal ones
        elif (position.kind in TOMBSTONED or position.published_file == TOMBSTONES) and (
                position.status == "removed" or position.id in removals):
            removed_run, removed_at = (run, stamp) if position.id in removals else \
                (position.removed_run, position.removed_at)
            file = TOMBSTONES
            tombstone = {"id": position.id, "url": position.url, "removed_run": removed_run,
                         "removed_at": removed_at}
            basis = f"removed|{removed_run}|{removed_at}"
        else:
            continue  # a page never published, or a removed page that was no record
        entries.append(_Entry(position, file, 0, basis, tombstone))
    return entries


def publish(state: StateStore, run: str, *, complete: bool, report: dict[str, Any],
            finish: Finish | None = None, shard_bytes: int = SHARD_BYTES) -> dict[str, Any]:
    """Publish the run; returns the report, completed with the change counts. A record type's
    shards double when one would outgrow `shard_bytes` (output.dataset).

    Only what changed is read and written: a shard none of whose records changed (in its stored
    form or in what it inherits, as their `basis` says) is linked from the published snapshot."""
    finish = finish or AsStored()
    folder = state.folder
    recover(state)
    stage = Staged(folder, run)
    stamp = utc_now()
    removals = {page_id: (url, kind) for page_id, url, kind in state.to_remove(run)} if complete else {}
    positions = state.positions()
    published_before = {p.id for p in positions if p.published_file is not None}
    entries = _entries(positions, removals, run, stamp, finish)
    layout = _layout(entries, stage.previous, shard_bytes)
    groups: dict[tuple[str, int], list[_Entry]] = {(file, index): [] for file in FILES
                                                   for index in range(layout.shards[file])}
    for entry in entries:
        entry.shard = shard_of(bucket(entry.position.id), layout.shards[entry.file])
        groups[(entry.file, entry.shard)].append(entry)
    # The shards that lose a record: it moved to another file (a work removed is a tombstone now),
    # or left the snapshot.
    kept = {entry.position.id: entry.file for entry in entries}
    left = {(p.published_file, shard_of(bucket(p.id), layout.shards[p.published_file])) for p in positions
            if p.published_file in FILES and kept.get(p.id) != p.published_file}
    changes = stage.writer(f"{CHANGES_DIR}/{run}.jsonl")
    ops = {"added": 0, "modified": 0, "removed": 0, "unchanged": 0}
    published: list[tuple[str | None, str | None, str | None, str]] = []
    parts: dict[str, list[dict[str, Any]]] = {file: [] for file in FILES}
    resharded_files = {file for file in FILES if layout.resharded(file)}
    for (file, index), members in groups.items():
        members.sort(key=lambda entry: entry.position.id)
        target = part_path(file, index)
        resharded = file in resharded_files
        moved = resharded or (file, index) in left or any(e.position.published_file != file for e in members)
        stale = [e for e in members if moved or e.basis != e.position.published_basis]
        lines, as_stored = _finals(state, stale, finish)
        # Each line hashed once; one published as it is stored has its hash in the store already.
        digests = {e.position.id: e.position.record_sha256 if e.position.id in as_stored and e.position.record_sha256
                   else record_hash(lines[e.position.id]) for e in stale}
        changed = moved or any(digests[e.position.id] != e.position.published_sha256 or (
            e.position.published_basis is None and e.position.published_file is not None) for e in stale)
        previous_part = None if resharded else layout.previous[file][index]
        if not changed and stage.reuse_part(previous_part):
            assert previous_part is not None
            parts[file].append({key: previous_part[key] for key in ("path", "bytes", "hash", "records")})
        else:
            lines.update(_finals(state, [e for e in members if e.position.id not in lines], finish)[0])
            writer = stage.writer(target)
            for entry in members:
                writer.write_line(lines[entry.position.id])
                faults.point("publish.staging")
            parts[file].append({"path": target, "bytes": writer.bytes, "hash": f"sha256:{writer.sha256}",
                                "records": writer.records})
        for entry in stale:
            position, line = entry.position, lines[entry.position.id]
            digest = digests[position.id]
            if digest != position.published_sha256 or position.published_file != file:
                published.append((file, digest, entry.basis, position.id))
                if file in CHANGE_FILES and digest != position.published_sha256:
                    op = "modified" if position.published_file in CHANGE_FILES or (
                        position.published_file is None and position.published_sha256 is not None) else "added"
                    ops[op] += 1
                    changes.write_line(with_record({"op": op, "id": position.id, "url": position.url, "run": run,
                                                    "at": stamp}, line))
            elif entry.basis != position.published_basis:
                published.append((file, digest, entry.basis, position.id))
    ops["unchanged"] = sum(1 for e in entries if e.file in CHANGE_FILES) - ops["added"] - ops["modified"]
    published += [(None, None, None, page_id) for page_id in published_before - kept.keys()]  # not published now
    for page_id, (url, kind) in removals.items():
        if kind in TOMBSTONED:
            ops["removed"] += 1
            changes.write({"op": "removed", "id": page_id, "url": url, "run": run, "at": stamp})
    report = {**report, "run": run, "complete": complete, "changes": ops, "published": stamp}
    stage.seal()
    stage.write_bytes(f"{RUNS_DIR}/{run}.json", orjson.dumps(report, option=orjson.OPT_INDENT_2))
    for relative, data in schema_files().items():
        if not stage.reuse_bytes(relative, data):
            stage.write_bytes(relative, data)
    _stage_datapackage(stage, report, parts, warc_resources(state))  # last: a staged generation with one is whole
    stage.sync_folders()
    faults.point("publish.staged")
    with state.transaction() as db:
        db.executemany("UPDATE pages SET published_file = ?, published_sha256 = ?, published_basis = ? WHERE id = ?",
                       published)
        db.executemany(
            "UPDATE pages SET status = 'removed', removed_run = ?, removed_at = ? WHERE id = ?",
            [(run, stamp, page_id) for page_id in removals])
        db.execute("UPDATE runs SET finished = ?, status = ?, report = ?, published_seq = ? WHERE run = ?",
                   (stamp, "complete" if complete else "partial", orjson.dumps(report), state.next_publication(),
                    run))
        faults.point("publish.committing")
    faults.point("publish.committed")
    complete_publication(folder, run, state.published_runs(KEEP_GENERATIONS))
    return report


def _finals(state: StateStore, entries: list[_Entry], finish: Finish) -> tuple[dict[str, bytes], set[str]]:
    """The published line of each entry: its record as `finish` completes it, or its tombstone; and
    the entries whose line is their stored line, as it is (the store holds its hash)."""
    lines = {e.position.id: dumps(e.tombstone) for e in entries if e.tombstone is not None}
    stored = state.bodies([e.position.id for e in entries if e.tombstone is None])
    as_stored = set()
    for page_id, line in stored.items():
        lines[page_id] = final = finish(page_id, line)
        if final is line:
            as_stored.add(page_id)
    return lines, as_stored


def warc_resources(state: StateStore) -> list[dict[str, Any]]:
    """The sealed WARC files of the dataset, as resources. A file the store does not list (a store
    rebuilt from the published dataset) is hashed once and listed from then on."""
    listed = {sealed.name: sealed for sealed in state.warcs()}
    present = sealed_files(state.folder)
    for name in present:
        if name not in listed:
            listed[name] = describe(warc_dir(state.folder) / name)
            state.add_warc(listed[name], None)
    return [warc_resource(listed[name]) for name in present]


def _stage_datapackage(stage: Staged, report: dict[str, Any], parts: dict[str, list[dict[str, Any]]],
                       warcs: list[dict[str, Any]]) -> None:
    folder = stage.folder
    previous = previous_datapackage(folder)
    resources = [_record_resource(file, parts[file]) for file in FILES]
    resources += warcs
    # Change sets in the order they were published (run ids need not sort), this run's last.
    this_run = f"{CHANGES_DIR}/{report['run']}.jsonl"
    for resource in previous.get("resources", []):
        path = resource.get("path", "")
        if isinstance(path, str) and path.startswith(CHANGES_DIR + "/") and path != this_run \
                and (folder / path).is_file():
            resources.append(resource)
    writer = stage.writers[this_run]
    resources.append(change_resource(this_run, writer.bytes, writer.sha256, writer.records))
    runs = [r for r in previous.get("runs", []) if r.get("id") != report["run"]][-(RUNS_WINDOW - 1):]
    package = {
        "profile": "data-package",
        "name": "colophon-dataset",
        "title": "Colophon dataset",
        "schema_version": SCHEMA_VERSION,
        "created": previous.get("created", report.get("started", utc_now())),
        "updated": report["published"],
        "resources": resources,
        **({"compactions": previous["compactions"]} if previous.get("compactions") else {}),
        "runs": [*runs, {
            "id": report["run"], "started": report.get("started"), "finished": report["published"],
            "complete": report["complete"], "finish_reason": report.get("finish_reason"),
            "colophon_version": report.get("colophon_version"), "options": report.get("options", {}),
            "counts": report.get("counts", {}), "changes": report["changes"],
        }],
    }
    stage.write_bytes(DATAPACKAGE, orjson.dumps(package, option=orjson.OPT_INDENT_2))


# Frictionless sees each record file as a file resource (its bytes and hash checked by `frictionless
# validate`): nested records are beyond a Table Schema, and an empty JSON Lines file is no table to it.
# What each line holds is the JSON Schema under `jsonschema` (checked by `colophon validate`).
_FORMAT = {"type": "file", "format": "jsonl", "mediatype": "application/jsonl", "encoding": "utf-8"}


def _record_resource(file: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """A record file as one resource of many parts (Frictionless multi-part `path`), each part's
    size, hash and record count beside it (and the whole's hash, when it is one part)."""
    whole = {"hash": parts[0]["hash"]} if len(parts) == 1 else {}
    return {"name": resource_name(file), "path": [part["path"] for part in parts], **_FORMAT,
            "bytes": sum(part["bytes"] for part in parts), **whole,
            "records": sum(part["records"] for part in parts),
            "jsonschema": f"schemas/{FILES[file][1]}.schema.json", "parts": parts}


def change_resource(path: str, size: int, sha: str, records: int) -> dict[str, Any]:
    """A change set's resource; its name in lower case, as Frictionless names must be."""
    return {"name": path.removesuffix(".jsonl").replace("/", "-").lower(), "path": path, **_FORMAT, "bytes": size,
            "hash": f"sha256:{sha}", "records": records, "jsonschema": "schemas/changes.schema.json"}
