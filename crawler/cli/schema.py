"""`colophon schema`: the JSON Schemas of the dataset's records, generated from the models."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from models import record_schemas


def add_parser(sub: Any) -> None:
    schema = sub.add_parser("schema", help="print the JSON Schemas of the dataset's records",
                            description="Print the JSON Schema of each record type, generated from the models.")
    schema.add_argument("record", nargs="?", choices=sorted(record_schemas()), metavar="RECORD",
                        help=f"one record type, its schema printed as it is: {', '.join(sorted(record_schemas()))}")
    schema.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    schemas = record_schemas()
    printed = schemas[args.record] if args.record else schemas  # one schema as it is, or all by name
    sys.stdout.write(orjson.dumps(printed, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0
