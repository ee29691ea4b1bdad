"""`colophon validate`: re-check a dataset folder against its schemas and datapackage.json."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from output.dataset import CHANGE_MODEL, FILES, file_digest
from output.snapshot import DATAPACKAGE, SNAPSHOT_FILES, SNAPSHOT_LINK, BrokenDataset, NoDataset, Snapshot

MAX_PROBLEMS_PER_FILE = 20


def validate_dataset(folder: Path) -> list[str]:
    """Every problem found, as one line each; an empty list means the dataset is sound."""
    problems: list[str] = []
    try:
        snapshot = Snapshot.open(folder)
    except BrokenDataset as error:
        return [str(error)]
    except NoDataset:
        return [f"{DATAPACKAGE}: missing in {folder}"]
    listed = {resource.get("path"): resource for resource in snapshot.resources()}
    for name in FILES:
        if snapshot.path(name).is_file() and name not in listed:
            problems.append(f"{name}: present but not listed in {DATAPACKAGE}")
    if snapshot.run is not None:
        for name in SNAPSHOT_FILES:
            if snapshot.path(name).exists() and not _leads_to_snapshot(folder, name):
                problems.append(f"{name}: missing in {folder}, or not the link {SNAPSHOT_LINK}/{name}")
    for path, resource in listed.items():
        problems += _check_resource(snapshot, str(path), resource)
    for resource in listed.values():
        schema = resource.get("schema")
        if schema and not snapshot.path(schema).is_file():
            problems.append(f"{resource.get('path')}: schema file {schema} missing")
    return problems


def _leads_to_snapshot(folder: Path, name: str) -> bool:
    path = folder / name
    return path.is_symlink() and os.readlink(path) == f"{SNAPSHOT_LINK}/{name}"


def _check_resource(snapshot: Snapshot, name: str, resource: dict[str, Any]) -> list[str]:
    path = snapshot.path(name)
    is_change_set = name.startswith("changes/") and name.endswith(".jsonl")
    if name not in FILES and not is_change_set:
        return [f"{name}: unknown resource in {DATAPACKAGE}"]
    if not path.is_file():
        return [f"{name}: listed in {DATAPACKAGE} but missing"]
    problems = []
    size, sha, lines = file_digest(path)
    if resource.get("bytes") != size:
        problems.append(f"{name}: {size} bytes, {DATAPACKAGE} says {resource.get('bytes')}")
    if resource.get("hash") != f"sha256:{sha}":
        problems.append(f"{name}: sha256 {sha} differs from {DATAPACKAGE}")
    model = CHANGE_MODEL if is_change_set else FILES[name][0]
    records = 0
    bad = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                problems.append(f"{name}:{number}: last line is not \\n-terminated (torn write?)")
            if not line.strip():
                problems.append(f"{name}:{number}: blank line")
                continue
            records += 1
            try:
                model.model_validate_json(line)
            except ValidationError as error:
                bad += 1
                if bad <= MAX_PROBLEMS_PER_FILE:
                    first = error.errors()[0]
                    where = ".".join(str(p) for p in first["loc"])
                    problems.append(f"{name}:{number}: {first['type']} at {where}: {first['msg']}")
    if bad > MAX_PROBLEMS_PER_FILE:
        problems.append(f"{name}: {bad - MAX_PROBLEMS_PER_FILE} more invalid lines")
    if resource.get("records") != records:
        problems.append(f"{name}: {records} records, {DATAPACKAGE} says {resource.get('records')}")
    del lines
    return problems
