"""Compacting the change feed: the change sets of every run before a given one folded into one, as
a publication of its own (output.publish's steps: staged, decided in the state store, swapped in).

The compacted set holds the net change per record over the folded runs (output.changes.net_changes),
so a consumer that starts from nothing, or had read the last folded run, loses nothing; its
datapackage entry and `datapackage.json`'s `compactions` list say which runs it folded, and
`colophon changes --since` a run folded before the last one says to read the snapshot again. The
folded runs' reports stay in `runs/`; their change set files are removed once the compacted one is
published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from models import utc_now
from output import faults
from output.changes import UnknownRun, net_changes, published_runs
from output.publish import Staged, change_resource, complete_publication, drop_folded, recover
from output.snapshot import CHANGES_DIR, DATAPACKAGE, KEEP_GENERATIONS, RUNS_DIR, Snapshot
from output.state import StateStore, new_run_id

COMPACTION_PREFIX = "compacted-"


class CompactRefused(ValueError):
    """A folder whose snapshot cannot be compacted as it stands."""


def compact(folder: Path, before: str) -> dict[str, Any]:
    """Fold the change sets of the runs published before run ``before`` into one. Returns the
    compaction as `datapackage.json` lists it (``folded`` empty when there was nothing to fold).
    Raises UnknownRun when ``before`` is no published run of the folder, CompactRefused when the
    folder's snapshot is of the layout before generations."""
    state = StateStore.open(folder, create=False)  # the folder's lock: no crawl publishes meanwhile
    try:
        recover(state)
        drop_folded(folder)
        snapshot = Snapshot.open(folder)
        if snapshot.run is None:
            raise CompactRefused(f"{folder} was published by an earlier version (no snapshot generations); "
                                 "the next crawl republishes it, compact after that")
        runs = published_runs(snapshot)
        if before not in runs:
            raise UnknownRun(f"no published run {before!r} in {folder}; runs: {', '.join(runs) or 'none'}")
        folded = runs[:runs.index(before)]
        if len(folded) < 2:
            return {"folded": folded, "before": before, "id": None}
        return _publish(state, snapshot, folded, before)
    finally:
        state.close()


def _publish(state: StateStore, snapshot: Snapshot, folded: list[str], before: str) -> dict[str, Any]:
    folder = state.folder
    run = COMPACTION_PREFIX + new_run_id()  # a name no run or compaction has had
    stamp = utc_now()
    stage = Staged(folder, run)
    # The snapshot's files as they are: every one linked (or copied) into the new generation.
    for file in sorted(snapshot.root.rglob("*")):
        relative = file.relative_to(snapshot.root).as_posix()
        if file.is_file() and relative != DATAPACKAGE and not stage.link(file, relative):
            stage.write_bytes(relative, file.read_bytes())
    target = f"{CHANGES_DIR}/{run}.jsonl"
    writer = stage.writer(target)
    ops = {"added": 0, "modified": 0, "removed": 0}
    for line in net_changes([folder / CHANGES_DIR / f"{name}.jsonl" for name in folded]):
        writer.write_line(line)
        op = orjson.loads(line)["op"]
        ops[op] = ops.get(op, 0) + 1
        faults.point("compact.staging")
    stage.seal()
    compaction = {"id": run, "path": target, "folded": folded, "before": before, "at": stamp,
                  "records": writer.records, "changes": ops}
    report = {"run": run, "compaction": compaction, "published": stamp, "changes": ops}
    stage.write_bytes(f"{RUNS_DIR}/{run}.json", orjson.dumps(report, option=orjson.OPT_INDENT_2))
    package = dict(snapshot.datapackage)
    resources: list[dict[str, Any]] = []
    placed = False
    for resource in package.get("resources", []):
        path = str(resource.get("path", ""))
        if path.startswith(CHANGES_DIR + "/") and path[len(CHANGES_DIR) + 1:-len(".jsonl")] in folded:
            if not placed:  # where the first folded change set stood: the feed keeps its order
                resources.append({**change_resource(target, writer.bytes, writer.sha256, writer.records),
                                  "folds": folded})
                placed = True
            continue
        resources.append(resource)
    package.update(resources=resources, updated=stamp,
                   compactions=[*package.get("compactions", []), compaction])
    stage.write_bytes(DATAPACKAGE, orjson.dumps(package, option=orjson.OPT_INDENT_2))
    stage.sync_folders()
    faults.point("compact.staged")
    with state.transaction() as db:  # the decision: recover() rolls it forward from here
        db.execute("INSERT INTO runs (run, started, finished, status, options, report, published_seq) "
                   "VALUES (?, ?, ?, 'compacted', NULL, ?, ?)",
                   (run, stamp, stamp, orjson.dumps(report), state.next_publication()))
    faults.point("compact.committed")
    complete_publication(folder, run, state.published_runs(KEEP_GENERATIONS))
    drop_folded(folder)
    return compaction
