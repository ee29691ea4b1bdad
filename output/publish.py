"""Publishing a run: the snapshot files, its change set, tombstones, run report and datapackage.json,
all at once or not at all.

Every file is first written beside its target and fsynced; a journal naming the renames is
written; the state store then commits the run (published hashes, removals, run status) in one
transaction; only then are the files renamed into place and the journal deleted.  A process
killed anywhere in between is recovered on the next open: a journal whose run is committed is
rolled forward, any other is rolled back, so readers only ever see the last complete snapshot.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import orjson

from models import SCHEMA_VERSION, PartOf, Work, utc_now
from output.atomic import fsync_dir
from output.dataset import FILES, read_datapackage, write_schemas
from output.jsonl import JsonLinesWriter
from output.state import StateStore, record_hash

JOURNAL = ".publish.journal"
CHANGES_DIR = "changes"
RUNS_DIR = "runs"
CHANGE_FILES = ("works.jsonl", "indexes.jsonl")  # consumers' records; rejects and others are not


class _Staged:
    """Files written beside their targets, renamed into place together."""

    def __init__(self, folder: Path, run: str) -> None:
        self.folder = folder
        self.run = run
        self.handles: dict[str, BinaryIO] = {}
        self.writers: dict[str, JsonLinesWriter] = {}

    def temp(self, target: str) -> Path:
        return self.folder / f"{target}.{self.run}.tmp"

    def writer(self, target: str) -> JsonLinesWriter:
        if target not in self.writers:
            path = self.temp(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.handles[target] = open(path, "wb")  # noqa: SIM115 - closed in seal()
            self.writers[target] = JsonLinesWriter(self.handles[target])
        return self.writers[target]

    def write_bytes(self, target: str, data: bytes) -> None:
        path = self.temp(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def seal(self) -> list[str]:
        """Close every staged JSON Lines file (fsynced); the targets staged so far."""
        for handle in self.handles.values():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        return list(self.writers)


def recover(state: StateStore) -> None:
    """Finish or undo a publication a killed process left half done."""
    folder = state.folder
    journal = folder / JOURNAL
    if not journal.is_file():
        _sweep(folder)
        return
    try:
        plan = orjson.loads(journal.read_bytes())
    except orjson.JSONDecodeError:
        plan = None
    committed = False
    if plan:
        row = state.db.execute("SELECT status FROM runs WHERE run = ?", (plan["run"],)).fetchone()
        committed = row is not None and row[0] != "running"
    if committed and plan:
        for temporary, target in plan["renames"]:
            if (folder / temporary).exists():
                os.replace(folder / temporary, folder / target)
        fsync_dir(folder)
    journal.unlink()
    _sweep(folder)


def _sweep(folder: Path) -> None:
    for leftover in folder.rglob("*.tmp"):
        leftover.unlink(missing_ok=True)


class _Inheritance:
    """What chapters take from their contents page, and which part links back to which (by id)."""

    def __init__(self, state: StateStore) -> None:
        self.chapter_of: dict[str, tuple[str, str, dict[str, Any]]] = {}
        for toc_id, url, record, links in state.tocs():
            toc = orjson.loads(record)
            folder = toc_id.rsplit("/", 1)[0] + "/" if "/" in toc_id else ""
            for link in orjson.loads(links or b"[]"):
                if link.startswith(folder) and "/" not in link[len(folder):] and link != toc_id:
                    self.chapter_of.setdefault(link, (toc_id, url, toc))
        self.previous_of: dict[str, str] = {}
        for page_id, url, next_url in state.series_links():
            root = url[: len(url) - len(page_id)]
            if next_url.startswith(root):
                self.previous_of.setdefault(unquote(next_url[len(root):]), url)

    def apply(self, page_id: str, line: bytes) -> bytes:
        toc_entry = self.chapter_of.get(page_id)
        previous = self.previous_of.get(page_id)
        if toc_entry is None and previous is None:
            return line
        data = orjson.loads(line)
        if data.get("kind") not in ("work", "toc"):
            return line
        changed = False
        if toc_entry is not None and data["kind"] == "work":
            _, toc_url, toc = toc_entry
            root = data["url"][: len(data["url"]) - len(page_id)]
            toc_url = root + toc["id"]  # the contents page as reached from this record's host
            if data.get("part_of") is None:
                data["part_of"] = PartOf(title=toc["title"], url=toc_url).model_dump(mode="json")
            for key in ("citation", "date"):
                if data.get(key) is None and toc.get(key) is not None:
                    data[key] = toc[key]
            if data["licence"]["status"] == "unknown" and toc["licence"]["status"] != "unknown":
                data["licence"] = toc["licence"]
            translators = [c for c in toc["credits"] if c["role"] == "translation"]
            if translators and not any(c["role"] == "translation" for c in data["credits"]):
                data["credits"] = [*data["credits"], *translators]
            changed = True
        if previous and data.get("series") and data["series"].get("previous_url") is None:
            data["series"]["previous_url"] = previous
            changed = True
        if not changed:
            return line
        return orjson.dumps(Work.model_validate(data).model_dump(mode="json")) + b"\n"


def publish(state: StateStore, run: str, *, complete: bool, report: dict[str, Any]) -> dict[str, Any]:
    """Publish the run; returns the report, completed with the change counts."""
    folder = state.folder
    recover(state)
    stage = _Staged(folder, run)
    inheritance = _Inheritance(state)
    removals = state.to_remove(run) if complete else []
    removed_ids = {page_id for page_id, _, _ in removals}
    changes = stage.writer(f"{CHANGES_DIR}/{run}.jsonl")
    for name in FILES:
        if name != "tombstones.jsonl":
            stage.writer(name)
    ops = {"added": 0, "modified": 0, "removed": 0, "unchanged": 0}
    published: list[tuple[str, str]] = []
    stamp = utc_now()
    for page_id, url, file, line, published_hash in state.live():
        if page_id in removed_ids:
            continue
        final = inheritance.apply(page_id, line)
        stage.writer(file).write_line(final)
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
    tombstones = stage.writer("tombstones.jsonl")
    for page_id, url, removed_run, removed_at in state.tombstones():
        tombstones.write({"id": page_id, "url": url, "removed_run": removed_run, "removed_at": removed_at})
    for page_id, url, record in removals:
        data = orjson.loads(record) if record else {}
        if data.get("kind") in ("work", "toc", "author_index", "section_index"):
            ops["removed"] += 1
            changes.write({"op": "removed", "id": page_id, "url": url, "run": run, "at": stamp})
            tombstones.write({"id": page_id, "url": url, "removed_run": run, "removed_at": stamp})
    report = {**report, "run": run, "complete": complete, "changes": ops, "published": stamp}
    targets = stage.seal()
    stage.write_bytes(f"{RUNS_DIR}/{run}.json", orjson.dumps(report, option=orjson.OPT_INDENT_2))
    _stage_datapackage(stage, report)
    targets += [f"{RUNS_DIR}/{run}.json", "datapackage.json"]
    renames = [(str(stage.temp(t).relative_to(folder)), t) for t in targets]
    journal = folder / JOURNAL
    with open(journal, "wb") as handle:
        handle.write(orjson.dumps({"run": run, "renames": renames}))
        handle.flush()
        os.fsync(handle.fileno())
    fsync_dir(folder)
    with state.db:
        state.db.executemany("UPDATE pages SET published_sha256 = ? WHERE id = ?", published)
        state.db.executemany(
            "UPDATE pages SET status = 'removed', removed_run = ?, removed_at = ?, published_sha256 = NULL "
            "WHERE id = ?", [(run, stamp, page_id) for page_id in removed_ids])
        state.end_run(run, stamp, "complete" if complete else "partial", report)
    for temporary, target in renames:
        os.replace(folder / temporary, folder / target)
    fsync_dir(folder)
    journal.unlink()
    fsync_dir(folder)
    return report


def _stage_datapackage(stage: _Staged, report: dict[str, Any]) -> None:
    folder = stage.folder
    write_schemas(folder)
    previous = read_datapackage(folder) or {}
    resources = []
    targets = sorted(stage.writers, key=lambda t: (t.startswith(CHANGES_DIR), t))
    old_changes = [r for r in previous.get("resources", []) if str(r.get("path", "")).startswith(CHANGES_DIR + "/")]
    for target in targets:
        writer = stage.writers[target]
        resources.append(_resource(target, writer.bytes, writer.sha256, writer.records))
    listed = {r["path"] for r in resources}
    for resource in old_changes:
        if resource["path"] not in listed and (folder / resource["path"]).is_file():
            resources.append(resource)
    resources.sort(key=lambda r: (r["path"].startswith(CHANGES_DIR), r["path"]))
    package = {
        "profile": "data-package",
        "name": "colophon-dataset",
        "title": "Colophon dataset",
        "schema_version": SCHEMA_VERSION,
        "created": previous.get("created", report.get("started", utc_now())),
        "updated": report["published"],
        "resources": resources,
        "runs": [*[r for r in previous.get("runs", []) if r.get("id") != report["run"]], {
            "id": report["run"], "started": report.get("started"), "finished": report["published"],
            "complete": report["complete"], "finish_reason": report.get("finish_reason"),
            "colophon_version": report.get("colophon_version"), "options": report.get("options", {}),
            "counts": report.get("counts", {}), "changes": report["changes"],
        }],
    }
    stage.write_bytes("datapackage.json", orjson.dumps(package, option=orjson.OPT_INDENT_2))


def _resource(path: str, size: int, sha: str, records: int) -> dict[str, Any]:
    name = path.removesuffix(".jsonl").replace("/", "-")
    schema = "changes" if path.startswith(CHANGES_DIR + "/") else FILES[path][1]
    return {"name": name, "path": path, "format": "jsonl", "mediatype": "application/jsonl",
            "encoding": "utf-8", "bytes": size, "hash": f"sha256:{sha}", "records": records,
            "schema": f"schemas/{schema}.schema.json"}
