"""`colophon reextract`: every record of a dataset made again by this extractor from the bytes its WARC
files keep, with no network, published as a run of its own (its change set names what changed)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from crawler.errors import UsageError

DESCRIPTION = ("Read every page of a dataset again from the WARC files its crawls kept (warc/), with the "
               "extractor of this version, and publish what changed as a run: its change set and report, "
               "like a crawl's. No request is made; a page the files hold no copy of keeps its record.")


def add_parser(sub: Any) -> None:
    command = sub.add_parser("reextract", help="make every record again from the dataset's WARC files, offline",
                             description=DESCRIPTION)
    command.add_argument("folder", help="the dataset folder")
    command.add_argument("--workers", type=int, default=None,
                         help="processes that read pages (default: the cores)")
    command.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    command.add_argument("--progress-every", type=float, default=None, help="seconds between progress reports")
    command.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from crawler.cli import crawl
    from crawler.run import WALK
    from output.state import StateStore
    from output.warc import repair, sealed_files, warc_dir

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"reextract: {folder} is not a folder")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"reextract: --workers must be at least 1, got {args.workers}")
    state = StateStore.open(folder, create=False)  # missing or damaged: 65; held by a run: 75
    try:
        for sealed in repair(folder):
            state.add_warc(sealed, None)
        kept = state.recall(WALK)
        listed = [sealed.name for sealed in state.warcs()]  # in the order they were written
    finally:
        state.close()
    if kept is None:
        raise UsageError(f"reextract: {folder} records no crawl to walk again (crawled by an earlier version: "
                         "crawl it once more)")
    present = sealed_files(folder)
    names = [name for name in listed if name in present] + [name for name in present if name not in listed]
    files = [str(warc_dir(folder) / name) for name in names]
    if not files:
        raise UsageError(f"reextract: {folder} keeps no WARC files (crawled with --no-warc, or from WARC files "
                         "read in place): nothing to read the pages from")
    walk = orjson.loads(kept[0])
    words = [*walk["starts"], "--out", str(folder), "--scope", walk["scope"], "--root-url", walk["root_url"],
             "--revalidate", "--delay", "0", "--concurrency", "16", "--retries", "0", "--log-level", args.log_level,
             "--from-warc", *files]
    if walk.get("base_url"):
        words += ["--base-url", walk["base_url"]]
    if walk.get("include_non_html"):
        words.append("--include-non-html")
    if args.workers is not None:
        words += ["--workers", str(args.workers)]
    if args.progress_every is not None:
        words += ["--progress-every", str(args.progress_every)]
    crawl_args = crawl.parse_arguments(words)
    crawl_args.reextract = True  # recorded with the run's options
    return crawl.run(crawl_args)
