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
        "export", help="export works for catalogues: CSL-JSON, BibTeX, RIS, Dublin Core, JSON-LD, MARCXML",
        description="Write the dataset's works in a catalogue format, whole or what changed since a run.")
    export.add_argument("folder", help="the dataset folder")
    export.add_argument("--format", required=True, choices=("csl", "bibtex", "ris", "dc", "jsonld", "marcxml"),
                        help="csl (CSL-JSON), bibtex, ris, dc (oai_dc XML), jsonld (schema.org), marcxml")
    export.add_argument("--since", metavar="RUN", help="only what changed after this run (deletions where "
                                                        "the format can say so)")
    export.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    export.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    import orjson

    from output.atomic import atomic_file
    from output.changes import UnknownRun, changes_since, runs_after
    from output.exports import CAN_DELETE, export
    from output.snapshot import NoDataset, Snapshot

    folder = Path(args.folder)
    try:
        snapshot = Snapshot.open(folder)  # one snapshot, whatever a run publishes meanwhile
    except NoDataset:
        raise UsageError(f"export: {folder} is not a dataset folder (no datapackage.json)") from None
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
    try:
        chunks = export(args.format, works(), deletions)
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
    if deletions and args.format not in CAN_DELETE:
        print(f"colophon export: {len(deletions)} removed records not expressible in {args.format}",
              file=sys.stderr)
    return 0
