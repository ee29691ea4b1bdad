"""The options of a crawl, declared once: each with its flag, default, help and the Scrapy settings it
becomes. `colophon crawl` builds its flags from this table, `colophon schedule` checks the crawl it
will run against it, and crawler/settings.py takes its COLOPHON_* defaults from it."""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from output.dataset import SHARD_BYTES
from output.warc import WARC_BYTES, WARC_DIR

CONTACT = "https://colophon.invalid/bot"  # who to contact about the crawler; set yours
PROGRESS_EVERY = 2.0                      # seconds between progress reports
REVISIT_MIN = 3600.0                      # seconds: the shortest revisit interval of a work page
REVISIT_MAX = 30 * 86400.0                # seconds: the longest (unchanged pages drift towards it)
MAX_PAGE_BYTES = 10 * 1024 * 1024         # a larger page is a reject, not a memory spike
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Why a run ended, when it ended as asked: the whole crawl, or the bound it was given.
FINISH_REASONS = ("finished", "closespider_pagecount", "closespider_timeout", "closespider_itemcount")


def redact(url: str) -> str:
    """``url`` with its password, if it has one, shown as ***: for messages, logs and records."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return "(an unreadable URL)"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def non_negative(kind: type, flag: str, minimum: float = 0) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{flag} must not be negative, got {text!r}" if minimum == 0 else
                f"{flag} must be at least {minimum:g}, got {text!r}")
        return value
    return parse


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    default: Any = None
    kind: type | None = None          # int or float: a non-negative number
    switch: bool = False              # a flag without a value
    choices: tuple[str, ...] | None = None
    setting: str | None = None        # the Scrapy setting that takes the value as it is
    minimum: float = 0                # the smallest value a number may take

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        if self.switch:
            parser.add_argument(self.flag, action="store_true", help=self.help)
        elif self.kind is not None:
            parser.add_argument(self.flag, type=non_negative(self.kind, self.flag, self.minimum), default=self.default,
                                help=self.help)
        else:
            parser.add_argument(self.flag, default=self.default, choices=self.choices, help=self.help)


CRAWL_OPTIONS = (
    Option("--scope", "folder (default): under the start folders plus the works their indexes list; "
                      "site: everything reachable on the site", "folder", choices=("folder", "site"),
           setting="COLOPHON_SCOPE"),
    Option("--root-url", "the archive root, when the site lives under a path prefix", setting="COLOPHON_ROOT_URL"),
    Option("--base-url", "the archive's own address, cited by every record and export of a crawl of a mirror or "
                         "a local copy (e.g. https://www.marxists.org/); where each page was fetched from stays in "
                         "its provenance", setting="COLOPHON_BASE_URL"),
    Option("--max-pages", "stop after N pages", 0, int),
    Option("--max-depth", "link depth limit", 0, int),
    Option("--max-time", "stop after N seconds", 0.0, float),
    Option("--delay", "seconds between requests to a host (default 1; 0 when every start is a local folder or "
                      "file:// URL, which costs no origin anything)", None, float, setting="DOWNLOAD_DELAY"),
    Option("--concurrency", "requests in flight per host (default 1)", 1, int),
    Option("--workers", "processes that read pages: 1 reads them in the crawl process, N in N processes beside "
                        "it (default 1; for a local folder, the cores)", None, int, setting="COLOPHON_WORKERS",
           minimum=1),
    Option("--redis", "coordinate a crawl shared by `colophon worker` processes through the Redis at this URL "
                      "(redis://HOST:6379/0); this process navigates and stores, the workers fetch and read",
           setting="COLOPHON_REDIS_URL"),
    Option("--crawl-name", "the name of the shared crawl in Redis (default colophon): workers join it by name",
           "colophon", setting="COLOPHON_REDIS_CRAWL"),
    Option("--lease-seconds", "seconds a worker may hold a request without a sign of life before it goes back to "
                              "the queue (default 30)", 30.0, float, setting="COLOPHON_LEASE_SECONDS", minimum=1),
    Option("--no-autothrottle", "turn AutoThrottle off", switch=True),
    Option("--ignore-robots", "do not obey robots.txt (only for archives you run yourself)", switch=True),
    Option("--user-agent", "the User-Agent header (default names Colophon and --contact)"),
    Option("--contact", "a URL or address for site operators to reach you"),
    Option("--include-non-html", "also fetch PDFs, images, audio", switch=True, setting="COLOPHON_INCLUDE_NON_HTML"),
    Option("--timeout", "seconds per request (default 30)", 30.0, float, setting="DOWNLOAD_TIMEOUT"),
    Option("--retries", "retries of a failed request (default 2)", 2, int, setting="RETRY_TIMES"),
    Option("--max-page-bytes", "a larger page is rejected as too_large (default 10 MiB)", MAX_PAGE_BYTES, int,
           setting="DOWNLOAD_MAXSIZE"),
    Option("--revisit-min", "seconds: shortest revisit interval of a work page (default 3600)", REVISIT_MIN, float,
           setting="COLOPHON_REVISIT_MIN"),
    Option("--revisit-max", "seconds: longest revisit interval (default 30 days)", REVISIT_MAX, float,
           setting="COLOPHON_REVISIT_MAX"),
    Option("--revalidate", "revisit every page this run (conditional requests), whatever its interval",
           switch=True, setting="COLOPHON_REVALIDATE"),
    Option("--progress-every", "seconds between progress reports: a live line on a terminal, log lines otherwise "
                               f"(default {PROGRESS_EVERY:g}; 0 turns them off)", PROGRESS_EVERY, float,
           setting="COLOPHON_PROGRESS_INTERVAL"),
    Option("--log-level", "how much Scrapy logs (default WARNING)", "WARNING", choices=LOG_LEVELS,
           setting="LOG_LEVEL"),
    Option("--no-warc", "do not keep what the crawl fetched as WARC files in the dataset's warc/ folder",
           switch=True),
    Option("--warc-bytes", "bytes a WARC file grows to before it is sealed and the next begun (default 1 GiB)",
           WARC_BYTES, int, setting="COLOPHON_WARC_BYTES", minimum=4096),
    Option("--shard-bytes", f"bytes a record type's shard grows to before its shards double (default "
                            f"{SHARD_BYTES >> 20} MiB)", SHARD_BYTES, int, setting="COLOPHON_SHARD_BYTES",
           minimum=4096),
)


def add_crawl_options(parser: argparse.ArgumentParser) -> None:
    for option in CRAWL_OPTIONS:
        option.add_to(parser)


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """What a run records of how it was asked for (datapackage.json, runs/): every option, and the
    start list by count and digest (it can be a whole mirror's worth of URLs)."""
    options = {k: v for k, v in vars(args).items() if k not in ("func", "command", "starts", "redis_owner")}
    if options.get("redis"):
        options["redis"] = redact(options["redis"])
    starts = [str(s) for s in getattr(args, "starts", [])]
    options["starts"] = {"count": len(starts), "sha256": hashlib.sha256("\n".join(starts).encode()).hexdigest()}
    return options


def warc_label(path: Path, out: Path) -> str:
    """How a record names a WARC file it was read from: `warc/NAME` for the dataset's own, else its name."""
    resolved = path.resolve()
    return f"{WARC_DIR}/{resolved.name}" if resolved.parent == (out / WARC_DIR).resolve() else resolved.name


def crawl_settings(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """The Scrapy settings of a crawl asked for with these options."""
    settings: dict[str, Any] = {option.setting: getattr(args, option.dest)
                                for option in CRAWL_OPTIONS if option.setting}
    settings.update({
        "COLOPHON_OUT": str(out),
        "COLOPHON_RUN_OPTIONS": run_options(args),
        "DOWNLOAD_DELAY_JITTER": 0.5 if args.delay > 0 else 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, args.concurrency),
        "CONCURRENT_REQUESTS": max(16, args.concurrency),
        "AUTOTHROTTLE_ENABLED": not args.no_autothrottle and args.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(args.delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, args.concurrency)),
        "ROBOTSTXT_OBEY": not args.ignore_robots,
        "USER_AGENT": args.user_agent or f"Colophon/1.0 (+{args.contact or CONTACT})",
        "DOWNLOAD_WARNSIZE": min(args.max_page_bytes, 2 * 1024 * 1024),
    })
    settings["COLOPHON_WARC"] = not args.no_warc
    if getattr(args, "from_warc", None):
        # Every request answered from the WARC files given, none from the network (crawler.capture).
        replay = "crawler.capture.WarcReplayHandler"
        settings["DOWNLOAD_HANDLERS"] = dict.fromkeys(("http", "https", "file", "ftp", "s3", "data"), replay)
        settings["COLOPHON_FROM_WARC"] = [(str(Path(f).resolve()), warc_label(Path(f), out)) for f in args.from_warc]
    if args.redis is not None:
        # Requests go to the workers through Redis (crawler.distributed); local files stay here.
        remote = "crawler.distributed.RemoteDownloadHandler"
        settings["DOWNLOAD_HANDLERS"] = {"http": remote, "https": remote, "file": "crawler.transport.LocalFileHandler"}
        settings["COLOPHON_REDIS_OWNER"] = getattr(args, "redis_owner", None)
    if args.max_pages:
        settings["CLOSESPIDER_PAGECOUNT"] = args.max_pages
    if args.max_depth:
        settings["DEPTH_LIMIT"] = args.max_depth
    if args.max_time:
        settings["CLOSESPIDER_TIMEOUT"] = args.max_time
    return settings
