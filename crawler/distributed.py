"""One crawl shared by many workers through Redis.

The coordinator is an ordinary crawl (`colophon crawl ... --redis URL`): the same spider, state
store, pipelines and publication, so the dataset folder keeps its single writer and every guarantee
of a crawl in one process. Only its HTTP download handler differs: each request, once every
downloader middleware has passed it (scope, robots.txt, the conditional headers of a refresh), is
put on a queue in Redis, and its response comes back from whichever worker fetched it. Redirects,
retries, robots.txt and 304s are the coordinator's as before; the per-host delay and concurrency of
its downloader hold for all workers together, and each worker also takes its turn from a per-host
limiter in Redis before it sends a request, so the spacing holds at the origin itself.

A worker (`colophon worker --redis URL`) takes a request with a lease, fetches it with Scrapy's
own HTTP handler, reads the page when the coordinator asked (the page's record travels back with
its response, so the coordinator's core is spent on navigating and storing), and puts the result
on a stream. A lease a worker does not renew (the worker was killed, its machine lost) returns its
request to the queue; a result the coordinator already has is dropped, so no page is read into the
dataset twice. When the crawl is over the coordinator marks it finished and every worker exits 0.

The dispatch queue is scrapy-redis's FIFO queue (its keys, length, push), extended with leases:
scrapy-redis pops a request for good, and a worker killed with it loses it.
"""

from __future__ import annotations

import base64
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy_redis.queue import FifoQueue
from twisted.internet import defer
from twisted.internet.task import LoopingCall

from crawler.errors import ServiceUnavailable
from crawler.extract import Harvest
from crawler.harvesters import HARVESTED
from models import Index, OtherPage, Reject, Work

logger = logging.getLogger(__name__)

CRAWL = "colophon"          # the default name of a crawl: the prefix of its keys in Redis
LEASE_SECONDS = 30.0        # how long a worker may hold a request without renewing its lease
RESULTS_BATCH = 64          # results read from the stream at a time
WAIT_SECONDS = 1.0          # how long a blocking read waits before looking again
RECONNECT_CAP = 10.0        # seconds: the longest wait between two attempts to reach Redis
RECORDS: dict[str, type[Any]] = {cls.__name__: cls for cls in (Work, Index, OtherPage, Reject)}
# The failures a worker may report, by module: rebuilt as the same exception type on the coordinator
# (crawler.failures classifies failures by type); anything else is reported as a plain error.
FAILURE_MODULES = ("twisted.", "scrapy.", "crawler.", "builtins")


class RedisUnavailable(ServiceUnavailable):
    """Redis could not be reached when the command started."""


def keys(crawl: str) -> dict[str, str]:
    prefix = f"{crawl}:"
    return {name: prefix + name for name in ("queue", "workers", "results", "state", "catalogue")}


def connect(url: str, timeout: float = 5.0) -> Any:
    """A client of the Redis at ``url``, checked once: a bad URL is a ValueError, a Redis that does
    not answer within ``timeout`` is RedisUnavailable, each with a message naming the URL."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout + WAIT_SECONDS + 5,
                                      socket_connect_timeout=timeout, health_check_interval=30)
    except ValueError as error:
        raise ValueError(f"--redis {url!r}: {error}") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return client
        except redis.RedisError as error:
            if time.monotonic() >= deadline:
                raise RedisUnavailable(f"Redis at {url} does not answer ({error})") from None
            time.sleep(0.2)


def patiently(what: str, action: Callable[[], Any], stopping: Callable[[], bool] = lambda: False) -> Any:
    """``action`` until Redis answers it: a connection lost (Redis restarting, a network cut) is
    logged once, waited out with growing pauses, and logged again when Redis is back."""
    import redis

    pause, failing = 0.2, False
    while True:
        try:
            result = action()
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if stopping():
                raise
            if not failing:
                logger.warning("Redis unreachable while %s (%s); waiting for it", what, error)
                failing = True
            time.sleep(pause)
            pause = min(pause * 2, RECONNECT_CAP)
            continue
        if failing:
            logger.warning("Redis is back; %s goes on", what)
        return result


class LeasedQueue(FifoQueue):  # type: ignore[misc]
    """scrapy-redis's FIFO queue of requests, whose pop is a lease (Redis's reliable-queue
    pattern): a worker moves the request it takes into a list of its own (`held:WORKER`, one
    blocking BLMOVE), and removes it only in the transaction that reports its result. A worker
    keeps a key alive (`alive:WORKER`, expiring after the lease time) while it works; the
    coordinator returns to the head of the queue whatever a worker whose key expired still held."""

    _REAP = """
    local returned = 0
    for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
        if redis.call('EXISTS', ARGV[1] .. 'alive:' .. worker) == 0 then
            local held = ARGV[1] .. 'held:' .. worker
            while redis.call('LMOVE', held, KEYS[1], 'LEFT', 'RIGHT') do returned = returned + 1 end
            redis.call('SREM', KEYS[2], worker)
        end
    end
    return returned
    """

    def __init__(self, server: Any, crawl: str = CRAWL) -> None:
        self.names = keys(crawl)
        self.prefix = f"{crawl}:"
        self.server = server
        self.key = self.names["queue"]
        self._reap = server.register_script(self._REAP)

    def _encode_request(self, request: dict[str, Any]) -> bytes:  # a message, not a Scrapy request
        return orjson.dumps(request)

    def held(self, worker: str) -> str:
        return f"{self.prefix}held:{worker}"

    def alive(self, worker: str, seconds: float) -> None:
        """A worker's sign of life, renewed well within the lease time."""
        pipe = self.server.pipeline()
        pipe.sadd(self.names["workers"], worker)
        pipe.set(f"{self.prefix}alive:{worker}", b"1", px=max(1, int(seconds * 1000)))
        pipe.execute()

    def lease(self, worker: str, wait: float) -> bytes | None:
        """The oldest request, now held by ``worker``; None after ``wait`` seconds of an empty queue."""
        item: bytes | None = self.server.blmove(self.key, self.held(worker), wait, "RIGHT", "LEFT")
        return item

    def report(self, worker: str, item: bytes, result: bytes) -> None:
        """The result on the stream and the request out of the worker's hands, in one transaction."""
        pipe = self.server.pipeline(transaction=True)
        pipe.xadd(self.names["results"], {"result": result})
        pipe.lrem(self.held(worker), 1, item)
        pipe.execute()

    def reap(self) -> int:
        """Return to the queue what every worker that stopped signalling still held."""
        return int(self._reap(keys=[self.key, self.names["workers"]], args=[self.prefix]))

    def outstanding(self) -> int:
        return sum(int(self.server.llen(self.held(w.decode()))) for w in self.server.smembers(self.names["workers"]))

    def clear(self) -> None:
        workers = [w.decode() for w in self.server.smembers(self.names["workers"])]
        self.server.delete(self.key, self.names["results"], *[self.held(w) for w in workers])


# --- what travels: a request to fetch, and what came of it ------------------------------------------
def request_message(request: Request, token: str, epoch: int, read: dict[str, str] | None,
                    catalogue: str | None, delay: float) -> dict[str, Any]:
    return {
        "token": token, "epoch": epoch, "url": request.url, "method": request.method,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, vs in request.headers.items() for v in vs],
        "body": base64.b64encode(request.body).decode("ascii") if request.body else "",
        "timeout": request.meta.get("download_timeout"), "maxsize": request.meta.get("download_maxsize"),
        "read": read, "catalogue": catalogue, "delay": delay,
    }


def worker_request(message: dict[str, Any]) -> Request:
    meta: dict[str, Any] = {"message": message, "dont_redirect": True, "dont_retry": True,
                            "handle_httpstatus_all": True, "dont_obey_robotstxt": True}
    if message.get("timeout"):
        meta["download_timeout"] = message["timeout"]
    if message.get("maxsize") is not None:
        meta["download_maxsize"] = message["maxsize"]
    headers = Headers()
    for name, value in message["headers"]:
        headers.appendlist(name, value)
    return Request(message["url"], method=message["method"], headers=headers,
                   body=base64.b64decode(message["body"]) if message["body"] else b"", meta=meta,
                   dont_filter=True)


def response_result(message: dict[str, Any], response: Response, harvest: Harvest | None) -> dict[str, Any]:
    return {
        "token": message["token"], "epoch": message["epoch"], "url": response.url, "status": response.status,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, vs in response.headers.items() for v in vs],
        "body": base64.b64encode(response.body).decode("ascii"), "protocol": response.protocol,
        "harvest": None if harvest is None else {
            "type": type(harvest.record).__name__, "record": harvest.record.model_dump(mode="json"),
            "links": harvest.links, "removed_characters": harvest.removed_characters},
    }


def failure_result(message: dict[str, Any], error: BaseException) -> dict[str, Any]:
    kind = type(error)
    return {"token": message["token"], "epoch": message["epoch"],
            "error": {"type": f"{kind.__module__}.{kind.__qualname__}", "message": str(error)}}


def rebuilt_failure(error: dict[str, str]) -> BaseException:
    """The worker's failure as the same exception type (from the known modules only)."""
    module, _, name = error["type"].rpartition(".")
    if module.startswith(FAILURE_MODULES):
        try:
            kind = getattr(importlib.import_module(module), name)
            if isinstance(kind, type) and issubclass(kind, Exception):
                try:
                    return kind(error["message"])
                except TypeError:
                    return kind()
        except (ImportError, AttributeError):
            pass
    return ConnectionError(f"{error['type']}: {error['message']}")


def result_response(request: Request, result: dict[str, Any]) -> Response:
    headers = Headers()
    for name, value in result["headers"]:
        headers.appendlist(name, value)
    body = base64.b64decode(result["body"])
    cls = responsetypes.from_args(headers=headers, url=result["url"], body=body)
    return cls(url=result["url"], status=result["status"], headers=headers, body=body, request=request,
               protocol=result.get("protocol"))


def result_harvest(result: dict[str, Any]) -> Harvest | None:
    harvested = result.get("harvest")
    if not harvested or harvested.get("type") not in RECORDS:
        return None
    record = RECORDS[harvested["type"]].model_validate(harvested["record"])
    return Harvest(record, [str(link) for link in harvested["links"]], int(harvested["removed_characters"]))


def reading(spider: Any, request: Request) -> dict[str, str] | None:
    """What a worker needs to read the page a request asks for (its id and canonical URL), or None
    for a request that is not for a page (robots.txt, the catalogue)."""
    if not request.meta.get("frontier_id") or getattr(spider, "site", None) is None:
        return None
    page_id = spider.site.page_id(request.url)
    url = spider.site.canonical(request.url)
    return {"page_id": page_id, "url": url} if page_id and url else None


class RemoteDownloadHandler:
    """The coordinator's download handler for http and https (one Coordinator for both): requests
    go to the workers through Redis, responses come back from them."""

    lazy = False

    def __init__(self, crawler: Any) -> None:
        self.coordinator = Coordinator.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RemoteDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        return await self.coordinator.fetch(request)

    async def close(self) -> None:
        self.coordinator.finish()


class Coordinator:
    """The coordinator's side of the crawl in Redis: the queue it fills, the results it reads, the
    leases of stopped workers it returns, and the crawl's state the workers follow."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url = settings.get("COLOPHON_REDIS_URL")
        self.crawl = settings.get("COLOPHON_REDIS_CRAWL") or CRAWL
        self.lease_seconds = settings.getfloat("COLOPHON_LEASE_SECONDS", LEASE_SECONDS)
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.server = connect(self.url)
        self.names = keys(self.crawl)
        self.queue = LeasedQueue(self.server, self.crawl)
        self.waiting: dict[str, tuple[defer.Deferred[Response], Request, dict[str, Any]]] = {}
        self.catalogue_digest: str | None = None
        self.stopping = False
        self.epoch = self._begin()
        self.reader = threading.Thread(target=self._read_results, name="colophon-results", daemon=True)
        self.reader.start()
        self.reaper = LoopingCall(self._reap)
        self.reaper.start(max(0.5, self.lease_seconds / 4), now=False)
        from scrapy import signals

        crawler.signals.connect(self.finish, signal=signals.engine_stopped)

    @classmethod
    def of(cls, crawler: Any) -> Coordinator:
        """The crawler's one coordinator (Scrapy builds a download handler per scheme)."""
        coordinator: Coordinator | None = getattr(crawler, "_colophon_coordinator", None)
        if coordinator is None:
            coordinator = cls(crawler)
            crawler._colophon_coordinator = coordinator
        return coordinator

    def _begin(self) -> int:
        """A new epoch of the crawl: whatever an earlier coordinator left (queue, leases, results)
        is dropped (the run resumes from its state store), and the workers are told to go on."""
        self.queue.clear()
        self.server.delete(self.names["catalogue"])
        epoch = int(self.server.hincrby(self.names["state"], "epoch", 1))
        self._announce(epoch)
        logger.info("coordinating crawl %r (epoch %d) on %s", self.crawl, epoch, self.url)
        return epoch

    def _announce(self, epoch: int) -> None:
        """The crawl's state the workers follow, and the group its results are read by."""
        import redis

        try:
            self.server.xgroup_create(self.names["results"], "coordinator", id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self.server.hset(self.names["state"], mapping={"status": "running", "lease": self.lease_seconds,
                                                       "epoch": epoch})

    def _restore(self) -> None:
        """Redis came back without the crawl (restarted with nothing kept): the state, the results
        group and the catalogue again, and every request still waiting for its response queued again
        (a second answer to one already answered is dropped)."""
        if self.server.hget(self.names["state"], "epoch") is not None:
            return
        logger.warning("Redis lost the crawl's state (restarted without persistence?); queueing the %d "
                       "requests in flight again", len(self.waiting))
        self._announce(self.epoch)
        self.catalogue_digest = None
        for _, _, message in list(self.waiting.values()):
            if message.get("catalogue"):
                message["catalogue"] = self._catalogue(self.crawler.spider)
            self.queue.push(message)
        self.crawler.stats.inc_value("colophon/redis_restored")

    def _catalogue(self, spider: Any) -> str | None:
        """The catalogue the workers read pages with, kept in Redis once under its digest."""
        catalogue = getattr(spider, "catalogue", None)
        if catalogue is None:
            return None
        data = orjson.dumps(catalogue.authors, option=orjson.OPT_SORT_KEYS)
        import hashlib

        digest = hashlib.sha256(data).hexdigest()[:16]
        if digest != self.catalogue_digest:
            patiently("storing the catalogue", lambda: self.server.hset(self.names["catalogue"], digest, data))
            self.catalogue_digest = digest
        return digest

    async def fetch(self, request: Request) -> Response:
        from scrapy.utils.defer import maybe_deferred_to_future

        spider = self.crawler.spider
        token = uuid.uuid4().hex
        read = reading(spider, request)
        message = request_message(request, token, self.epoch, read,
                                  self._catalogue(spider) if read else None, self.delay)
        deferred: defer.Deferred[Response] = defer.Deferred()
        self.waiting[token] = (deferred, request, message)
        patiently("queueing a request", lambda: self.queue.push(message))
        try:
            return await maybe_deferred_to_future(deferred)
        finally:
            self.waiting.pop(token, None)

    def _read_results(self) -> None:
        """A thread that reads the workers' results and hands each to the reactor."""
        from twisted.internet import reactor  # the one Scrapy installed (imported late for that)

        consumer = f"coordinator-{uuid.uuid4().hex[:8]}"
        stream = self.names["results"]
        import redis

        while not self.stopping:
            try:
                entries = patiently("reading results", lambda: self.server.xreadgroup(
                    "coordinator", consumer, {stream: ">"}, count=RESULTS_BATCH, block=int(WAIT_SECONDS * 1000)),
                    lambda: self.stopping)
            except redis.ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                time.sleep(WAIT_SECONDS)  # Redis came back empty: the reaper's tick restores the group
                continue
            except Exception:
                if self.stopping:
                    return
                raise
            for _, messages in entries or []:
                ids = [entry_id for entry_id, _ in messages]
                results = [orjson.loads(fields[b"result"]) for _, fields in messages]
                reactor.callFromThread(self._deliver, results)
                self._acknowledge(stream, ids)

    def _acknowledge(self, stream: str, ids: list[bytes]) -> None:
        def acknowledge() -> None:
            pipe = self.server.pipeline()
            pipe.xack(stream, "coordinator", *ids)
            pipe.xdel(stream, *ids)
            pipe.execute()

        patiently("acknowledging results", acknowledge)

    def _deliver(self, results: list[dict[str, Any]]) -> None:
        for result in results:
            if result.get("epoch") != self.epoch:
                continue  # a result for an earlier coordinator: its page is asked again
            waiting = self.waiting.pop(result["token"], None)
            if waiting is None:
                continue  # a second result for the same request (a lease that ran out): one is kept
            deferred, request, _ = waiting
            if "error" in result:
                deferred.errback(rebuilt_failure(result["error"]))
                continue
            try:
                response = result_response(request, result)
                harvest = result_harvest(result)
            except Exception as error:
                deferred.errback(ConnectionError(f"unreadable result from a worker: {error}"))
                continue
            if harvest is not None:
                request.meta[HARVESTED] = harvest
            deferred.callback(response)

    def _reap(self) -> None:
        try:
            self._restore()
            returned = self.queue.reap()
        except Exception as error:
            logger.warning("could not look for expired leases: %s", error)
            return
        if returned:
            logger.warning("%d requests held by a worker that stopped went back to the queue", returned)
            self.crawler.stats.inc_value("colophon/leases_expired", returned)

    def finish(self) -> None:
        """The crawl is over: the workers are told to exit, and what is left in Redis is dropped."""
        if self.stopping:
            return
        self.stopping = True
        if self.reaper.running:
            self.reaper.stop()
        try:
            self.server.hset(self.names["state"], "status", "finished")
            self.queue.clear()
        except Exception as error:
            logger.warning("could not mark the crawl finished in Redis: %s", error)


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or ''}"


# --- the worker -----------------------------------------------------------------------------------
_TURN = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local after = tonumber(redis.call('GET', KEYS[1]) or '0')
if after <= t then
    redis.call('SET', KEYS[1], tostring(t + tonumber(ARGV[1])), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
    return '0'
end
return tostring(after - t)
"""


class Worker:
    """What `colophon worker` runs in its Scrapy process: lease a request, wait for the host's
    turn, fetch it, read it when asked, report the result; until the crawl is marked finished."""

    def __init__(self, server: Any, crawl: str, name: str | None = None) -> None:
        self.server = server
        self.crawl = crawl
        self.names = keys(crawl)
        self.queue = LeasedQueue(server, crawl)
        self.name = name or uuid.uuid4().hex[:12]
        self.turn = server.register_script(_TURN)
        self.catalogues: dict[str, Any] = {}
        self.lease_seconds = LEASE_SECONDS
        self.stopping = False
        self.joined = False

    def status(self) -> tuple[str | None, int | None]:
        state = patiently("reading the crawl's state", lambda: self.server.hgetall(self.names["state"]))
        status = state.get(b"status")
        if b"lease" in state:
            self.lease_seconds = float(state[b"lease"])
        return (status.decode() if status else None), (int(state[b"epoch"]) if b"epoch" in state else None)

    def signal_alive(self) -> None:
        try:
            self.queue.alive(self.name, self.lease_seconds)
        except Exception as error:
            logger.warning("could not renew this worker's lease: %s", error)

    def next_message(self) -> tuple[bytes, dict[str, Any]] | None:
        """The next request to fetch (blocking, in a thread), or None once the crawl is finished."""
        while not self.stopping:
            status, _ = self.status()
            if status == "running":
                if not self.joined:
                    logger.warning("worker %s joined crawl %r", self.name, self.crawl)
                    self.joined = True
            elif status == "finished" and self.joined:
                logger.warning("crawl %r is finished; worker %s exits", self.crawl, self.name)
                return None
            else:
                time.sleep(WAIT_SECONDS)  # no crawl yet (or the last one ended before we came)
                continue
            patiently("signalling this worker", lambda: self.queue.alive(self.name, self.lease_seconds))
            item = patiently("taking a request", lambda: self.queue.lease(self.name, WAIT_SECONDS))
            if item is not None:
                return item, orjson.loads(item)
        return None

    def wait_turn(self, message: dict[str, Any]) -> None:
        """The host's turn: at most one request per `delay` seconds to a host, across every worker."""
        delay = float(message.get("delay") or 0)
        if delay <= 0:
            return
        key = f"{self.names['state']}:turn:{host_of(message['url'])}"
        while True:
            wait = float(patiently("waiting for the host's turn", lambda: self.turn(keys=[key], args=[delay])))
            if wait <= 0:
                return
            time.sleep(wait)

    def catalogue(self, digest: str | None) -> Any:
        from crawler.extract import Catalogue

        if not digest:
            return None
        if digest not in self.catalogues:
            data = patiently("reading the catalogue", lambda: self.server.hget(self.names["catalogue"], digest))
            self.catalogues[digest] = Catalogue(authors=orjson.loads(data)) if data else Catalogue()
        return self.catalogues[digest]

    def read(self, message: dict[str, Any], response: Response) -> Harvest | None:
        from crawler.extract import harvest_page
        from crawler.harvesters import page_fetch

        read = message.get("read")
        if not read:
            return None
        fetch = page_fetch(response)
        if fetch is None:
            return None
        catalogue = self.catalogue(message.get("catalogue"))
        return harvest_page(response.body, read["url"], read["page_id"], catalogue, fetch)

    def report(self, item: bytes, result: dict[str, Any]) -> None:
        data = orjson.dumps(result)
        patiently("reporting a result", lambda: self.queue.report(self.name, item, data))


def worker_spider(worker: Worker) -> type[Any]:
    """The Scrapy spider of a worker: its start requests are the leased requests of the crawl."""
    import scrapy
    from twisted.internet.threads import deferToThread

    class WorkerSpider(scrapy.Spider):
        name = "colophon-worker"

        async def start(self) -> Any:
            from scrapy.utils.defer import maybe_deferred_to_future

            beat = LoopingCall(worker.signal_alive)
            beat.start(max(0.2, worker.lease_seconds / 3), now=True)
            try:
                while True:
                    taken = await maybe_deferred_to_future(deferToThread(worker.next_message))
                    if taken is None:
                        return
                    item, message = taken
                    await maybe_deferred_to_future(deferToThread(worker.wait_turn, message))
                    request = worker_request(message)
                    request.meta["item"] = item
                    yield request.replace(callback=self.fetched, errback=self.failed)
            finally:
                if beat.running:
                    beat.stop()

        def fetched(self, response: Response) -> None:
            message = response.meta["message"]
            try:
                harvest = worker.read(message, response)
            except Exception as error:
                logger.error("could not read %s: %s", response.url, error)
                harvest = None
            worker.report(response.meta["item"], response_result(message, response, harvest))
            self.crawler.stats.inc_value("colophon/worker/fetched")

        def failed(self, failure: Any) -> None:
            request = failure.request
            worker.report(request.meta["item"], failure_result(request.meta["message"], failure.value))
            self.crawler.stats.inc_value("colophon/worker/failed")

    return WorkerSpider


def worker_settings(concurrency: int, log_level: str) -> dict[str, Any]:
    """A worker fetches only: robots.txt, redirects, retries, politeness and storage are the
    coordinator's. Decompression (bounded) happens here, so the page is read from its text."""
    return {
        "LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
        "COOKIES_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "REDIRECT_ENABLED": False, "RETRY_ENABLED": False, "METAREFRESH_ENABLED": False,
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "HTTPERROR_ALLOW_ALL": True,
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_FAIL_ON_DATALOSS": True, "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "REACTOR_THREADPOOL_MAXSIZE": 4,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            "crawler.middlewares.BoundedDecompressionMiddleware": 590,
            "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
            "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": None,
        },
        "LOG_FORMATTER": "crawler.logformatter.QuietDrops",
    }
