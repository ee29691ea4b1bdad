"""`colophon schema`: the JSON Schemas of the dataset's records, generated from the models."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from crawler.errors import UsageError
from models import record_schemas


def add_parser(sub: Any) -> None:
    schema = sub.add_parser("schema", help="print the JSON Schemas of the dataset's records",
                            description="Print the JSON Schema of each record type, generated from the models.")
    schema.add_argument("record", nargs="?", help="one record type: works, indexes, rejects, other")
    schema.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    schemas = record_schemas()
    if args.record:
        if args.record not in schemas:
            raise UsageError(f"schema: unknown record type {args.record!r}; one of {', '.join(schemas)}")
        schemas = {args.record: schemas[args.record]}
    sys.stdout.write(orjson.dumps(schemas, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0
