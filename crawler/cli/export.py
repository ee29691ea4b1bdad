"""`colophon export`: the works of a dataset in a catalogue format, whole or since a run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crawler.errors import UsageError


def add_parser(sub: Any) -> None:
    export = sub.add_parser(
        "export", help="export works for catalogues (CSL-JSON, BibTeX, RIS, Dublin Core, JSON-LD, MARCXML) or for "
                       "analysis (CSV, Parquet, SQLite)",
        description="Write the dataset's works in a catalogue format, or as one flat table for analysis (one row "
                    "per work, typed columns, dates with their first and last day), whole or what changed since "
                    "a run.")
    export.add_argument("folder", help="the dataset folder")
    export.add_argument("--format", required=True,
                        choices=("csl", "bibtex", "ris", "dc", "jsonld", "marcxml", "csv", "parquet", "sqlite"),
                        help="csl (CSL-JSON), bibtex, ris, dc (oai_dc XML), jsonld (schema.org), marcxml; csv, "
                             "parquet, sqlite (a flat table; parquet and sqlite need --out)")
    export.add_argument("--since", metavar="RUN", help="only what changed after this run (deletions where "
                                                        "the format can say so)")
    export.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    export.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    import orjson

    from output.atomic import atomic_file
    from output.changes import UnknownRun, changes_since, runs_after
    from output.exports import export
    from output.snapshot import BrokenDataset, NoDataset, Snapshot
    from output.tables import UnreadableRecord, csv_chunks

    folder = Path(args.folder)
    try:
        snapshot = Snapshot.open(folder)  # one snapshot, whatever a run publishes meanwhile
    except NoDataset:
        raise UsageError(f"export: {folder} is not a dataset folder (no datapackage.json)") from None
    except BrokenDataset as error:
        raise UsageError(f"export: {error}") from None
    if args.out and Path(args.out).is_dir():
        raise UsageError(f"export: --out {args.out} is a folder; name the file to write")
    deletions: list[dict[str, Any]] = []

    def works() -> Iterator[dict[str, Any]]:
        if args.since is None:
            for line in snapshot.lines("works.jsonl"):
                yield orjson.loads(line)
            return
        for change in changes_since(snapshot, args.since):
            if change["op"] == "removed":
                deletions.append(change)
            elif change["record"].get("kind") in ("work", "toc"):
                yield change["record"]

    if args.since is not None:
        try:
            runs_after(snapshot, args.since)  # an unknown run stops before anything is written
        except UnknownRun as error:
            raise UsageError(f"export: {error}") from None
    if args.format in ("parquet", "sqlite"):
        if not args.out:
            raise UsageError(f"export: --format {args.format} writes a file: give it with --out")
        try:
            _write_table(args.format, works(), Path(args.out))
        except (UnreadableRecord, orjson.JSONDecodeError) as error:
            raise UsageError(f"export: {folder}: {error}") from None
        return _said(deletions, args.format)
    try:
        chunks = csv_chunks(works()) if args.format == "csv" else export(args.format, works(), deletions)
        if args.out:
            with atomic_file(Path(args.out)) as handle:
                for chunk in chunks:
                    handle.write(chunk)
        else:
            out = sys.stdout.buffer
            for chunk in chunks:
                out.write(chunk)
            out.flush()
    except UnknownRun as error:
        raise UsageError(f"export: {error}") from None
    except (UnreadableRecord, orjson.JSONDecodeError) as error:
        raise UsageError(f"export: {folder}: {error}") from None
    return _said(deletions, args.format)


def _said(deletions: list[dict[str, Any]], format_name: str) -> int:
    from output.exports import CAN_DELETE

    if deletions and format_name not in CAN_DELETE:
        print(f"colophon export: {len(deletions)} removed records not expressible in {format_name}",
              file=sys.stderr)
    return 0


def _write_table(format_name: str, works: Iterator[dict[str, Any]], target: Path) -> None:
    """A Parquet file or SQLite database, written beside its name and renamed: whole or absent."""
    from output.atomic import atomic_path
    from output.tables import write_parquet, write_sqlite

    with atomic_path(target) as temporary:
        (write_parquet if format_name == "parquet" else write_sqlite)(works, temporary)
