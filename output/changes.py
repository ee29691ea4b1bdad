"""Reading change sets: everything a consumer must apply to catch up since a given run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from output.snapshot import CHANGES_DIR, NoDataset, Snapshot


class UnknownRun(ValueError):
    pass


def _snapshot(source: Path | Snapshot) -> Snapshot | None:
    if isinstance(source, Snapshot):
        return source
    try:
        return Snapshot.open(source)
    except NoDataset:
        return None


def published_runs(source: Path | Snapshot) -> list[str]:
    """The runs of one snapshot whose change sets it lists, in order."""
    snapshot = _snapshot(source)
    if snapshot is None:
        return []
    return [run for run in snapshot.change_sets() if snapshot.path(f"{CHANGES_DIR}/{run}.jsonl").is_file()]


def changes_since(source: Path | Snapshot, since: str | None) -> Iterator[dict[str, Any]]:
    """The net change per record after run ``since`` (all runs when None), in run order.

    A record added and later modified comes out once, as added with its latest form; a record
    added and removed again within the window comes out not at all (the consumer never had it).
    """
    snapshot = _snapshot(source)
    runs = published_runs(snapshot) if snapshot is not None else []
    if since is not None:
        if since not in runs:
            where = snapshot.folder if snapshot is not None else source
            raise UnknownRun(f"no published run {since!r} in {where}; runs: {', '.join(runs) or 'none'}")
        runs = runs[runs.index(since) + 1:]
    net: dict[str, dict[str, Any]] = {}
    first_op: dict[str, str] = {}
    for run in runs:
        assert snapshot is not None  # runs is empty without one
        with open(snapshot.path(f"{CHANGES_DIR}/{run}.jsonl"), "rb") as handle:
            for line in handle:
                change = orjson.loads(line)
                key = change["id"] or change["url"]
                first_op.setdefault(key, change["op"])
                net.pop(key, None)
                net[key] = change  # re-inserted: order is that of the last change
    for key, change in net.items():
        if first_op[key] == "added":
            if change["op"] == "removed":
                continue
            change = {**change, "op": "added"}
        yield change
