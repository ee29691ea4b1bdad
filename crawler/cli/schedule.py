"""`colophon schedule`: a crawl on a cron expression, in the foreground, each run a fresh process."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crawler.cli import crawl
from crawler.errors import UsageError
from crawler.options import non_negative


def add_parser(sub: Any) -> None:
    schedule = sub.add_parser(
        "schedule", help="run a crawl on a cron schedule, in the foreground",
        description="Run `colophon crawl ARGS...` at every time a cron expression names (5 fields, or 6 "
                    "with seconds), until stopped. Each run is a fresh process; its exit code is logged.",
        epilog="Example: colophon schedule '0 3 * * *' -- https://www.marxists.org/archive/hansen/ --out data/hansen")
    schedule.add_argument("cron", help="a cron expression, e.g. '0 3 * * *'")
    schedule.add_argument("crawl_args", nargs="*", metavar="CRAWL_ARG",
                          help="the arguments of `colophon crawl`, after --")
    schedule.add_argument("--max-runs", type=non_negative(int, "--max-runs"), default=0,
                          help="stop after N runs (default: never)")
    schedule.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
    try:
        crawl.parse_arguments(crawl_args)
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
