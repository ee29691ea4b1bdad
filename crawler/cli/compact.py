"""`colophon compact`: fold the change sets of the runs before one into one (output.compact)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.errors import UsageError


def add_parser(sub: Any) -> None:
    compact = sub.add_parser(
        "compact", help="fold the change sets of the runs before RUN into one",
        description="Fold the change sets of every run published before RUN into one change set holding "
                    "the net change per record, published atomically like a run. datapackage.json lists "
                    "what was folded (`compactions`); run reports stay in runs/. A consumer that had read "
                    "a folded run other than the last reads the snapshot again.")
    compact.add_argument("folder", help="the dataset folder")
    compact.add_argument("--before", metavar="RUN", required=True,
                         help="a published run id: the change sets of the runs before it are folded")
    compact.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from output.changes import UnknownRun
    from output.compact import CompactRefused, compact

    folder = Path(args.folder)
    if not (folder / "datapackage.json").is_file():
        raise UsageError(f"compact: {folder} is not a dataset folder (no datapackage.json)")
    try:
        compaction = compact(folder, args.before)
    except (UnknownRun, CompactRefused) as error:
        raise UsageError(f"compact: {error}") from None
    folded = compaction["folded"]
    if compaction["id"] is None:
        print(f"colophon compact: nothing to fold before {args.before} ({len(folded)} change set)", file=sys.stderr)
    else:
        print(f"colophon compact: {len(folded)} change sets folded into {compaction['path']} "
              f"({compaction['records']} changes)", file=sys.stderr)
    return 0
