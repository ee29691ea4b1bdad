"""A dataset folder: its record files, their shards, JSON Schemas, and datapackage.json.

Each record type is published as a directory of shards (`works/0000.jsonl`, `works/0001.jsonl`, …):
a record's shard is fixed by a hash of its id, so a run that changes k records rewrites at most k
shards and links the others unchanged from the snapshot before. A type holds a power of two of
shards, as many as keep each under SHARD_BYTES; when it outgrows them their number doubles (every
shard of that type is then written once), and it never shrinks, so the layout stays put. Inside a
shard records are in id order; `cat works/*.jsonl` reads every work.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from models import Change, Index, OtherPage, Reject, Tombstone, Work, record_schemas
from output.snapshot import SCHEMA_DIR, resource_name

# file name (as the state store keeps it) -> (record model, JSON Schema name)
FILES: dict[str, tuple[type[Any], str]] = {
    "works.jsonl": (Work, "works"),
    "indexes.jsonl": (Index, "indexes"),
    "rejects.jsonl": (Reject, "rejects"),
    "other.jsonl": (OtherPage, "other"),
    "tombstones.jsonl": (Tombstone, "tombstones"),
}
CHANGE_MODEL = Change
SHARD_BYTES = 8 << 20  # a shard's size a type grows to before its shards double


def part_path(file: str, index: int) -> str:
    """The path of one shard in the dataset: `works/0003.jsonl`."""
    return f"{resource_name(file)}/{index:04d}.jsonl"


def bucket(page_id: str) -> int:
    """A stable 32-bit hash of a page id; its low bits choose the record's shard."""
    return int.from_bytes(hashlib.blake2b(page_id.encode("utf-8", "surrogatepass"), digest_size=4).digest(), "big")


def shard_of(page_id_bucket: int, shards: int) -> int:
    return page_id_bucket & (shards - 1)


def shard_count(estimated_bytes: int, at_least: int = 1, shard_bytes: int = SHARD_BYTES) -> int:
    """Shards for a type of about `estimated_bytes`: the smallest power of two, no fewer than it
    has, that keeps each shard under `shard_bytes`."""
    shards = max(1, at_least)
    while estimated_bytes > shards * max(1, shard_bytes):
        shards *= 2
    return shards


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
