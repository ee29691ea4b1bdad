"""`colophon worker`: join a crawl shared through Redis (crawler.distributed) and fetch for it."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from crawler.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError
from crawler.options import LOG_LEVELS, non_negative


def add_parser(sub: Any) -> None:
    worker = sub.add_parser(
        "worker", help="fetch and read pages for a crawl coordinated through Redis",
        description="Join the crawl that `colophon crawl ... --redis URL` coordinates: take requests from its "
                    "queue with a lease, fetch them, read the pages, and report each result. Exits 0 when the "
                    "crawl is finished, 4 when stopped by a signal (what it held goes back to the queue), 3 when "
                    "it failed; waits while no crawl is running or the crawl is stopped.")
    worker.add_argument("--redis", required=True, metavar="URL", help="the Redis of the crawl (redis://HOST:6379/0)")
    worker.add_argument("--crawl-name", default="colophon", help="the name of the crawl to join (default colophon)")
    worker.add_argument("--concurrency", type=non_negative(int, "--concurrency", 1), default=16,
                        help="requests this worker has in flight at most (default 16)")
    worker.add_argument("--log-level", default="WARNING", choices=LOG_LEVELS,
                        help="how much is logged (default WARNING)")
    worker.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

    from crawler.distributed import Worker, connect, worker_settings, worker_spider

    try:
        server = connect(args.redis)
    except ValueError as error:
        raise UsageError(f"worker: {error}") from None
    worker = Worker(server, args.crawl_name)
    try:
        worker.begin()
    except ValueError as error:  # the crawl's state in Redis is not what a coordinator writes
        print(f"colophon: error: worker: the state of crawl {args.crawl_name!r} is unreadable ({error})",
              file=sys.stderr)
        return EXIT_FAILED
    process = CrawlerProcess(worker_settings(args.concurrency, args.log_level))
    crawler = process.create_crawler(worker_spider(worker))
    started = process.crawl(crawler)

    def broke(failure: Any) -> None:
        worker.failed = failure.getErrorMessage()

    started.addErrback(broke)
    try:
        process.start()
    finally:
        worker.close()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if worker.failed:
        print(f"colophon: error: worker: {worker.failed}", file=sys.stderr)
        return EXIT_FAILED
    if reason != "finished":
        return EXIT_INTERRUPTED
    return EXIT_OK
