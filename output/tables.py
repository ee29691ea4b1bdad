"""The works as one flat table for analysis: one row per work, every nested field under a stable column
name with a stable type whatever the data (a column that is empty in one dataset has the type it has
in every other), written as CSV, Parquet (pyarrow) or a SQLite database (for Datasette or any SQLite
client). Dates keep their EDTF value and gain `*_start`, `*_end` (ISO dates) and `year`, derived by
the `edtf` library: a season or a range is its first and last day, so sorting by `date_start` is the
chronological order."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from output.exports import issued, work_type

TABLE_FORMATS = ("csv", "parquet", "sqlite")
LIST_SEPARATOR = "; "  # the names of several people in one cell


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # "string", "integer", "date" (ISO 8601), "boolean"
    value: Callable[[dict[str, Any]], Any]
    doc: str


INT64 = (-(2**63), 2**63 - 1)  # what Parquet and SQLite integers hold


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def get(work: dict[str, Any]) -> Any:
        value: Any = work
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value
    return get


@functools.lru_cache(maxsize=65536)
def edtf_bounds(value: str | None) -> tuple[str | None, str | None]:
    """The first and the last day an EDTF value can mean, as ISO dates (None: no value, or none the
    edtf library reads as a real day). Remembered: a dataset's dates repeat, and a parse is slow."""
    if not value:
        return None, None
    import edtf

    try:
        parsed = edtf.parse_edtf(value)
        bounds = [dt.date(t.tm_year, t.tm_mon, t.tm_mday) for t in (parsed.lower_strict(), parsed.upper_strict())]
    except Exception:
        return None, None
    first, last = sorted(bounds)
    return first.isoformat(), last.isoformat()


def _bound(date: Callable[[dict[str, Any]], Any], end: bool) -> Callable[[dict[str, Any]], str | None]:
    def bound(work: dict[str, Any]) -> str | None:
        value = date(work)
        return edtf_bounds(value.get("value") if isinstance(value, dict) else None)[end]
    return bound


def _year(work: dict[str, Any]) -> int | None:
    start = _bound(issued, False)(work)
    return dt.date.fromisoformat(start).year if start else None


def _names(role: str) -> Callable[[dict[str, Any]], str | None]:
    def names(work: dict[str, Any]) -> str | None:
        found = [str(credit["name"]) for credit in work.get("credits") or []
                 if isinstance(credit, dict) and credit.get("role") == role and credit.get("name")]
        return LIST_SEPARATOR.join(dict.fromkeys(found)) or None
    return names


def _date_columns(prefix: str, date: Callable[[dict[str, Any]], Any], what: str) -> list[Column]:
    return [
        Column(prefix, "string", lambda w: (date(w) or {}).get("value"), f"{what}: its EDTF value"),
        Column(f"{prefix}_raw", "string", lambda w: (date(w) or {}).get("raw"), f"{what}, as printed"),
        Column(f"{prefix}_precision", "string", lambda w: (date(w) or {}).get("precision"),
               f"{what}: day, month, season, year, range, decade or unknown"),
        Column(f"{prefix}_start", "date", _bound(date, False), f"{what}: the first day it can mean"),
        Column(f"{prefix}_end", "date", _bound(date, True), f"{what}: the last day it can mean"),
    ]


COLUMNS: tuple[Column, ...] = (
    Column("id", "string", _get("id"), "the page's path in the archive: the work's id"),
    Column("url", "string", _get("url"), "the archive's address of the page"),
    Column("kind", "string", _get("kind"), "work, or toc (a contents page)"),
    Column("type", "string", work_type, "what every export calls it: article-newspaper, article-magazine, "
                                        "chapter, book, speech, article"),
    Column("language", "string", _get("language"), "ISO 639-1"),
    Column("title", "string", _get("title"), "the title"),
    Column("subtitle", "string", _get("subtitle"), "the subtitle"),
    Column("author", "string", _get("author", "name"), "the author's canonical name"),
    Column("author_byline", "string", _get("author", "byline"), "the name as the page prints it"),
    Column("author_slug", "string", _get("author", "slug"), "the author's folder in the archive"),
    Column("year", "integer", _year, "the year it appeared (of `date_start`)"),
    *_date_columns("date", issued, "when it appeared (its source's date, else the work's)"),
    *_date_columns("work_date", _get("date"), "the work's own date line"),
    *_date_columns("written", _get("dates", "written"), "when it was written"),
    *_date_columns("delivered", _get("dates", "delivered"), "when it was delivered (a speech)"),
    Column("source", "string", _get("citation", "raw"), "the printed source, as printed"),
    Column("container_title", "string", _get("citation", "container_title"), "the periodical or book"),
    Column("volume", "string", _get("citation", "volume"), "as printed"),
    Column("volume_number", "integer", _get("citation", "volume_number"), "the volume as a number"),
    Column("issue", "string", _get("citation", "issue"), "as printed"),
    Column("issue_number", "integer", _get("citation", "issue_number"), "the issue as a number"),
    Column("pages", "string", _get("citation", "pages"), "as printed"),
    Column("transcribers", "string", _names("transcription"), "names, separated by '; '"),
    Column("translators", "string", _names("translation"), "names, separated by '; '"),
    Column("editors", "string", _names("editing"), "names, separated by '; '"),
    Column("markup", "string", _names("markup"), "names, separated by '; '"),
    Column("proofreaders", "string", _names("proofreading"), "names, separated by '; '"),
    Column("licence", "string", _get("licence", "id"), "the licence's identifier"),
    Column("licence_status", "string", _get("licence", "status"), "the licence's status"),
    Column("licence_url", "string", _get("licence", "url"), "the licence's address"),
    Column("series_position", "integer", _get("series", "position"), "its number in a series"),
    Column("series_continued", "boolean", _get("series", "continued"), "to be continued"),
    Column("series_concluded", "boolean", _get("series", "concluded"), "the last part"),
    Column("series_next", "string", _get("series", "next_url"), "the next part"),
    Column("series_previous", "string", _get("series", "previous_url"), "the part before"),
    Column("part_of", "string", _get("part_of", "url"), "the contents page it belongs to"),
    Column("part_of_title", "string", _get("part_of", "title"), "that contents page's title"),
    Column("word_count", "integer", _get("word_count"), "words in the text"),
    Column("notes", "integer", lambda w: len(w.get("notes") or []), "its footnotes"),
    *_date_columns("last_updated", _get("last_updated"), "the page's 'Last updated' line"),
    Column("fetched_at", "string", _get("provenance", "fetched_at"), "when the page was fetched (UTC)"),
    Column("content_sha256", "string", _get("provenance", "content_sha256"), "of the page's bytes"),
    Column("text", "string", _get("text"), "the clean text"),
)


def _typed(column: Column, value: Any) -> Any:
    """A cell as its column's type holds it: None for what does not fit (a number no int64 holds,
    a list where a name was expected)."""
    if value is None:
        return None
    if column.type == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) and \
            INT64[0] <= value <= INT64[1] else None
    if column.type == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else None


class UnreadableRecord(ValueError):
    """A line of the dataset that is no work record (a dataset edited by hand: `validate` says more)."""


def rows(works: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for number, work in enumerate(works, start=1):
        try:
            yield [_typed(column, column.value(work)) for column in COLUMNS]
        except (AttributeError, TypeError, KeyError) as error:
            name = work.get("id") if isinstance(work, dict) else None
            raise UnreadableRecord(f"work {name or number} is not a work record ({error}); "
                                   "`colophon validate` lists what is wrong") from None


def csv_chunks(works: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """RFC 4180 CSV, UTF-8, a header row; empty cells for nothing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    for row in rows(works):
        writer.writerow(["" if value is None else ("true" if value is True else "false" if value is False else value)
                         for value in row])
        if buffer.tell() > 1 << 20:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_parquet(works: Iterable[dict[str, Any]], target: Path, batch: int = 5000) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"string": pa.string(), "integer": pa.int64(), "date": pa.date32(), "boolean": pa.bool_()}
    schema = pa.schema([pa.field(column.name, types[column.type], metadata={"doc": column.doc})
                        for column in COLUMNS])
    dates = [index for index, column in enumerate(COLUMNS) if column.type == "date"]
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        pending: list[list[Any]] = []

        def flush() -> None:
            if pending:
                columns = list(zip(*pending, strict=True))
                writer.write_table(pa.Table.from_arrays([pa.array(values, type=field.type)
                                                         for values, field in zip(columns, schema, strict=True)],
                                                        schema=schema))
                pending.clear()

        for row in rows(works):
            for index in dates:
                if row[index] is not None:
                    row[index] = dt.date.fromisoformat(row[index])
            pending.append(row)
            if len(pending) >= batch:
                flush()
        flush()


_SQL = {"string": "TEXT", "integer": "INTEGER", "date": "TEXT", "boolean": "INTEGER"}


def write_sqlite(works: Iterable[dict[str, Any]], target: Path) -> None:
    """A `works` table (its columns as COLUMNS, typed, with indexes on what people filter by), a
    `credits` table (work, role, name) and a `columns` table saying what each column holds."""
    db = sqlite3.connect(target)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        definitions = ", ".join(f'"{c.name}" {_SQL[c.type]}' + (" PRIMARY KEY" if c.name == "id" else "")
                                for c in COLUMNS)
        db.execute(f"CREATE TABLE works ({definitions})")
        db.execute("CREATE TABLE credits (work TEXT NOT NULL REFERENCES works(id), role TEXT NOT NULL, "
                   "name TEXT NOT NULL)")
        db.execute("CREATE TABLE columns (name TEXT PRIMARY KEY, type TEXT NOT NULL, doc TEXT NOT NULL)")
        db.executemany("INSERT INTO columns VALUES (?, ?, ?)", [(c.name, c.type, c.doc) for c in COLUMNS])
        marks = ", ".join("?" for _ in COLUMNS)
        credits: list[tuple[str, str, str]] = []

        def kept(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for work in items:
                credits.extend((work["id"], c["role"], c["name"]) for c in work.get("credits") or [])
                yield work

        db.executemany(f"INSERT INTO works VALUES ({marks})",
                       ([int(v) if isinstance(v, bool) else v for v in row] for row in rows(kept(works))))
        db.executemany("INSERT INTO credits VALUES (?, ?, ?)", credits)
        for column in ("author", "year", "date_start", "container_title", "kind", "type", "language"):
            db.execute(f'CREATE INDEX works_{column} ON works("{column}")')
        db.execute("CREATE INDEX credits_name ON credits(name)")
        db.commit()
    finally:
        db.close()
