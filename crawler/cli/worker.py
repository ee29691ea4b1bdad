"""`colophon worker`: join a crawl shared through Redis (crawler.distributed) and fetch for it."""

from __future__ import annotations

import argparse
from typing import Any

from crawler.errors import EXIT_OK, UsageError
from crawler.options import LOG_LEVELS, non_negative


def add_parser(sub: Any) -> None:
    worker = sub.add_parser(
        "worker", help="fetch and read pages for a crawl coordinated through Redis",
        description="Join the crawl that `colophon crawl ... --redis URL` coordinates: take requests from its "
                    "queue with a lease, fetch them, read the pages, and report each result. Exits 0 when the "
                    "crawl is finished; waits while no crawl is running.")
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
    process = CrawlerProcess(worker_settings(args.concurrency, args.log_level))
    process.crawl(worker_spider(worker))
    process.start()
    return EXIT_OK
