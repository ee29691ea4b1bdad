"""`colophon crawl`: an archive crawled into a dataset folder, in this process, with its summary and exit code."""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from crawler.errors import EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, UsageError
from crawler.options import FINISH_REASONS, add_crawl_options, crawl_settings

SAMPLE = Path(__file__).resolve().parents[1] / "sample_archive"


HELP = "crawl an archive into a dataset folder (incrementally after the first run)"
DESCRIPTION = ("Crawl an archive from its start pages (https://, http://, file:// or a local folder "
               "that mirrors the site) into a validated dataset folder. Later runs on the same folder "
               "refresh it: conditional requests, adaptive revisits, a change set per run.")
EPILOG = ("Exit codes: 0 success, 1 finished with rejects, 2 bad arguments, 3 failed, "
          "4 interrupted (the next run resumes it), 65 state store missing or damaged (see "
          "rebuild-state), 74 the machine refused (permissions, disk full), 75 another run holds the folder.")


def add_arguments(crawl: argparse.ArgumentParser) -> None:
    crawl.add_argument("starts", nargs="*", metavar="START", help="start URLs or local folders")
    crawl.add_argument("--start-list", metavar="FILE", help="a file of start URLs or folders, one per line")
    crawl.add_argument("--out", required=False, help="dataset folder (default: data/colophon)")
    crawl.add_argument("--sample", action="store_true",
                       help="crawl the built-in sample archive, served on 127.0.0.1 by this command")
    crawl.add_argument("--from-warc", nargs="+", metavar="FILE",
                       help="harvest from these WARC files (a Heritrix, Browsertrix or wget capture of the "
                            "archive) instead of the network: START names the archive as it was captured")
    add_crawl_options(crawl)


def add_parser(sub: Any) -> None:
    crawl = sub.add_parser("crawl", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    add_arguments(crawl)
    crawl.set_defaults(func=run)


def parse_arguments(words: list[str]) -> argparse.Namespace:
    """The arguments of a crawl, checked as `colophon crawl` checks them (for `colophon schedule`)."""
    parser = argparse.ArgumentParser(prog="colophon crawl", description=DESCRIPTION, epilog=EPILOG)
    add_arguments(parser)
    return parser.parse_args(words)


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


def _without_traceback(record: logging.LogRecord) -> bool:
    """Network failures are reported (and counted) without a traceback."""
    if record.exc_info and record.levelno < logging.CRITICAL:
        record.exc_info, record.exc_text = None, None
    return True


_SIGNALLED: list[int] = []  # the signals this process was stopped by (see _acknowledge_signals)


def _acknowledge_signals() -> None:
    """The first Ctrl-C (or SIGTERM) is answered at once, on stderr, before Scrapy's graceful stop
    (which installs its own handler for the second one, the stop now), and noted: a crawl stopped
    now, before its run could record how it ended, was interrupted, not failed."""
    import signal

    for number in (signal.SIGINT, signal.SIGTERM):
        graceful = signal.getsignal(number)
        if not callable(graceful):
            continue

        def acknowledge(signum: int, frame: Any, graceful: Any = graceful) -> None:
            print("colophon: stopping: finishing the pages in flight (Ctrl-C again to stop now; the next run "
                  "resumes)", file=sys.stderr, flush=True)
            _SIGNALLED.append(signum)
            graceful(signum, frame)

        signal.signal(number, acknowledge)


def _ignore_signals() -> None:
    import signal

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)


def warc_problem(path: Path) -> str | None:
    """Why a file given to --from-warc cannot be read as WARC, or None."""
    from warcio.archiveiterator import ArchiveIterator

    try:
        with open(path, "rb") as stream:
            first = next(iter(ArchiveIterator(stream, check_digests=False)))
        if first.format != "warc":
            return "not a WARC file (an ARC file, or no archive at all)"
    except OSError as error:
        return error.strerror or str(error)
    except StopIteration:
        return "no WARC record in it"
    except Exception as error:
        return f"not a WARC file ({error or type(error).__name__})"
    return None


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
    from twisted.internet import reactor

    # Once Scrapy's own signal handlers are in place (its "after startup" trigger), wrap them.
    running = cast(Any, reactor)
    running.callWhenRunning(lambda: running.callLater(0, _acknowledge_signals))
    process.start()
    if _SIGNALLED:  # stopped as asked: another Ctrl-C from now on (Python resets its handlers as it
        _ignore_signals()  # exits, and one then would kill the process) changes nothing
    try:
        stats = dict(crawler.stats.get_stats())
    except RuntimeError:  # the crawl never started (its error is in the log)
        stats = {}
    if _SIGNALLED:
        stats["colophon/signalled"] = True
    return stats


def run(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from crawler.harvesters import local_cores
    from crawler.urls import Site, base_url, to_url

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
    if args.from_warc:
        if args.redis is not None or args.sample:
            raise UsageError("crawl: --from-warc reads no network: not with --redis or --sample")
        for path in args.from_warc:
            problem = warc_problem(Path(path))
            if problem:
                raise UsageError(f"crawl: --from-warc {path}: {problem}")
    try:
        if args.base_url is not None:
            args.base_url = base_url(args.base_url)
        starts = [] if args.sample else [to_url(s) for s in args.starts]
        for start in starts:
            parts = urlsplit(start)
            if parts.scheme in ("http", "https") and (not parts.hostname or parts.username or parts.password):
                raise ValueError(f"{start!r} must name a host, without a user or password")
        if starts:
            Site.for_starts(starts, args.scope, args.root_url)  # every start under the archive root
    except ValueError as error:
        raise UsageError(f"crawl: {error}") from None
    if args.redis is not None:
        import uuid

        from crawler.distributed import ClaimKeeper, claim, connect

        try:
            server = connect(args.redis)  # a bad URL or a Redis that does not answer or refuses stops here
        except ValueError as error:
            raise UsageError(f"crawl: {error}") from None
        args.redis_owner = uuid.uuid4().hex
        claim(server, args.crawl_name, args.redis_owner)  # another live coordinator of this crawl: 75
        keeper = ClaimKeeper(server, args.crawl_name, args.redis_owner)  # until the coordinator renews it
    local = bool(args.from_warc) or (bool(starts) and all(s.startswith("file:") for s in starts))
    if args.workers is None:
        # A local folder costs no origin anything: read it with every core, and without pauses.
        args.workers = local_cores() if local else 1
    if args.delay is None:
        args.delay = 0.0 if local else 1.0
    from output.state import StateStore

    # Fail fast, before any request: another run holds the folder (75), its state store is missing
    # or damaged (65), or it cannot be written (74). Each is a one-line message from cli.main.
    try:
        StateStore.open(out).close()
        stats = _crawl(args, starts, out)
    finally:
        if args.redis is not None:
            from crawler.distributed import disown

            keeper.stop()
            with contextlib.suppress(Exception):  # the coordinator let it go already, or never took it
                disown(server, args.crawl_name, args.redis_owner)
            server.close()
    return summarise(stats, out)


def _crawl(args: argparse.Namespace, starts: list[str], out: Path) -> dict[str, Any]:
    if args.sample:
        with serve_folder(SAMPLE) as root:
            args.delay, args.concurrency = 0.0, max(args.concurrency, 4)
            return run_crawl([root], crawl_settings(args, out), "site")
    return run_crawl(starts, crawl_settings(args, out), args.scope, args.root_url)


def dataset_totals(out: Path) -> dict[str, int]:
    """The records the published dataset holds now, by type (what every run so far left), from its
    datapackage.json: a run's own counts say only what that run fetched."""
    from output.snapshot import BrokenDataset, NoDataset, Snapshot

    try:
        snapshot = Snapshot.open(out)
    except (NoDataset, BrokenDataset, OSError):  # nothing published (a first run that failed)
        return {}
    names = {"works": "works", "indexes": "indexes", "other": "other pages", "rejects": "rejects"}
    return {label: sum(int(part.get("records") or 0) for part in snapshot.parts(f"{name}.jsonl"))
            for name, label in names.items()}


def summarise(stats: dict[str, Any], out: Path) -> int:
    run = stats.get("colophon/run") or {}
    reason = stats.get("finish_reason", "unknown")
    if stats.get("colophon/coordinator_error"):
        code, message = stats["colophon/coordinator_error"]
        print(f"colophon: error: {message}", file=sys.stderr)
        print(f"Crawl stopped: the run will resume on the next run on {out.resolve()}")
        return int(code)
    if stats.get("colophon/environment_error"):
        print(f"colophon: error: {stats['colophon/environment_error']}", file=sys.stderr)
        print(f"Crawl stopped: the run will resume on the next run on {out.resolve()}")
        return EXIT_ENVIRONMENT
    if run.get("interrupted") or (not run and (reason == "shutdown" or stats.get("colophon/signalled"))):
        which = f"run {run['id']}" if run.get("id") else "the run"
        print(f"Crawl interrupted: {which} will resume on the next run on {out.resolve()}")
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
    totals = dataset_totals(out)
    if totals:
        print("  in all             " + ", ".join(f"{count} {name}" for name, count in totals.items()))
    # Failed fetches are rejects; a failure is the crawl itself going wrong.
    errors = sum(v for k, v in stats.items() if k.startswith("spider_exceptions/"))
    errors += stats.get("log_count/CRITICAL", 0)
    nothing = not counts.get("pages") and not counts.get("not_due")  # not even the start page
    if not run or reason not in FINISH_REASONS or errors or nothing:
        why = "nothing could be fetched" if nothing else f"{reason}, {errors} errors"
        print(f"colophon: crawl failed ({why})" + ("; nothing was published" if run.get("unpublished") else ""))
        return EXIT_FAILED
    if counts.get("rejects", 0):
        print(f"  {counts['rejects']} pages rejected: see {out / 'rejects.jsonl'}")
        return EXIT_PARTIAL
    return EXIT_OK
