"""`colophon changes`: the net change per record since a run, as JSON lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.errors import UsageError


def add_parser(sub: Any) -> None:
    changes = sub.add_parser(
        "changes", help="print what changed since a run, as JSON lines",
        description="Print the net change per record (op added/modified/removed, with the record for "
                    "added and modified) after the given run, or over all runs.")
    changes.add_argument("folder", help="the dataset folder")
    changes.add_argument("--since", metavar="RUN", help="a run id from datapackage.json (default: from the start)")
    changes.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import orjson

    from output.changes import UnknownRun, changes_since

    folder = Path(args.folder)
    if not (folder / "datapackage.json").is_file():
        raise UsageError(f"changes: {folder} is not a dataset folder (no datapackage.json)")
    out = sys.stdout.buffer
    try:
        for change in changes_since(folder, args.since):
            out.write(orjson.dumps(change) + b"\n")
    except UnknownRun as error:
        raise UsageError(f"changes: {error}") from None
    out.flush()
    return 0
