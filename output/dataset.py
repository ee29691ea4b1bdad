"""A dataset folder: its files, JSON Schemas, datapackage.json, and how a run publishes into it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from models import SCHEMA_VERSION, Change, Index, OtherPage, Reject, Tombstone, Work, record_schemas
from output.atomic import atomic_file, write_bytes
from output.jsonl import JsonLinesWriter

# file name -> (record model, JSON Schema name)
FILES: dict[str, tuple[type[Any], str]] = {
    "works.jsonl": (Work, "works"),
    "indexes.jsonl": (Index, "indexes"),
    "rejects.jsonl": (Reject, "rejects"),
    "other.jsonl": (OtherPage, "other"),
    "tombstones.jsonl": (Tombstone, "tombstones"),
}
CHANGE_MODEL = Change
DATAPACKAGE = "datapackage.json"
SCHEMA_DIR = "schemas"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def file_digest(path: Path) -> tuple[int, str, int]:
    """(bytes, sha256, lines) of a file, read in blocks."""
    digest = hashlib.sha256()
    size = lines = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
            lines += block.count(b"\n")
    return size, digest.hexdigest(), lines


def write_schemas(folder: Path) -> dict[str, str]:
    paths = {}
    for name, schema in record_schemas().items():
        relative = f"{SCHEMA_DIR}/{name}.schema.json"
        write_bytes(folder / relative, orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        paths[name] = relative
    return paths


def read_datapackage(folder: Path) -> dict[str, Any] | None:
    path = folder / DATAPACKAGE
    if not path.is_file():
        return None
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def write_datapackage(folder: Path, run: dict[str, Any], files: dict[str, JsonLinesWriter] | None = None) -> None:
    """List every data file with bytes, sha256 and record count; append the run to the history."""
    schemas = write_schemas(folder)
    previous = read_datapackage(folder) or {}
    resources = []
    for name, (_, schema) in FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        writer = (files or {}).get(name)
        if writer is not None:
            size, sha, records = writer.bytes, writer.sha256, writer.records
        else:
            size, sha, records = file_digest(path)
        resources.append({
            "name": name.removesuffix(".jsonl"),
            "path": name,
            "format": "jsonl",
            "mediatype": "application/jsonl",
            "encoding": "utf-8",
            "bytes": size,
            "hash": f"sha256:{sha}",
            "records": records,
            "schema": schemas[schema],
        })
    package = {
        "profile": "data-package",
        "name": "colophon-dataset",
        "title": "Colophon dataset",
        "schema_version": SCHEMA_VERSION,
        "created": previous.get("created", now()),
        "updated": now(),
        "resources": resources,
        "runs": [*previous.get("runs", []), run],
    }
    with atomic_file(folder / DATAPACKAGE) as handle:
        handle.write(orjson.dumps(package, option=orjson.OPT_INDENT_2))


def lock_path(folder: Path) -> Path:
    return folder / ".colophon.lock"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
