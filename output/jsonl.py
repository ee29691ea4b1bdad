"""JSON Lines: one record per line, UTF-8, `\n`-terminated; streamed, counted and hashed as written."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import orjson
from pydantic import BaseModel


def dumps(record: BaseModel | dict[str, Any]) -> bytes:
    data = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    return orjson.dumps(data) + b"\n"


def with_record(fields: dict[str, Any], line: bytes) -> bytes:
    """The line of ``fields`` and then a "record" field holding ``line`` (a record's line as dumps()
    wrote it), as dumps() would write them all, without reading the record back."""
    if not fields:
        raise ValueError("with_record needs at least one field before the record")
    return orjson.dumps(fields)[:-1] + b',"record":' + line.removesuffix(b"\n") + b"}\n"


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class JsonLinesWriter:
    """Writes records to a binary file object, one line each; knows its count, bytes and sha256."""

    def __init__(self, handle: Sink) -> None:
        self._handle = handle
        self._hash = hashlib.sha256()
        self.records = 0
        self.bytes = 0

    def write(self, record: BaseModel | dict[str, Any]) -> None:
        self.write_line(dumps(record))

    def write_line(self, line: bytes) -> None:
        if not line.endswith(b"\n") or b"\n" in line[:-1]:
            raise ValueError("a JSON Lines record is exactly one \\n-terminated line")
        self._handle.write(line)
        self._hash.update(line)
        self.records += 1
        self.bytes += len(line)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()
