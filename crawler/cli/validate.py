"""`colophon validate`: every line against its schema, every file against datapackage.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crawler.errors import UsageError


def add_parser(sub: Any) -> None:
    validate = sub.add_parser("validate", help="re-check a dataset folder",
                              description="Check every line of a dataset against its schema and every "
                                          "file against datapackage.json (bytes, sha256, records).")
    validate.add_argument("folder", help="the dataset folder")
    validate.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from output.validate import validate_dataset

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"validate: {folder} is not a folder")
    problems = validate_dataset(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{folder}: {len(problems)} problems")
        return 1
    print(f"{folder}: valid")
    return 0
