"""`colophon crawl` and `colophon validate`."""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import http.server
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crawler.errors import (
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    UsageError,
)

SAMPLE = Path(__file__).parent / "sample_archive"


def _positive(kind: type, name: str) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{name} must not be negative, got {text!r}")
        return value
    return parse


def register(sub: Any) -> None:
    crawl = sub.add_parser(
        "crawl", help="crawl an archive into a dataset folder (incrementally after the first run)",
        description="Crawl an archive from its start pages (https://, http://, file:// or a local folder "
                    "that mirrors the site) into a validated dataset folder. Later runs on the same folder "
                    "refresh it: conditional requests, adaptive revisits, a change set per run.",
        epilog="Exit codes: 0 success, 1 finished with rejects, 2 bad arguments, 3 failed, "
               "4 interrupted (the next run resumes it), 65 state store missing or damaged (see "
               "rebuild-state), 74 the machine refused (permissions, disk full), 75 another run holds the folder.")
    crawl.add_argument("starts", nargs="*", metavar="START", help="start URLs or local folders")
    crawl.add_argument("--start-list", metavar="FILE", help="a file of start URLs or folders, one per line")
    crawl.add_argument("--out", required=False, help="dataset folder (default: data/colophon)")
    crawl.add_argument("--sample", action="store_true",
                       help="crawl the built-in sample archive, served on 127.0.0.1 by this command")
    crawl.add_argument("--scope", choices=("folder", "site"), default="folder",
                       help="folder (default): under the start folders plus the works their indexes "
                            "list; site: everything reachable on the site")
    crawl.add_argument("--root-url", help="the archive root, when the site lives under a path prefix")
    crawl.add_argument("--max-pages", type=_positive(int, "--max-pages"), default=0, help="stop after N pages")
    crawl.add_argument("--max-depth", type=_positive(int, "--max-depth"), default=0, help="link depth limit")
    crawl.add_argument("--max-time", type=_positive(float, "--max-time"), default=0, help="stop after N seconds")
    crawl.add_argument("--delay", type=_positive(float, "--delay"), default=1.0,
                       help="seconds between requests to a host (default 1; 0 for a local mirror)")
    crawl.add_argument("--concurrency", type=_positive(int, "--concurrency"), default=1,
                       help="requests in flight per host (default 1)")
    crawl.add_argument("--no-autothrottle", action="store_true", help="turn AutoThrottle off")
    crawl.add_argument("--ignore-robots", action="store_true",
                       help="do not obey robots.txt (only for archives you run yourself)")
    crawl.add_argument("--user-agent", help="the User-Agent header (default names Colophon and --contact)")
    crawl.add_argument("--contact", help="a URL or address for site operators to reach you")
    crawl.add_argument("--include-non-html", action="store_true", help="also fetch PDFs, images, audio")
    crawl.add_argument("--timeout", type=_positive(float, "--timeout"), default=30, help="seconds per request")
    crawl.add_argument("--retries", type=_positive(int, "--retries"), default=2,
                       help="retries of a failed request (default 2)")
    crawl.add_argument("--max-page-bytes", type=_positive(int, "--max-page-bytes"), default=10 * 1024 * 1024,
                       help="a larger page is rejected as too_large (default 10 MiB)")
    crawl.add_argument("--revisit-min", type=_positive(float, "--revisit-min"), default=3600.0,
                       help="seconds: shortest revisit interval of a work page (default 3600)")
    crawl.add_argument("--revisit-max", type=_positive(float, "--revisit-max"), default=30 * 86400.0,
                       help="seconds: longest revisit interval (default 30 days)")
    crawl.add_argument("--revalidate", action="store_true",
                       help="revisit every page this run (conditional requests), whatever its interval")
    crawl.add_argument("--progress-every", type=_positive(float, "--progress-every"), default=2.0,
                       help="seconds between progress reports: a live line on a terminal, log lines "
                            "otherwise (default 2; 0 turns them off)")
    crawl.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    crawl.set_defaults(func=cmd_crawl)

    changes = sub.add_parser(
        "changes", help="print what changed since a run, as JSON lines",
        description="Print the net change per record (op added/modified/removed, with the record for "
                    "added and modified) after the given run, or over all runs.")
    changes.add_argument("folder", help="the dataset folder")
    changes.add_argument("--since", metavar="RUN", help="a run id from datapackage.json (default: from the start)")
    changes.set_defaults(func=cmd_changes)

    schedule = sub.add_parser(
        "schedule", help="run a crawl on a cron schedule, in the foreground",
        description="Run `colophon crawl ARGS...` at every time a cron expression names (5 fields, or 6 "
                    "with seconds), until stopped. Each run is a fresh process; its exit code is logged.",
        epilog="Example: colophon schedule '0 3 * * *' -- https://www.marxists.org/archive/hansen/ --out data/hansen")
    schedule.add_argument("cron", help="a cron expression, e.g. '0 3 * * *'")
    schedule.add_argument("crawl_args", nargs="*", metavar="CRAWL_ARG",
                          help="the arguments of `colophon crawl`, after --")
    schedule.add_argument("--max-runs", type=_positive(int, "--max-runs"), default=0,
                          help="stop after N runs (default: never)")
    schedule.set_defaults(func=cmd_schedule)

    export = sub.add_parser(
        "export", help="export works for catalogues: CSL-JSON, BibTeX, RIS, Dublin Core, JSON-LD, MARCXML",
        description="Write the dataset's works in a catalogue format, whole or what changed since a run.")
    export.add_argument("folder", help="the dataset folder")
    export.add_argument("--format", required=True, choices=("csl", "bibtex", "ris", "dc", "jsonld", "marcxml"),
                        help="csl (CSL-JSON), bibtex, ris, dc (oai_dc XML), jsonld (schema.org), marcxml")
    export.add_argument("--since", metavar="RUN", help="only what changed after this run (deletions where "
                                                        "the format can say so)")
    export.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    export.set_defaults(func=cmd_export)

    serve = sub.add_parser(
        "serve", help="serve a dataset as an OAI-PMH 2.0 repository",
        description="An OAI-PMH 2.0 repository over a dataset folder, base URL /oai: all six verbs, oai_dc "
                    "and marc21, sets per author and per periodical, resumption tokens, persistent deletions.")
    serve.add_argument("folder", help="the dataset folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_positive(int, "--port"), default=8080, help="port (default 8080; 0: any)")
    serve.add_argument("--page-size", type=_positive(int, "--page-size"), default=100,
                       help="records per list response before a resumption token (default 100)")
    serve.add_argument("--name", default="Colophon dataset", help="the repository name in Identify")
    serve.add_argument("--admin-email", default="admin@localhost", help="adminEmail in Identify")
    serve.set_defaults(func=cmd_serve)

    rebuild = sub.add_parser(
        "rebuild-state", help="rebuild a lost or damaged state store from the published dataset",
        description="Write a new state.sqlite from the folder's published snapshot, tombstones, change sets and "
                    "run reports, so the next crawl reports only real changes. A damaged store is kept aside as "
                    "state.sqlite.damaged-TIME. The next crawl fetches every page again (unconditionally).")
    rebuild.add_argument("folder", help="the dataset folder")
    rebuild.add_argument("--force", action="store_true", help="rebuild even when the store looks sound")
    rebuild.set_defaults(func=cmd_rebuild_state)

    validate = sub.add_parser("validate", help="re-check a dataset folder",
                              description="Check every line of a dataset against its schema and every "
                                          "file against datapackage.json (bytes, sha256, records).")
    validate.add_argument("folder", help="the dataset folder")
    validate.set_defaults(func=cmd_validate)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 with an ephemeral port for the length of the block."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def crawl_settings(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    from crawler import settings as defaults

    contact = args.contact or defaults.COLOPHON_CONTACT
    options = {k: v for k, v in vars(args).items() if k not in ("func", "command", "starts")}
    # The start list can be long (a whole mirror): the run records how many and a digest, not the list.
    starts = [str(s) for s in args.starts]
    options["starts"] = {"count": len(starts),
                         "sha256": hashlib.sha256("\n".join(starts).encode("utf-8")).hexdigest()}
    settings: dict[str, Any] = {
        "COLOPHON_OUT": str(out),
        "COLOPHON_SCOPE": args.scope,
        "COLOPHON_ROOT_URL": args.root_url,
        "COLOPHON_INCLUDE_NON_HTML": args.include_non_html,
        "COLOPHON_RUN_OPTIONS": options,
        "COLOPHON_REVISIT_MIN": args.revisit_min,
        "COLOPHON_REVISIT_MAX": args.revisit_max,
        "COLOPHON_REVALIDATE": args.revalidate,
        "COLOPHON_PROGRESS_INTERVAL": args.progress_every,
        "DOWNLOAD_DELAY": args.delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if args.delay > 0 else 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, args.concurrency),
        "CONCURRENT_REQUESTS": max(16, args.concurrency),
        "AUTOTHROTTLE_ENABLED": not args.no_autothrottle and args.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(args.delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, args.concurrency)),
        "ROBOTSTXT_OBEY": not args.ignore_robots,
        "USER_AGENT": args.user_agent or f"Colophon/1.0 (+{contact})",
        "DOWNLOAD_TIMEOUT": args.timeout,
        "RETRY_TIMES": args.retries,
        "DOWNLOAD_MAXSIZE": args.max_page_bytes,
        "DOWNLOAD_WARNSIZE": min(args.max_page_bytes, 2 * 1024 * 1024),
        "LOG_LEVEL": args.log_level,
    }
    if args.max_pages:
        settings["CLOSESPIDER_PAGECOUNT"] = args.max_pages
    if args.max_depth:
        settings["DEPTH_LIMIT"] = args.max_depth
    if args.max_time:
        settings["CLOSESPIDER_TIMEOUT"] = args.max_time
    return settings


def _without_traceback(record: logging.LogRecord) -> bool:
    """Network failures are reported (and counted) without a traceback."""
    if record.exc_info and record.levelno < logging.CRITICAL:
        record.exc_info, record.exc_text = None, None
    return True


def run_crawl(starts: list[str], settings: dict[str, Any], scope: str,
              root_url: str | None = None) -> dict[str, Any]:
    """Run one crawl in this process and return its final stats."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import settings as project_settings
    from crawler.spiders.archive import ArchiveSpider

    merged = Settings()
    merged.setmodule(project_settings, priority="project")
    merged.update(settings, priority="cmdline")
    process = CrawlerProcess(merged)
    for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.scraper"):
        logging.getLogger(name).addFilter(_without_traceback)
    crawler = process.create_crawler(ArchiveSpider)
    process.crawl(crawler, start=starts, scope=scope, root=root_url)
    process.start()
    try:
        return dict(crawler.stats.get_stats())
    except RuntimeError:  # the crawl never started (its error is in the log)
        return {}


def cmd_crawl(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from crawler.urls import Site, to_url

    if args.start_list:
        try:
            lines = Path(args.start_list).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise UsageError(f"crawl: --start-list {args.start_list}: {error.strerror}") from None
        args.starts = [*args.starts, *(line.strip() for line in lines if line.strip() and not line.startswith("#"))]
    if args.sample and args.starts:
        raise UsageError("crawl: give START URLs or --sample, not both")
    if not args.sample and not args.starts:
        raise UsageError("crawl: give at least one START URL or folder (or --sample)")
    out = Path(args.out or ("data/sample" if args.sample else "data/colophon"))
    if out.exists() and not out.is_dir():
        raise UsageError(f"crawl: --out {out} exists and is not a folder")
    if args.revisit_min > args.revisit_max:
        raise UsageError("crawl: --revisit-min must not exceed --revisit-max")
    try:
        starts = [] if args.sample else [to_url(s) for s in args.starts]
        for start in starts:
            parts = urlsplit(start)
            if parts.scheme in ("http", "https") and (not parts.hostname or parts.username or parts.password):
                raise ValueError(f"{start!r} must name a host, without a user or password")
        if starts:
            Site.for_starts(starts, args.scope, args.root_url)  # every start under the archive root
    except ValueError as error:
        raise UsageError(f"crawl: {error}") from None
    from output.state import StateStore

    # Fail fast, before any request: another run holds the folder (75), its state store is missing
    # or damaged (65), or it cannot be written (74). Each is a one-line message from cli.main.
    StateStore.open(out).close()
    if args.sample:
        with serve_folder(SAMPLE) as root:
            args.delay, args.concurrency = 0.0, max(args.concurrency, 4)
            stats = run_crawl([root], crawl_settings(args, out), "site")
    else:
        stats = run_crawl(starts, crawl_settings(args, out), args.scope, args.root_url)
    return summarise(stats, out)


def summarise(stats: dict[str, Any], out: Path) -> int:
    run = stats.get("colophon/run") or {}
    reason = stats.get("finish_reason", "unknown")
    if stats.get("colophon/environment_error"):
        print(f"colophon: error: {stats['colophon/environment_error']}", file=sys.stderr)
        print(f"Crawl stopped: the run will resume on the next run on {out.resolve()}")
        return EXIT_ENVIRONMENT
    if run.get("interrupted") or (not run and reason == "shutdown"):
        print(f"Crawl interrupted: run {run.get('id', '')} will resume on the next run on {out.resolve()}")
        return EXIT_INTERRUPTED
    counts = run.get("counts", {})
    changes = run.get("changes", {})
    print(f"Run {run.get('run', '?')} finished ({reason}{', resumed' if run.get('resumed') else ''}"
          f"{'' if run.get('complete') else ', partial: nothing removed'}): {counts.get('pages', 0)} pages fetched")
    for key in ("works", "indexes", "other", "rejects", "duplicates", "not_modified", "not_due", "missing",
                "skipped_non_html", "robots_forbidden"):
        print(f"  {key.replace('_', ' '):<18} {counts.get(key, 0)}")
    print("  changes            " + ", ".join(f"{changes.get(op, 0)} {op}" for op in ("added", "modified", "removed")))
    print(f"Dataset: {out.resolve()}  (report: runs/{run.get('run', '?')}.json)")
    # Failed fetches are rejects; a failure is the crawl itself going wrong.
    errors = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    errors += stats.get("log_count/CRITICAL", 0)
    nothing = not counts.get("pages") and not counts.get("not_due")  # not even the start page
    if not run or reason not in ("finished", "closespider_pagecount", "closespider_timeout",
                                 "closespider_itemcount") or errors or nothing:
        why = "nothing could be fetched" if nothing else f"{reason}, {errors} errors"
        print(f"colophon: crawl failed ({why})" + ("; nothing was published" if run.get("unpublished") else ""))
        return EXIT_FAILED
    if counts.get("rejects", 0):
        print(f"  {counts['rejects']} pages rejected: see {out / 'rejects.jsonl'}")
        return EXIT_PARTIAL
    return EXIT_OK


def cmd_rebuild_state(args: argparse.Namespace) -> int:
    from output.rebuild import rebuild_state, set_aside
    from output.snapshot import BrokenDataset, NoDataset, has_dataset
    from output.state import StateStore, StateStoreError, lock_folder, release_folder

    folder = Path(args.folder)
    if not folder.is_dir() or not has_dataset(folder):
        raise UsageError(f"rebuild-state: {folder} holds no published dataset to rebuild from")
    lock = lock_folder(folder)  # held from the check to the rebuilt store: no run can start in between
    try:
        try:
            StateStore.open(folder, create=False, held=lock).close()
        except StateStoreError:
            pass  # missing or damaged: what this command is for
        else:
            if not args.force:
                raise UsageError(f"rebuild-state: the state store in {folder} is sound; --force to rebuild it anyway")
        kept = set_aside(folder)
        try:
            counts = rebuild_state(folder, held=lock)
        except (NoDataset, BrokenDataset) as error:
            raise UsageError(f"rebuild-state: {error}") from None
    finally:
        release_folder(lock)
    print(f"Rebuilt {folder / 'state.sqlite'}: {counts['records']} records, {counts['tombstones']} tombstones, "
          f"{counts['runs']} runs" + (f"; the old store is kept as {kept.name}" if kept else ""))
    print("The next crawl fetches every page again and reports only what really changed.")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
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


def cmd_changes(args: argparse.Namespace) -> int:
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


def cmd_schedule(args: argparse.Namespace) -> int:
    import datetime as dt
    import signal
    import subprocess
    import time

    from croniter import croniter

    crawl_args = list(args.crawl_args)
    if not crawl_args:
        raise UsageError("schedule: give the crawl's arguments after --, e.g. -- START --out DIR")
    if not croniter.is_valid(args.cron):
        raise UsageError(f"schedule: {args.cron!r} is not a valid cron expression")
    build_parser_args = ["crawl", *crawl_args]
    from crawler.cli import build_parser

    try:
        build_parser().parse_args(build_parser_args)
    except SystemExit:
        raise UsageError("schedule: the crawl arguments are not valid (see `colophon crawl --help`)") from None
    stop = False

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    times = croniter(args.cron, dt.datetime.now(dt.UTC))
    runs = 0
    while not stop and (not args.max_runs or runs < args.max_runs):
        when = times.get_next(dt.datetime)
        print(f"colophon schedule: next run at {when.isoformat(timespec='seconds')}", flush=True)
        while not stop and dt.datetime.now(dt.UTC) < when:
            time.sleep(min(1.0, max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())))
        if stop:
            break
        result = subprocess.run([sys.executable, "-m", "crawler.cli", *build_parser_args], check=False)
        runs += 1
        print(f"colophon schedule: run {runs} exited {result.returncode}", flush=True)
    return 0


def cmd_export(args: argparse.Namespace) -> int:

    import orjson

    from output.atomic import atomic_file
    from output.changes import UnknownRun, changes_since, published_runs
    from output.exports import CAN_DELETE, export
    from output.snapshot import NoDataset, Snapshot

    folder = Path(args.folder)
    try:
        snapshot = Snapshot.open(folder)  # one snapshot, whatever a run publishes meanwhile
    except NoDataset:
        raise UsageError(f"export: {folder} is not a dataset folder (no datapackage.json)") from None
    works_file = snapshot.path("works.jsonl")
    deletions: list[dict[str, Any]] = []

    def works() -> Iterator[dict[str, Any]]:
        if args.since is None:
            with open(works_file, "rb") as handle:
                for line in handle:
                    yield orjson.loads(line)
            return
        for change in changes_since(snapshot, args.since):
            if change["op"] == "removed":
                deletions.append(change)
            elif change["record"].get("kind") in ("work", "toc"):
                yield change["record"]

    if args.since is not None and args.since not in published_runs(snapshot):
        raise UsageError(f"export: no published run {args.since!r} in {folder}")
    try:
        chunks = export(args.format, works(), deletions)
        if args.out:
            with atomic_file(Path(args.out)) as handle:
                for chunk in chunks:
                    handle.write(chunk)
        else:
            out = sys.stdout.buffer
            for chunk in chunks:
                out.write(chunk)
            out.flush()
    except UnknownRun as error:
        raise UsageError(f"export: {error}") from None
    if deletions and args.format not in CAN_DELETE:
        print(f"colophon export: {len(deletions)} removed records not expressible in {args.format}",
              file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from output.oai import Unavailable, serve

    folder = Path(args.folder)
    try:
        serve(folder, args.host, args.port, page_size=max(1, args.page_size), name=args.name,
              admin_email=args.admin_email)
    except Unavailable as error:
        raise UsageError(f"serve: {folder} is not a readable dataset folder: {error}") from None
    except OSError as error:
        raise UsageError(f"serve: cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    return 0
