"""`colophon validate`: re-check a dataset folder against its schemas and datapackage.json."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from output.dataset import CHANGE_MODEL, FILES, file_digest
from output.snapshot import (
    CHANGES_DIR,
    DATAPACKAGE,
    SNAPSHOT_FILES,
    SNAPSHOT_LINK,
    BrokenDataset,
    NoDataset,
    Snapshot,
    resource_name,
)
from output.warc import WARC_DIR

MAX_PROBLEMS_PER_FILE = 20
_RECORD_FILES = {resource_name(file): file for file in FILES}


def validate_dataset(folder: Path) -> list[str]:
    """Every problem found, as one line each; an empty list means the dataset is sound."""
    problems: list[str] = []
    try:
        snapshot = Snapshot.open(folder)
    except BrokenDataset as error:
        return [str(error)]
    except NoDataset:
        return [f"{DATAPACKAGE}: missing in {folder}"]
    if snapshot.run is not None:
        for name in SNAPSHOT_FILES:
            if snapshot.path(name).exists() and not _leads_to_snapshot(folder, name):
                problems.append(f"{name}: missing in {folder}, or not the link {SNAPSHOT_LINK}/{name}")
    for file in FILES:
        listed = {str(part.get("path")) for part in snapshot.parts(file)}
        directory = snapshot.path(resource_name(file))
        present = sorted(f"{resource_name(file)}/{p.name}" for p in directory.iterdir()) if directory.is_dir() else []
        present += [file] if snapshot.path(file).is_file() else []
        problems += [f"{path}: present but not listed in {DATAPACKAGE}" for path in present if path not in listed]
    for resource in snapshot.resources():
        problems += _check_resource(snapshot, resource)
        schema = resource.get("jsonschema") or resource.get("schema")  # "schema": before Frictionless names
        if schema and not snapshot.path(schema).is_file():
            problems.append(f"{_label(resource)}: schema file {schema} missing")
    return problems


def _label(resource: dict[str, Any]) -> str:
    path = resource.get("path")
    return str(resource.get("name")) if isinstance(path, list) else str(path)


def _leads_to_snapshot(folder: Path, name: str) -> bool:
    path = folder / name
    return path.is_symlink() and os.readlink(path) == f"{SNAPSHOT_LINK}/{name}"


def _check_resource(snapshot: Snapshot, resource: dict[str, Any]) -> list[str]:
    """A record resource part by part (its totals too), or a change set."""
    path = resource.get("path")
    if isinstance(path, str) and path.startswith(CHANGES_DIR + "/") and path.endswith(".jsonl"):
        return _check_file(snapshot, path, resource, CHANGE_MODEL)
    if isinstance(path, str) and path.startswith(WARC_DIR + "/") and resource.get("format") == "warc":
        return _check_bytes(snapshot, path, resource)
    file = _RECORD_FILES.get(str(resource.get("name")))
    if file is None:
        return [f"{_label(resource)}: unknown resource in {DATAPACKAGE}"]
    model = FILES[file][0]
    if isinstance(path, str):  # a snapshot published before shards: one file
        return _check_file(snapshot, path, resource, model)
    parts = resource.get("parts")
    if not isinstance(path, list) or not isinstance(parts, list) or [p.get("path") for p in parts] != path:
        return [f"{_label(resource)}: its path and its parts in {DATAPACKAGE} disagree"]
    problems = []
    for part in parts:
        problems += _check_file(snapshot, str(part["path"]), part, model)
    for key in ("bytes", "records"):
        total = sum(part.get(key) or 0 for part in parts)
        if resource.get(key) != total:
            problems.append(f"{_label(resource)}: {key} {resource.get(key)} in {DATAPACKAGE}, its parts add up "
                            f"to {total}")
    return problems


def _check_bytes(snapshot: Snapshot, name: str, listed: dict[str, Any]) -> list[str]:
    """A file listed with its size and hash (a WARC file: its records are read by WARC tools)."""
    path = snapshot.path(name)
    if not path.is_file():
        return [f"{name}: listed in {DATAPACKAGE} but missing"]
    size, sha, _ = file_digest(path)
    problems = []
    if listed.get("bytes") != size:
        problems.append(f"{name}: {size} bytes, {DATAPACKAGE} says {listed.get('bytes')}")
    if listed.get("hash") != f"sha256:{sha}":
        problems.append(f"{name}: sha256 {sha} differs from {DATAPACKAGE}")
    return problems


def _check_file(snapshot: Snapshot, name: str, listed: dict[str, Any], model: Any) -> list[str]:
    path = snapshot.path(name)
    if not path.is_file():
        return [f"{name}: listed in {DATAPACKAGE} but missing"]
    problems = []
    size, sha, _ = file_digest(path)
    if listed.get("bytes") != size:
        problems.append(f"{name}: {size} bytes, {DATAPACKAGE} says {listed.get('bytes')}")
    if listed.get("hash") != f"sha256:{sha}":
        problems.append(f"{name}: sha256 {sha} differs from {DATAPACKAGE}")
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
                if bad <= MAX_PROBLEMS_PER_FILE:  # every error of the line, each with its place
                    for found in error.errors():
                        where = ".".join(str(p) for p in found["loc"])
                        problems.append(f"{name}:{number}: {found['type']} at {where}: {found['msg']}")
    if bad > MAX_PROBLEMS_PER_FILE:
        problems.append(f"{name}: {bad - MAX_PROBLEMS_PER_FILE} more invalid lines")
    if listed.get("records") != records:
        problems.append(f"{name}: {records} records, {DATAPACKAGE} says {listed.get('records')}")
    return problems
