"""`colophon extract`: records of saved pages, one JSON line each, as a crawl of them would give."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import orjson

from crawler.errors import UsageError
from crawler.extract import Catalogue, harvest_links
from crawler.extract.inherit import Inheritance, link_ids

DEFAULT_BASE_URL = "https://www.marxists.org/"


def add_parser(sub: Any) -> None:
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
    extract.set_defaults(func=run)


def _pages(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in (".htm", ".html"))
        elif path.is_file():
            yield path
        else:
            raise UsageError(f"extract: no such file or folder: {path}")


def run(args: argparse.Namespace) -> int:
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
