"""A dataset folder: its files, JSON Schemas, datapackage.json, and how a run publishes into it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from models import Change, Index, OtherPage, Reject, Tombstone, Work, record_schemas
from output.snapshot import SCHEMA_DIR

# file name -> (record model, JSON Schema name)
FILES: dict[str, tuple[type[Any], str]] = {
    "works.jsonl": (Work, "works"),
    "indexes.jsonl": (Index, "indexes"),
    "rejects.jsonl": (Reject, "rejects"),
    "other.jsonl": (OtherPage, "other"),
    "tombstones.jsonl": (Tombstone, "tombstones"),
}
CHANGE_MODEL = Change


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


def schema_files() -> dict[str, bytes]:
    """The JSON Schemas a dataset ships, by path in the dataset."""
    return {f"{SCHEMA_DIR}/{name}.schema.json": orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
            for name, schema in record_schemas().items()}
