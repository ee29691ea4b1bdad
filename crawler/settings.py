"""Scrapy settings of the Colophon project. Project settings are COLOPHON_*, each declared once here."""

from __future__ import annotations

from crawler import options as _options  # the defaults a crawl's options share with these settings
from output import dataset as _dataset  # the default shard size
from output import warc as _warc  # the default WARC file size

BOT_NAME = "colophon"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Colophon's own settings ----------------------------------------------------------------
COLOPHON_OUT = "data/colophon"          # the dataset folder a crawl publishes into
COLOPHON_SCOPE = "folder"               # "folder": under the start folders (+ what their indexes list); "site"
COLOPHON_ROOT_URL = None                # the archive root; None: detected from the first start URL
COLOPHON_INCLUDE_NON_HTML = False       # fetch PDFs, images, audio... (they are never records)
COLOPHON_CONTACT = _options.CONTACT     # who to contact about the crawler; set yours
COLOPHON_PROGRESS_INTERVAL = _options.PROGRESS_EVERY  # seconds between progress reports (a live line on a terminal)
COLOPHON_RUN_OPTIONS: dict[str, object] = {}  # recorded in datapackage.json with the run
COLOPHON_RUN_ID = None                  # None: a timestamp; an interrupted run is resumed under its own id
COLOPHON_REVISIT_MIN = _options.REVISIT_MIN  # seconds: the shortest revisit interval of a work page
COLOPHON_REVISIT_MAX = _options.REVISIT_MAX  # seconds: the longest (unchanged pages drift towards it)
COLOPHON_REVALIDATE = False             # revisit every page this run, whatever its interval
COLOPHON_WORKERS = 1                    # processes that read pages (crawler.harvesters): 1 is the crawl process
COLOPHON_SHARD_BYTES = _dataset.SHARD_BYTES  # a record type's shards double when one would outgrow this
COLOPHON_WARC = True                    # keep what the crawl fetched as WARC files in the dataset's warc/
COLOPHON_WARC_BYTES = _warc.WARC_BYTES  # a WARC file is sealed, and the next begun, once it holds this much
COLOPHON_FROM_WARC: list[object] = []   # [(path, label)]: answer every request from these WARC files, no network
COLOPHON_EXTRACTOR = "crawler.extract:harvest_page"  # what reads a page (module:function; its module's version)

# --- politeness: the defaults are gentle; `colophon crawl --delay 0 --concurrency 16` for a mirror
ROBOTSTXT_OBEY = True
USER_AGENT = f"Colophon/1.0 (+{COLOPHON_CONTACT})"
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_ITEMS = 10                   # measured faster than the default 100 for this workload
# Scrapy re-reads a generator callback's source on every cache miss (~2 ms a page here) to warn
# about `return value` in generators; ours have none.
WARN_ON_GENERATOR_RETURN_VALUE = False

# --- robustness ---------------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = _options.MAX_PAGE_BYTES  # a page larger than this is a reject, not a memory spike
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
DOWNLOAD_FAIL_ON_DATALOSS = True        # a truncated body is retried, then rejected, never half-read
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False          # no listener of any kind: nothing to reach the crawl through
REMOTE_CONTROL_ENABLED = False         # (it would also keep job files under ~/.local/state)
DEPTH_PRIORITY = 0
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.QuietDrops"

# Local folders and file:// mirrors: only regular files inside the archive's root, with the same
# size limit and timeout as HTTP.
DOWNLOAD_HANDLERS = {"file": "crawler.transport.LocalFileHandler"}
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ScopeMiddleware": 50,          # before anything is sent, robots.txt included
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.ScopedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.BoundedDecompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.ScopedRedirectMiddleware": 600,
    "crawler.incremental.IncrementalMiddleware": 650,   # conditional requests, inside the redirects
    "crawler.capture.WarcMiddleware": 950,              # WARC records of what was received, as received
}
SPIDER_MIDDLEWARES = {
    "crawler.environment.EnvironmentGuard": 50,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.StatePipeline": 900,
}
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    # JOBDIR holds only the request queue (crawler.run): the spider's state is the state store.
    "scrapy.extensions.spiderstate.SpiderState": None,
    "crawler.run.RunOwner": 0,                   # a run's lifecycle: lock, recovery, state, publication
    "crawler.extensions.Progress": 500,
}
