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


def folded_into(source: Path | Snapshot, run: str) -> dict[str, Any] | None:
    """The compaction (`colophon compact`) whose change set holds run ``run``'s, if one does."""
    snapshot = _snapshot(source)
    for compaction in (snapshot.datapackage.get("compactions", []) if snapshot is not None else []):
        if run in compaction.get("folded", []):
            return dict(compaction)
    return None


def _unknown(snapshot: Snapshot | None, source: Path | Snapshot, since: str, runs: list[str]) -> UnknownRun:
    where = snapshot.folder if snapshot is not None else source
    compaction = folded_into(snapshot, since) if snapshot is not None else None
    if compaction is not None:
        return UnknownRun(f"run {since!r} was folded into the change set {compaction['id']!r} of {where} "
                          f"(`colophon compact --before {compaction['before']}`): read the snapshot again, "
                          f"then follow from {compaction['id']!r}")
    return UnknownRun(f"no published run {since!r} in {where}; runs: {', '.join(runs) or 'none'}")


def runs_after(source: Path | Snapshot, since: str | None) -> list[str]:
    """The change sets to apply after run ``since`` (all when None), in order. The last run a
    compaction folded stands for the compaction: a consumer that had read it goes on after it."""
    snapshot = _snapshot(source)
    runs = published_runs(snapshot) if snapshot is not None else []
    if since is None:
        return runs
    if since in runs:
        return runs[runs.index(since) + 1:]
    compaction = folded_into(snapshot, since) if snapshot is not None else None
    if compaction is not None and compaction["folded"][-1] == since and compaction["id"] in runs:
        return runs[runs.index(compaction["id"]) + 1:]
    raise _unknown(snapshot, source, since, runs)


def net_changes(paths: list[Path]) -> Iterator[bytes]:
    """The net change per record over the change sets at ``paths`` (in order), as lines, in the
    order of each record's last change. A record added and later modified comes out once, as added
    with its latest form; one added and removed again within them not at all (a consumer that
    starts before them never had it). Two passes, so only ids are held, never records."""
    first_op: dict[str, str] = {}
    last: dict[str, tuple[int, int]] = {}
    for number, path in enumerate(paths):
        with open(path, "rb") as handle:
            for line_number, line in enumerate(handle):
                change = orjson.loads(line)
                key = change["id"] or change["url"]
                first_op.setdefault(key, change["op"])
                last[key] = (number, line_number)
    for number, path in enumerate(paths):
        with open(path, "rb") as handle:
            for line_number, line in enumerate(handle):
                change = orjson.loads(line)
                key = change["id"] or change["url"]
                if last[key] != (number, line_number):
                    continue
                if first_op[key] == "added":
                    if change["op"] == "removed":
                        continue
                    if change["op"] != "added":
                        line = orjson.dumps({**change, "op": "added"}) + b"\n"
                yield line if line.endswith(b"\n") else line + b"\n"


def changes_since(source: Path | Snapshot, since: str | None) -> Iterator[dict[str, Any]]:
    """The net change per record after run ``since`` (all runs when None), in run order (see
    net_changes)."""
    snapshot = _snapshot(source)
    runs = runs_after(source if snapshot is None else snapshot, since)
    if snapshot is None:
        return
    for line in net_changes([snapshot.path(f"{CHANGES_DIR}/{run}.jsonl") for run in runs]):
        yield orjson.loads(line)
