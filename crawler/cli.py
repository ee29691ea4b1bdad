"""The `colophon` command line: extract, schema, crawl, validate."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote, urljoin

import orjson

from crawler.errors import (
    EXIT_ENVIRONMENT,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_STATE,
    EXIT_USAGE,
    UsageError,
    environment_message,
)
from crawler.extract import Catalogue, harvest_links
from crawler.extract.inherit import Inheritance, link_ids
from models import record_schemas

DEFAULT_BASE_URL = "https://www.marxists.org/"


def _pages(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in (".htm", ".html"))
        elif path.is_file():
            yield path
        else:
            raise UsageError(f"extract: no such file or folder: {path}")


def cmd_extract(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    if not root.is_dir():
        raise UsageError(f"extract: --root {args.root!r} is not a folder")
    base_url = args.base_url if args.base_url.endswith("/") else args.base_url + "/"
    if not base_url.startswith(("http://", "https://", "file://")):
        raise UsageError(f"extract: --base-url must be an http(s):// or file:// URL, got {args.base_url!r}")
    catalogue = Catalogue.from_root(root)
    records: list[dict[str, object]] = []
    tocs: list[tuple[dict[str, object], list[str]]] = []
    parts: list[tuple[str, str, str]] = []
    for path in _pages([Path(p) for p in args.paths]):
        resolved = path.resolve()
        try:
            page_id = resolved.relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"extract: {path} is not inside --root {root}") from None
        url = urljoin(base_url, quote(page_id))
        record, links = harvest_links(resolved.read_bytes(), url, page_id, catalogue)
        data = record.model_dump(mode="json", exclude_none=False)
        records.append(data)
        # What a record inherits from the pages beside it, decided as a crawl decides it.
        if data.get("kind") == "toc":
            tocs.append((data, link_ids(links, base_url)))
        series = data.get("series")
        if isinstance(series, dict) and series.get("next_url"):
            parts.append((page_id, url, str(series["next_url"])))
    inheritance = Inheritance.build(tocs, parts)
    out = sys.stdout.buffer
    for data in records:
        out.write(orjson.dumps(inheritance.apply(data) or data) + b"\n")
    out.flush()
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    schemas = record_schemas()
    if args.record:
        if args.record not in schemas:
            raise UsageError(f"schema: unknown record type {args.record!r}; one of {', '.join(schemas)}")
        schemas = {args.record: schemas[args.record]}
    sys.stdout.write(orjson.dumps(schemas, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colophon",
        description="Harvest validated metadata records from Marxists Internet Archive-format archives.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    extract = sub.add_parser("extract", help="extract records from saved HTML pages to stdout",
                             description="Read HTML files (or folders, walked for .htm/.html) and write "
                                         "one JSON line per page: a work, an index, an 'other' page or "
                                         "a reject with its code.")
    extract.add_argument("paths", nargs="+", metavar="PATH", help="HTML files or folders")
    extract.add_argument("--root", default=".",
                         help="the archive root the paths are relative to (default: current folder); "
                              "its admin/js/data/authors.json is the author catalogue")
    extract.add_argument("--base-url", default=DEFAULT_BASE_URL,
                         help=f"the URL of the archive root (default: {DEFAULT_BASE_URL})")
    extract.set_defaults(func=cmd_extract)

    schema = sub.add_parser("schema", help="print the JSON Schemas of the dataset's records",
                            description="Print the JSON Schema of each record type, generated from the models.")
    schema.add_argument("record", nargs="?", help="one record type: works, indexes, rejects, other")
    schema.set_defaults(func=cmd_schema)

    try:
        from crawler.commands import register
    except ImportError:  # pragma: no cover - the crawl commands ship with the package
        pass
    else:
        register(sub)
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


if __name__ == "__main__":
    sys.exit(main())
