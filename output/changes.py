"""Reading change sets: everything a consumer must apply to catch up since a given run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from output.dataset import read_datapackage
from output.publish import CHANGES_DIR


class UnknownRun(ValueError):
    pass


def published_runs(folder: Path) -> list[str]:
    package = read_datapackage(folder) or {}
    return [run["id"] for run in package.get("runs", []) if (folder / CHANGES_DIR / f"{run['id']}.jsonl").is_file()]


def changes_since(folder: Path, since: str | None) -> Iterator[dict[str, Any]]:
    """The net change per record after run ``since`` (all runs when None), in run order.

    A record added and later modified comes out once, as added with its latest form; a record
    added and removed again within the window comes out not at all (the consumer never had it).
    """
    runs = published_runs(folder)
    if since is not None:
        if since not in runs:
            raise UnknownRun(f"no published run {since!r} in {folder}; runs: {', '.join(runs) or 'none'}")
        runs = runs[runs.index(since) + 1:]
    net: dict[str, dict[str, Any]] = {}
    first_op: dict[str, str] = {}
    for run in runs:
        with open(folder / CHANGES_DIR / f"{run}.jsonl", "rb") as handle:
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
