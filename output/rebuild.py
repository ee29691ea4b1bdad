"""Rebuilding a lost state store from what was published: the snapshot, its tombstones and its runs.

The rebuilt store knows every published record (with its published hash, so the next run reports
only real changes), every removal (so tombstones persist) and every run (so `changes --since` and
resumption keep working). It cannot know validators or where each page leads: every page is
fetched again, unconditionally, by the next run, and a run that cannot fetch a page whose links
are unknown removes nothing.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson

from output.snapshot import RUNS_DIR, Snapshot
from output.state import STATE_FILE, StateStore, record_hash

SNAPSHOT_RECORDS = ("works.jsonl", "indexes.jsonl", "other.jsonl", "rejects.jsonl")


def set_aside(folder: Path) -> Path | None:
    """Move a damaged store (and its WAL files) out of the way, kept for inspection."""
    path = folder / STATE_FILE
    if not path.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = folder / f"{STATE_FILE}.damaged-{stamp}"
    os.replace(path, kept)
    for suffix in ("-wal", "-shm"):
        (folder / f"{STATE_FILE}{suffix}").unlink(missing_ok=True)
    return kept


def _root(records: list[dict[str, Any]]) -> str | None:
    """The archive root the published records were made under (their url minus their id)."""
    roots: collections.Counter[str] = collections.Counter()
    for record in records:
        page_id, url = record.get("id"), record.get("url")
        if page_id and url and url.endswith(quote(page_id)):
            roots[url[: len(url) - len(quote(page_id))]] += 1
    return roots.most_common(1)[0][0] if roots else None


def _reject_id(url: str, root: str | None) -> str:
    if root and url.startswith(root):
        path = unquote(urlsplit(url[len(root) - 1:]).path.lstrip("/"))
        return path + "index.htm" if not path or path.endswith("/") else path
    return url


def rebuild_state(folder: Path, held: Any = None) -> dict[str, int]:
    """Write a new state store from the folder's published dataset; returns what it holds. `held`:
    the folder's lock, when the caller holds it across its checks."""
    snapshot = Snapshot.open(folder)
    store = StateStore.open(folder, guard=False, held=held)
    try:
        counts = {"records": 0, "tombstones": 0, "runs": 0}
        runs = snapshot.runs()
        last_run = runs[-1]["id"] if runs else None
        root = _root([orjson.loads(line) for line in itertools.islice(snapshot.lines("works.jsonl"), 1000)])
        with store.transaction() as db:
            for run in runs:
                report_path = snapshot.path(f"{RUNS_DIR}/{run['id']}.json")
                report = orjson.loads(report_path.read_bytes()) if report_path.is_file() else run
                db.execute("INSERT OR REPLACE INTO runs (run, started, finished, status, options, report) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (run["id"], run.get("started") or run.get("finished") or "", run.get("finished"),
                            "complete" if run.get("complete") else "partial",
                            orjson.dumps(run.get("options", {})), orjson.dumps(report)))
                counts["runs"] += 1
            for name in SNAPSHOT_RECORDS:
                for line in snapshot.lines(name):
                    record = orjson.loads(line)
                    page_id = record.get("id") or _reject_id(record["url"], root)
                    seen = (record.get("provenance") or {}).get("fetched_at") or record.get("fetched_at")
                    digest = record_hash(line)
                    series = record.get("series") or {}
                    # The published line is kept as the stored record: what it inherited is part of
                    # it, and the next run's publication compares against it as it was published.
                    db.execute(
                        "INSERT OR REPLACE INTO pages (id, url, file, kind, status, record_sha256, published_sha256, "
                        "published_file, size, next_url, first_seen, last_changed) "
                        "VALUES (?, ?, ?, ?, 'live', ?, ?, ?, ?, ?, ?, ?)",
                        (page_id, record["url"], name, record.get("kind"), digest, digest, name, len(line),
                         series.get("next_url"), seen, seen))
                    db.execute("INSERT OR REPLACE INTO visits (id, seen_run, last_seen) VALUES (?, ?, ?)",
                               (page_id, last_run, seen))
                    db.execute("INSERT OR REPLACE INTO bodies (id, record) VALUES (?, ?)", (page_id, line))
                    counts["records"] += 1
            for line in snapshot.lines("tombstones.jsonl"):
                tombstone = orjson.loads(line)
                cursor = db.execute(
                    "INSERT INTO pages (id, url, status, removed_run, removed_at, published_file, published_sha256) "
                    "VALUES (?, ?, 'removed', ?, ?, 'tombstones.jsonl', ?) ON CONFLICT(id) DO NOTHING",
                    (tombstone["id"] or tombstone["url"], tombstone["url"], tombstone["removed_run"],
                     tombstone["removed_at"], record_hash(line)))
                if cursor.rowcount:
                    db.execute("INSERT OR REPLACE INTO visits (id, seen_run) VALUES (?, ?)",
                               (tombstone["id"] or tombstone["url"], tombstone["removed_run"]))
                counts["tombstones"] += 1
    finally:
        store.close()
    return counts
