"""What a reader of a dataset folder sees: one published snapshot, whole, never a mix of two runs.

A run publishes its files into a generation folder of their own, `.snapshots/<run>/`, and then
switches the folder's `snapshot` symlink to it with one rename: that rename is the moment of
publication. The names people use (`works/`, `datapackage.json`, `schemas/`, …) are symlinks
through `snapshot`, so `cat works/*.jsonl` always reads complete files of one snapshot. Each record
type is a directory of shards (output.dataset) that datapackage.json lists, in order, as the parts
of one resource. Change sets and run reports (`changes/`, `runs/`) are written once under their
final names and never change.

A program that reads more than one file must resolve the generation once and read everything
from it: `Snapshot.open(folder)` does that (retrying if a publication removes the generation it
had just resolved), and `Snapshot.path(name)` names each file inside that one generation.
Older generations are kept for a while (`KEEP_GENERATIONS`) so that readers in flight finish.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SNAPSHOT_LINK = "snapshot"
GENERATIONS_DIR = ".snapshots"
DATAPACKAGE = "datapackage.json"
SCHEMA_DIR = "schemas"
CHANGES_DIR = "changes"
RUNS_DIR = "runs"
# The files of one generation (everything else a datapackage lists is write-once, beside them):
# a directory of shards per record type, the datapackage and the schemas.
RECORD_DIRS = ("works", "indexes", "rejects", "other", "tombstones")
SNAPSHOT_FILES = (*RECORD_DIRS, DATAPACKAGE, SCHEMA_DIR)
# How a generation published before shards held its records: one file per type.
SINGLE_FILES = tuple(f"{name}.jsonl" for name in RECORD_DIRS)
KEEP_GENERATIONS = 3  # the current one and two before it, for readers that resolved them just before
_ATTEMPTS = 5


class NoDataset(FileNotFoundError):
    """The folder holds no published dataset."""


class BrokenDataset(ValueError):
    """The folder's published snapshot cannot be read (a datapackage.json that is not JSON)."""


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    root: Path             # the generation folder (the dataset folder itself for older layouts)
    datapackage: dict[str, Any]

    @property
    def run(self) -> str | None:
        """The run that published this snapshot (None for a folder published before generations)."""
        return self.root.name if self.root != self.folder else None

    @property
    def version(self) -> str:
        """Identifies this snapshot: it changes with every publication."""
        return f"{self.run or ''}|{self.datapackage.get('updated', '')}"

    def path(self, name: str) -> Path:
        first = name.split("/", 1)[0]
        return (self.root if first in SNAPSHOT_FILES or first in SINGLE_FILES else self.folder) / name

    def resource(self, file: str) -> dict[str, Any] | None:
        """The datapackage resource of a record file (`works.jsonl`), or None when it lists none."""
        name = resource_name(file)
        for resource in self.resources():
            if resource.get("name") == name:
                return resource
        return None

    def parts(self, file: str) -> list[dict[str, Any]]:
        """The parts of a record file in order, each `{path, bytes, hash, records}` as listed (one
        part, the resource itself, for a snapshot published before shards)."""
        resource = self.resource(file)
        if resource is None:
            return []
        if isinstance(resource.get("path"), list):
            return [dict(part) for part in resource.get("parts", [])]
        return [{key: resource.get(key) for key in ("path", "bytes", "hash", "records")}]

    def part_paths(self, file: str) -> list[Path]:
        return [self.path(str(part["path"])) for part in self.parts(file)]

    def lines(self, file: str) -> Iterator[bytes]:
        """Every line of a record file, its parts read in order."""
        for path in self.part_paths(file):
            with open(path, "rb") as handle:
                yield from handle

    def resources(self) -> list[dict[str, Any]]:
        return list(self.datapackage.get("resources", []))

    def runs(self) -> list[dict[str, Any]]:
        """The recent runs datapackage.json describes (a bounded window; every report stays in runs/)."""
        return list(self.datapackage.get("runs", []))

    def change_sets(self) -> list[str]:
        """The runs whose change sets this snapshot lists, in the order they were published."""
        runs = []
        for resource in self.resources():
            path = str(resource.get("path", ""))
            if path.startswith(CHANGES_DIR + "/") and path.endswith(".jsonl"):
                runs.append(path[len(CHANGES_DIR) + 1: -len(".jsonl")])
        return runs

    @classmethod
    def open(cls, folder: Path) -> Snapshot:
        """The folder's current snapshot, resolved once. Raises NoDataset or BrokenDataset."""
        for _ in range(_ATTEMPTS):
            root = current_generation(folder)
            try:
                raw = (root / DATAPACKAGE).read_bytes()
            except FileNotFoundError:
                if root != folder and current_generation(folder) != root:
                    continue  # a publication switched generations under us: resolve again
                raise NoDataset(f"{folder} holds no published dataset (no {DATAPACKAGE})") from None
            try:
                package = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise BrokenDataset(f"{root / DATAPACKAGE}: not valid JSON ({error})") from None
            if not isinstance(package, dict):
                raise BrokenDataset(f"{root / DATAPACKAGE}: not a JSON object")
            return cls(folder, root, package)
        raise NoDataset(f"{folder}: the published snapshot kept changing while it was read")


def resource_name(file: str) -> str:
    """The datapackage resource, and the directory of shards, of a record file: `works`."""
    return file.removesuffix(".jsonl")


def current_generation(folder: Path) -> Path:
    """The generation folder `snapshot` points to, or the folder itself when there is none."""
    try:
        target = os.readlink(folder / SNAPSHOT_LINK)
    except (FileNotFoundError, OSError):
        return folder
    return folder / target


def has_dataset(folder: Path) -> bool:
    """Whether anything was ever published in the folder (a snapshot, or files of an older layout)."""
    return (folder / SNAPSHOT_LINK).is_symlink() or (folder / DATAPACKAGE).exists() \
        or (folder / "works.jsonl").exists() or (folder / "works").exists()
