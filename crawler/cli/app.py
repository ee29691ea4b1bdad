"""The `colophon` command line: the parser built in one place from one module per command, and the
one place where errors become messages and exit codes (crawler.errors)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from crawler.cli import (
    changes,
    compact,
    crawl,
    export,
    extract,
    rebuild_state,
    reextract,
    report,
    schedule,
    schema,
    serve,
    validate,
    worker,
)
from crawler.errors import (
    EXIT_ENVIRONMENT,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_STATE,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    ServiceUnavailable,
    UsageError,
    environment_message,
)

COMMANDS = (extract, schema, crawl, reextract, worker, changes, compact, schedule, export, serve, report,
            rebuild_state, validate)


def version_text() -> str:
    """The program's version, and the versions of what it writes (records change with either)."""
    from importlib.metadata import PackageNotFoundError, version

    from crawler.extract.record import EXTRACTOR_VERSION
    from models.records import SCHEMA_VERSION

    try:
        program = version("colophon")
    except PackageNotFoundError:  # run from a checkout that is not installed
        program = "unknown"
    return f"colophon {program} (extractor {EXTRACTOR_VERSION}, record schema {SCHEMA_VERSION})"


class _Version(argparse.Action):
    """--version, its text made only when asked (it imports the extractor)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colophon",
        description="Harvest validated metadata records from Marxists Internet Archive-format archives.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    passed_on: list[str] = []
    if words[:1] == ["schedule"] and "--" in words:
        # Everything after -- belongs to the scheduled crawl, options included.
        cut = words.index("--")
        words, passed_on = words[:cut], words[cut + 1:]
    args = parser.parse_args(words)
    if passed_on:
        args.crawl_args = [*args.crawl_args, *passed_on]
    from output.state import RunLocked, StateStoreError

    try:
        return int(args.func(args))
    except UsageError as error:
        print(f"colophon: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ServiceUnavailable as error:
        print(f"colophon: error: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except RunLocked as error:
        print(f"colophon: {error}", file=sys.stderr)
        return EXIT_LOCKED
    except StateStoreError as error:
        print(f"colophon: error: state store {error}", file=sys.stderr)
        return EXIT_STATE
    except (OSError, sqlite3.OperationalError) as error:
        print(f"colophon: error: {environment_message(error)}", file=sys.stderr)
        return EXIT_ENVIRONMENT
