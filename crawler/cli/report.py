"""`colophon report`: one self-contained HTML page about a dataset, to look at (output.report)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crawler.errors import UsageError


def add_parser(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="an HTML page about a dataset: works per year, author and periodical, date precision, "
                       "field coverage, rejects, broken links, runs",
        description="Write one self-contained HTML page (no network needed to view it) with plots and tables of "
                    "a dataset: works per year and per decade, per author and per periodical, date precision, "
                    "field coverage, rejects by code with examples, broken links with the pages that link to "
                    "them, and the history of runs and changes.")
    report.add_argument("folder", help="the dataset folder")
    report.add_argument("--out", metavar="FILE", default="report.html",
                        help="where to write it (default: report.html; written atomically)")
    report.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from output.atomic import write_bytes
    from output.report import render
    from output.snapshot import BrokenDataset, NoDataset

    folder = Path(args.folder)
    try:
        page = render(folder)
    except (NoDataset, BrokenDataset, ValueError) as error:
        raise UsageError(f"report: {folder} is not a readable dataset folder ({error})") from None
    if Path(args.out).is_dir():
        raise UsageError(f"report: --out {args.out} is a folder; name the file to write")
    write_bytes(Path(args.out), page.encode("utf-8"))
    print(f"colophon report: {Path(args.out).resolve()}", file=sys.stderr)
    return 0
