"""One crawl shared by many workers through Redis.

The coordinator is an ordinary crawl (`colophon crawl ... --redis URL`): the same spider, state
store, pipelines and publication, so the dataset folder keeps its single writer and every guarantee
of a crawl in one process. Only its HTTP download handler differs: each request, once every
downloader middleware has passed it (scope, robots.txt, the conditional headers of a refresh), is
put on a queue in Redis, and its response comes back from whichever worker fetched it. Redirects,
retries, robots.txt and 304s are the coordinator's as before; the per-host delay and concurrency of
its downloader hold for all workers together, and each worker also takes its turn from a per-host
limiter in Redis right before it sends a request, so the spacing holds at the origin itself.

A worker (`colophon worker --redis URL`) takes a request with a lease, fetches it with Scrapy's
own HTTP handler, reads the page when the coordinator asked (the page's record travels back with
its response, so the coordinator's core is spent on navigating and storing), and puts the result
on a stream. A lease a worker does not renew (the worker was killed, its machine lost) returns its
request to the queue; a worker that is stopped returns what it holds at once. A request whose
result does not come within its deadline (its download timeout, the lease and the host's turns)
fails as a timeout, which the coordinator's retries take up; a result the coordinator already has
is dropped, so no page is read into the dataset twice. Whatever arrives on the stream is checked
before it is used: an unreadable entry is logged and dropped, never a crash, and a failure a
worker reports becomes one of a fixed list of exception types. One coordinator owns a crawl name
at a time. When its run ends the coordinator marks the crawl finished and every worker exits 0; a
coordinator that is interrupted marks it stopped, and the workers wait for the next one.

The dispatch queue is scrapy-redis's FIFO queue (its keys, length, push), extended with leases:
scrapy-redis pops a request for good, and a worker killed with it loses it. The lease scripts name
keys they compute (a worker's lists), so they are for a single Redis, not Redis Cluster.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import logging
import queue as queues
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Literal, cast

import orjson
from pydantic import BaseModel, ConfigDict, Field
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from scrapy_redis.queue import FifoQueue
from twisted.internet import defer
from twisted.internet.task import LoopingCall

from crawler.errors import ServiceUnavailable
from crawler.extract import Harvest
from crawler.failures import TooLarge
from crawler.harvesters import HARVESTED
from crawler.options import FINISH_REASONS, redact
from models import Index, OtherPage, Reject, Work
from output.state import RunLocked

logger = logging.getLogger(__name__)

CRAWL = "colophon"          # the default name of a crawl: the prefix of its keys in Redis
LEASE_SECONDS = 30.0        # how long a worker may hold a request without renewing its lease
MIN_LEASE_SECONDS = 1.0     # the shortest lease (a worker renews it BEATS_PER_LEASE times within it)
BEATS_PER_LEASE = 4
TICK_SECONDS = 1.0          # the coordinator's upkeep: expired leases, deadlines, its claim, a restarted Redis
OWNER_SECONDS = 10.0        # a coordinator's claim on its crawl's name lapses this long after its last upkeep
DEADLINE_SLACK = 10.0       # seconds a result may take beyond its download timeout, lease and turns
RESULTS_BATCH = 64          # results read from the stream at a time
DISPATCH_BATCH = 256        # requests queued in one round trip at most
WAIT_SECONDS = 1.0          # how long a blocking read waits before looking again
FINISH_PATIENCE = 30.0      # seconds a coordinator waits for Redis to say the crawl is over
STOP_PATIENCE = 5.0         # ... to say it stopped (the workers wait for the next coordinator either way)
RECONNECT_CAP = 10.0        # seconds: the longest wait between two attempts to reach Redis
DEAD_LETTERS = 1000         # unreadable queue entries kept for inspection (`CRAWL:dead`)
MESSAGE_CHARS = 2000        # the longest failure message that travels
RECORDS: dict[str, type[Any]] = {cls.__name__: cls for cls in (Work, Index, OtherPage, Reject)}
SCHEMES = ("redis", "rediss", "unix")


class RedisUnavailable(ServiceUnavailable):
    """Redis could not be reached when the command started."""


class CrawlTaken(RunLocked):
    """Another live coordinator runs the crawl of that name on this Redis."""


class WorkerFailure(ConnectionError):
    """A failure a worker reported of a type the coordinator does not rebuild (retried as any OSError)."""


class UnreadableResult(ConnectionError):
    """What came back for a request could not be read (retried as any OSError)."""


def keys(crawl: str) -> dict[str, str]:
    prefix = f"{crawl}:"
    return {name: prefix + name
            for name in ("queue", "workers", "results", "state", "catalogue", "owner", "dead")}


def client(url: str, timeout: float = 5.0) -> Any:
    """A client of the Redis at ``url`` (checked by connect() first), not yet connected."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No retries of its own: patiently() waits for Redis, and a stop is noticed between two attempts.
    return redis.Redis.from_url(url, socket_timeout=timeout + WAIT_SECONDS + 5, socket_connect_timeout=timeout,
                                health_check_interval=30, retry=Retry(NoBackoff(), 0))


def connect(url: str, timeout: float = 5.0) -> Any:
    """A client of the Redis at ``url``, checked once. A bad URL, or a Redis that refuses it (a wrong
    password, a database it does not have), is a ValueError; a Redis that does not answer within
    ``timeout`` is RedisUnavailable. Each message names the URL, its password hidden."""
    import redis

    shown = redact(url)
    try:
        urlsplit_checked(url)
        server = client(url, timeout)
    except ValueError as error:
        raise ValueError(f"--redis {shown!r}: {error}") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.ping()
            server.set("colophon:writable", b"1", px=1000)  # a read-only replica, an ACL without writes
            return server
        except (redis.AuthenticationError, redis.ResponseError) as error:
            server.close()
            raise ValueError(f"--redis {shown!r}: Redis refused it ({error})") from None
        except redis.RedisError as error:
            if time.monotonic() >= deadline:
                server.close()
                raise RedisUnavailable(f"Redis at {shown} does not answer ({error})") from None
            time.sleep(0.2)


def urlsplit_checked(url: str) -> Any:
    """The parts of a Redis URL, or a ValueError naming what is wrong with it."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError("not a redis://, rediss:// or unix:// URL")
    if parts.scheme != "unix":
        if not parts.hostname:
            raise ValueError("the URL names no host")
        parts.port  # noqa: B018 - a port that is not a number raises here
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ValueError(f"the database {database!r} is not a number")
    elif not parts.path:
        raise ValueError("the URL names no socket")
    return parts


def patiently(what: str, action: Callable[[], Any], stopping: Callable[[], bool] = lambda: False) -> Any:
    """``action`` until Redis answers it: a connection lost (Redis restarting, a network cut) is
    logged once, waited out with growing pauses, and logged again when Redis is back. Once
    ``stopping`` says so, the connection error is raised instead."""
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


# --- one owner of a crawl's name ----------------------------------------------------------------------
_OWN = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_DISOWN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


_END = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'status', ARGV[2])
redis.call('DEL', KEYS[3], KEYS[4], KEYS[1])
return 1
"""


def group(epoch: int) -> str:
    """The consumer group an epoch's coordinator reads results with (one of an earlier epoch still
    reading never takes this one's)."""
    return f"coordinator:{epoch}"


def own(server: Any, crawl: str, owner: str) -> bool:
    """Renew (or take, when nobody holds it) the claim of ``owner`` on the crawl's name."""
    return bool(server.eval(_OWN, 1, keys(crawl)["owner"], owner, int(OWNER_SECONDS * 1000)))


def disown(server: Any, crawl: str, owner: str) -> None:
    server.eval(_DISOWN, 1, keys(crawl)["owner"], owner)


def claim(server: Any, crawl: str, owner: str, wait: float = OWNER_SECONDS + 2 * TICK_SECONDS) -> None:
    """Own the crawl's name for ``owner``, or CrawlTaken. A claim whose holder keeps renewing it is a
    live coordinator (refused as soon as a renewal is seen); one left by a coordinator that was
    killed lapses within OWNER_SECONDS, and is waited for."""
    key = keys(crawl)["owner"]
    deadline = time.monotonic() + wait
    refused = CrawlTaken(f"another coordinator is running crawl {crawl!r} on this Redis: stop it first, or give "
                         "this crawl another --crawl-name")
    last, told = None, False
    while not own(server, crawl, owner):
        left = int(server.pttl(key))
        if (last is not None and left > last) or time.monotonic() >= deadline:  # renewed: alive
            raise refused
        if not told:
            logger.warning("crawl %r is claimed by another coordinator; waiting up to %.0f s for its claim to "
                           "lapse", crawl, wait)
            told = True
        last = left
        time.sleep(0.25)


class ClaimKeeper:
    """Renews a claim each second from a thread, from the command's check until the coordinator
    built inside the crawl takes its renewal over (hand_over), so the claim cannot lapse between."""

    _keepers: ClassVar[dict[str, ClaimKeeper]] = {}

    def __init__(self, server: Any, crawl: str, owner: str) -> None:
        self.server, self.crawl, self.owner = server, crawl, owner
        self.done = threading.Event()
        self._keepers[owner] = self
        self.thread = threading.Thread(target=self._keep, name="colophon-claim", daemon=True)
        self.thread.start()

    def _keep(self) -> None:
        while not self.done.wait(TICK_SECONDS):
            with contextlib.suppress(Exception):  # a lapse is noticed by the coordinator's own claim
                own(self.server, self.crawl, self.owner)

    def stop(self) -> None:
        self.done.set()
        self._keepers.pop(self.owner, None)
        self.thread.join(timeout=5)

    @classmethod
    def hand_over(cls, owner: str) -> None:
        keeper = cls._keepers.get(owner)
        if keeper is not None:
            keeper.done.set()
            cls._keepers.pop(owner, None)


# --- the queue with leases ---------------------------------------------------------------------------
class LeasedQueue(FifoQueue):  # type: ignore[misc]
    """scrapy-redis's FIFO queue of requests, whose pop is a lease (Redis's reliable-queue
    pattern): a worker moves the request it takes into a list of its own (`held:WORKER`, one
    blocking BLMOVE), and removes it only in the transaction that reports its result. A worker
    keeps a key alive (`alive:WORKER`, expiring after the lease time) while it works; the
    coordinator returns to the head of the queue whatever a worker whose key expired still held,
    and a worker that stops returns what it holds itself."""

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
    _RELEASE = """
    local returned = 0
    while redis.call('LMOVE', KEYS[3], KEYS[1], 'LEFT', 'RIGHT') do returned = returned + 1 end
    redis.call('SREM', KEYS[2], ARGV[1])
    redis.call('DEL', KEYS[4])
    return returned
    """

    def __init__(self, server: Any, crawl: str = CRAWL) -> None:
        self.names = keys(crawl)
        self.prefix = f"{crawl}:"
        self.server = server
        self.key = self.names["queue"]
        self._reap = server.register_script(self._REAP)
        self._release = server.register_script(self._RELEASE)

    def _encode_request(self, request: dict[str, Any] | bytes) -> bytes:  # a message, not a Scrapy request
        return request if isinstance(request, bytes) else orjson.dumps(request)

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

    def bury(self, worker: str, item: bytes, why: str) -> None:
        """An entry no worker can read, out of the worker's hands and kept aside (the newest few)."""
        pipe = self.server.pipeline(transaction=True)
        pipe.lrem(self.held(worker), 1, item)
        pipe.lpush(self.names["dead"], orjson.dumps({"entry": item.decode("utf-8", "replace"), "why": why}))
        pipe.ltrim(self.names["dead"], 0, DEAD_LETTERS - 1)
        pipe.execute()

    def release(self, worker: str) -> int:
        """What ``worker`` holds, back at the head of the queue, and the worker forgotten."""
        return int(self._release(keys=[self.key, self.names["workers"], self.held(worker),
                                       f"{self.prefix}alive:{worker}"], args=[worker]))

    def reap(self) -> int:
        """Return to the queue what every worker that stopped signalling still held."""
        return int(self._reap(keys=[self.key, self.names["workers"]], args=[self.prefix]))

    def withdraw(self, item: bytes) -> bool:
        """``item`` out of the queue, if no worker has taken it yet."""
        return bool(self.server.lrem(self.key, 1, item))

    def queued(self, item: bytes) -> bool:
        """Whether ``item`` still waits in the queue (no worker has taken it)."""
        return self.server.lpos(self.key, item) is not None

    def forget(self, item: bytes) -> None:
        """``item`` out of the queue and out of every worker's hands."""
        pipe = self.server.pipeline(transaction=False)
        pipe.lrem(self.key, 0, item)
        for worker in self.server.smembers(self.names["workers"]):
            pipe.lrem(self.held(worker.decode()), 0, item)
        pipe.execute()

    def everything_held(self) -> set[bytes]:
        """Every request some worker holds now."""
        pipe = self.server.pipeline(transaction=False)
        for worker in self.server.smembers(self.names["workers"]):
            pipe.lrange(self.held(worker.decode()), 0, -1)
        return {item for items in pipe.execute() for item in items}

    def clear(self) -> None:
        workers = [w.decode() for w in self.server.smembers(self.names["workers"])]
        self.server.delete(self.key, self.names["results"], *[self.held(w) for w in workers])


# --- what travels: a request to fetch, and what came of it ------------------------------------------
class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Reading(_Message):
    """What a worker needs to read the page: its id and the URL its record cites."""

    page_id: str
    url: str


class RequestMessage(_Message):
    """A request as it waits in the queue (made by the coordinator, checked by the worker)."""

    token: str = Field(min_length=1, max_length=64)
    epoch: int
    url: str = Field(pattern=r"^https?://")
    method: str = Field("GET", pattern=r"^[A-Z]{1,16}$")
    headers: list[tuple[str, str]] = []
    body: str = ""                              # base64
    timeout: float | None = Field(None, gt=0)
    maxsize: int | None = Field(None, ge=0)
    warnsize: int | None = Field(None, ge=0)
    read: Reading | None = None
    catalogue: str | None = None
    delay: float = Field(0.0, ge=0)


class FailureMessage(_Message):
    type: str
    message: str = ""


class HarvestMessage(_Message):
    type: Literal["Work", "Index", "OtherPage", "Reject"]
    record: dict[str, Any]
    links: list[str] = []
    removed_characters: int = Field(0, ge=0)


class ResultMessage(_Message):
    """What a worker reports: the response (and the page's record, when it read it), or a failure."""

    token: str
    epoch: int
    url: str | None = None
    status: int | None = Field(None, ge=100, le=599)
    headers: list[tuple[str, str]] = []
    body: str = ""                              # base64
    protocol: str | None = None
    harvest: HarvestMessage | None = None
    error: FailureMessage | None = None


@dataclass(frozen=True)
class Unreadable:
    """A stream entry that is not a result: dropped, and the request it names (if any) asked again."""

    token: str | None
    epoch: int | None
    why: str


def _headers(headers: Headers) -> list[list[str]]:
    return [[k.decode("latin-1"), v.decode("latin-1")] for k, vs in headers.items() for v in vs]


def request_message(request: Request, token: str, epoch: int, read: dict[str, str] | None, catalogue: str | None,
                    delay: float, timeout: float | None = None, maxsize: int | None = None,
                    warnsize: int | None = None) -> dict[str, Any]:
    """The queue's form of a request; the size limits and the timeout are the coordinator's own (its
    settings, or the request's meta), so a worker enforces what the crawl was asked for."""
    meta = request.meta
    return {
        "token": token, "epoch": epoch, "url": request.url, "method": request.method,
        "headers": _headers(request.headers),
        "body": base64.b64encode(request.body).decode("ascii") if request.body else "",
        "timeout": meta.get("download_timeout", timeout), "maxsize": meta.get("download_maxsize", maxsize),
        "warnsize": meta.get("download_warnsize", warnsize), "read": read, "catalogue": catalogue, "delay": delay,
    }


def worker_request(message: RequestMessage) -> Request:
    meta: dict[str, Any] = {"message": message, "dont_redirect": True, "dont_retry": True,
                            "handle_httpstatus_all": True, "dont_obey_robotstxt": True}
    if message.timeout:
        meta["download_timeout"] = message.timeout
    if message.maxsize is not None:
        meta["download_maxsize"] = message.maxsize
    if message.warnsize is not None:
        meta["download_warnsize"] = message.warnsize
    headers = Headers()
    for name, value in message.headers:
        headers.appendlist(name, value)
    return Request(message.url, method=message.method, headers=headers,
                   body=base64.b64decode(message.body, validate=True) if message.body else b"", meta=meta,
                   dont_filter=True)


def response_result(message: RequestMessage, response: Response, harvest: Harvest | None) -> dict[str, Any]:
    return {
        "token": message.token, "epoch": message.epoch, "url": response.url, "status": response.status,
        "headers": _headers(response.headers),
        "body": base64.b64encode(response.body).decode("ascii"), "protocol": response.protocol,
        "harvest": None if harvest is None else {
            "type": type(harvest.record).__name__, "record": harvest.record.model_dump(mode="json"),
            "links": harvest.links, "removed_characters": harvest.removed_characters},
    }


def _qualified(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


@cache
def known_failures() -> dict[str, type[BaseException]]:
    """The failures that travel by type: the download errors Scrapy retries (its own default list)
    and those crawler.failures turns into reject codes. Rebuilt from this table only: a name from a
    worker is never imported."""
    from scrapy.settings.default_settings import RETRY_EXCEPTIONS
    from scrapy.utils.misc import load_object

    from crawler import failures

    named: list[Any] = [load_object(k) if isinstance(k, str) else k for k in RETRY_EXCEPTIONS]
    kinds: list[type[BaseException]] = [kind for kind in named if isinstance(kind, type)]
    kinds += [kind for types, _ in failures.DOWNLOAD_FAILURES for kind in types]
    kinds += [kind for kind in vars(failures).values()
              if isinstance(kind, type) and issubclass(kind, failures.FetchRefused)]
    return {_qualified(kind): kind for kind in kinds}


def failure_result(message: RequestMessage, error: BaseException) -> dict[str, Any]:
    """A failure as it travels: the nearest type of it the coordinator rebuilds, and its message."""
    known = known_failures()
    kind = next((k for k in type(error).__mro__ if _qualified(k) in known), type(error))
    return {"token": message.token, "epoch": message.epoch,
            "error": {"type": _qualified(kind), "message": str(error)[:MESSAGE_CHARS]}}


def rebuilt_failure(error: FailureMessage) -> BaseException:
    """The worker's failure as the same exception type, when it is one of known_failures()."""
    kind = known_failures().get(error.type)
    text = error.message[:MESSAGE_CHARS]
    if kind is not None:
        try:
            return kind(text)
        except TypeError:
            return kind()
    return WorkerFailure(f"{error.type[:200]}: {text}")


def result_response(request: Request, result: ResultMessage, maxsize: int = 0) -> Response | BaseException:
    """The response a result carries, for ``request`` (never for another URL), with the page's
    record when the worker read a 2xx page; or the failure it reports. ValueError: unreadable."""
    if result.error is not None:
        return rebuilt_failure(result.error)
    if result.status is None or result.url is None:
        raise ValueError("neither a response nor a failure")
    if result.url != request.url:
        raise ValueError(f"a response for {result.url!r}, not for {request.url!r}")
    body = base64.b64decode(result.body, validate=True)
    limit = request.meta.get("download_maxsize", maxsize)
    if limit and len(body) > limit:
        return TooLarge(f"the body has {len(body)} bytes, more than the size limit of {limit}")
    headers = Headers()
    for name, value in result.headers:
        headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
    response = cls(url=request.url, status=result.status, headers=headers, body=body, request=request,
                   protocol=result.protocol)
    if result.harvest is not None and 200 <= result.status < 300:
        harvested = result.harvest
        record = RECORDS[harvested.type].model_validate(harvested.record)
        request.meta[HARVESTED] = Harvest(record, list(harvested.links), harvested.removed_characters)
    return response


def decode_result(raw: bytes | None) -> ResultMessage | Unreadable:
    """A stream entry as a result, or what is known of it when it is not one."""
    try:
        if raw is None:
            raise ValueError("an entry without a result")
        return ResultMessage.model_validate_json(raw)
    except ValueError as error:
        token = epoch = None
        try:
            value = orjson.loads(raw or b"")
            if isinstance(value, dict):
                token = value.get("token") if isinstance(value.get("token"), str) else None
                epoch = value.get("epoch") if isinstance(value.get("epoch"), int) else None
        except orjson.JSONDecodeError:
            pass
        return Unreadable(token, epoch, problem(error))


def problem(error: ValueError) -> str:
    """What is wrong with a message, in one short line."""
    from pydantic import ValidationError

    if isinstance(error, ValidationError) and error.errors():
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where + ': ' if where else ''}{first['msg']}"[:300]
    return " ".join(str(error).split())[:300]


def reading(spider: Any, request: Request) -> dict[str, str] | None:
    """What a worker needs to read the page a request asks for (its id and canonical URL), or None
    for a request that is not for a page (robots.txt, the catalogue)."""
    if not request.meta.get("frontier_id") or getattr(spider, "site", None) is None:
        return None
    page_id = spider.site.page_id(request.url)
    url = spider.site.canonical(request.url)
    if not page_id or not url:
        return None
    return {"page_id": page_id, "url": spider.citation(url)}


# --- the coordinator ---------------------------------------------------------------------------------
class RemoteDownloadHandler:
    """The coordinator's download handler for http and https (one Coordinator for both): requests
    go to the workers through Redis, responses come back from them."""

    lazy = False

    def __init__(self, crawler: Any) -> None:
        self.coordinator: Coordinator | None = None
        self.error: BaseException | None = None
        try:
            self.coordinator = Coordinator.of(crawler)
        except (CrawlTaken, ServiceUnavailable) as error:
            # Scrapy would take a failing handler for an unsupported scheme and reject every page:
            # the crawl stops instead, its pages left for the next run, and the command says why.
            self.error = error
            crawler.stats.set_value("colophon/coordinator_error",
                                    [75 if isinstance(error, CrawlTaken) else 69, str(error)])
            logger.critical("the crawl cannot be coordinated: %s", error)
            from scrapy.utils.defer import deferred_from_coro
            from twisted.internet import reactor

            cast(Any, reactor).callLater(0, lambda: deferred_from_coro(crawler.stop_async()))

    @classmethod
    def from_crawler(cls, crawler: Any) -> RemoteDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        if self.coordinator is None:
            from crawler.failures import Abandoned

            raise Abandoned(f"the crawl cannot be coordinated: {self.error}")
        return await self.coordinator.fetch(request)

    async def close(self) -> None:
        """The coordinator finishes when the engine stops (it knows then why the run ended)."""


@dataclass
class _Waiting:
    deferred: defer.Deferred[Response]
    request: Request
    data: bytes                     # the request as queued
    deadline: float                 # time.monotonic() by which its result is due
    taken: bool = False             # a worker was seen to hold it (its deadline counts from then)


@dataclass
class _Upkeep:
    returned: int = 0
    queued: list[str] = field(default_factory=list)      # overdue, but no worker has taken them yet
    taken: list[str] = field(default_factory=list)       # overdue, and found taken for the first time
    overdue: list[str] = field(default_factory=list)     # taken, and no result in time
    abandoned: list[str] = field(default_factory=list)   # taken back from the queue: the crawl stops
    taken_over: bool = False


class Coordinator:
    """The coordinator's side of the crawl in Redis: the queue it fills (from a thread of its own),
    the results it reads (another thread), and its upkeep each second: the leases of stopped workers
    returned, requests past their deadline failed as timeouts, its claim on the crawl's name renewed,
    and the crawl's state put back when Redis lost it."""

    def __init__(self, crawler: Any, server: Any = None) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url = settings.get("COLOPHON_REDIS_URL")
        self.crawl = settings.get("COLOPHON_REDIS_CRAWL") or CRAWL
        self.owner = settings.get("COLOPHON_REDIS_OWNER") or uuid.uuid4().hex
        self.lease_seconds = max(MIN_LEASE_SECONDS, settings.getfloat("COLOPHON_LEASE_SECONDS", LEASE_SECONDS))
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self.warnsize = settings.getint("DOWNLOAD_WARNSIZE")
        self.per_host = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.server = server if server is not None else client(self.url)
        self.names = keys(self.crawl)
        self.queue = LeasedQueue(self.server, self.crawl)
        self.waiting: dict[str, _Waiting] = {}
        self.outbox: queues.SimpleQueue[bytes | tuple[str, bytes] | None] = queues.SimpleQueue()
        self.catalogue_of: Any = None
        self.catalogue: tuple[str, bytes] | None = None      # (digest, data) of the catalogue workers read with
        self.stopping = False
        self.taken_over = False
        self.reason: str | None = None
        self.idle_told = 0.0
        self.call_in_reactor: Callable[..., Any] = _call_from_thread
        patiently("claiming the crawl", lambda: claim(self.server, self.crawl, self.owner))
        self.run_id = patiently("starting the crawl in Redis", self._run_id)
        self.epoch = patiently("starting the crawl in Redis", self._begin)
        self.ticker: LoopingCall | None = None

    @classmethod
    def of(cls, crawler: Any) -> Coordinator:
        """The crawler's one coordinator (Scrapy builds a download handler per scheme)."""
        coordinator: Coordinator | None = getattr(crawler, "_colophon_coordinator", None)
        if coordinator is None:
            coordinator = cls(crawler)
            coordinator.start()
            crawler._colophon_coordinator = coordinator
        return coordinator

    def start(self) -> None:
        from scrapy import signals

        for target, name in ((self._read_results, "colophon-results"), (self._dispatch, "colophon-dispatch")):
            threading.Thread(target=target, name=name, daemon=True).start()
        self.ticker = LoopingCall(self._tick)
        self.ticker.start(TICK_SECONDS, now=False)
        self.crawler.signals.connect(self._closed, signal=signals.spider_closed)
        self.crawler.signals.connect(self.finish, signal=signals.engine_stopped)
        from twisted.internet import reactor

        cast(Any, reactor).addSystemEventTrigger("before", "shutdown", self.finish)  # a forced stop too
        ClaimKeeper.hand_over(self.owner)

    def shutting_down(self) -> bool:
        """The engine was asked to stop (Ctrl-C, SIGTERM, a bound reached), or this coordinator is done."""
        engine = getattr(self.crawler, "engine", None)
        return engine is not None and not engine.running

    def halted(self) -> bool:
        """Whether a wait for Redis should give up: this coordinator is stopping or stopped."""
        return self.stopping or self.shutting_down()

    def _run_id(self) -> str:
        return str(self.server.info("server").get("run_id", ""))

    def _begin(self) -> int:
        """A new epoch of the crawl: whatever an earlier coordinator left (queue, leases, results)
        is dropped (the run resumes from its state store), and the workers are told to go on."""
        self.queue.clear()
        self.server.delete(self.names["catalogue"])
        epoch = int(self.server.hincrby(self.names["state"], "epoch", 1))
        self._announce(epoch)
        logger.info("coordinating crawl %r (epoch %d) on %s", self.crawl, epoch, redact(self.url or ""))
        return epoch

    def _announce(self, epoch: int) -> None:
        """The crawl's state the workers follow, and the group its results are read by."""
        import redis

        try:
            self.server.xgroup_create(self.names["results"], group(epoch), id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self.server.hset(self.names["state"], mapping={"status": "running", "lease": self.lease_seconds,
                                                       "epoch": epoch})

    # requests out
    def prepare(self, request: Request) -> tuple[str, bytes]:
        """A token and the queue's form of ``request``. A record read for an earlier response (the
        redirect or the failed attempt this request follows) is not this one's: it is dropped."""
        request.meta.pop(HARVESTED, None)
        token = uuid.uuid4().hex
        read = reading(self.crawler.spider, request)
        message = request_message(request, token, self.epoch, read, self._catalogue() if read else None,
                                  self.delay, self.timeout, self.maxsize, self.warnsize)
        return token, orjson.dumps(message)

    def deadline_seconds(self, request: Request) -> float:
        """How long a result may take once its request is queued: the download timeout, a lease (a
        worker that stops is noticed within it), the host's turns ahead of it, and some slack."""
        timeout = float(request.meta.get("download_timeout") or self.timeout or 0)
        return float(timeout + self.lease_seconds + self.per_host * self.delay + DEADLINE_SLACK)

    async def fetch(self, request: Request) -> Response:
        from scrapy.utils.defer import maybe_deferred_to_future

        token, data = self.prepare(request)
        deferred: defer.Deferred[Response] = defer.Deferred()
        self.waiting[token] = _Waiting(deferred, request, data, time.monotonic() + self.deadline_seconds(request))
        self.outbox.put(data)
        try:
            return await maybe_deferred_to_future(deferred)
        finally:
            self.waiting.pop(token, None)

    def _catalogue(self) -> str | None:
        """The digest of the catalogue the workers read pages with (stored in Redis once under it)."""
        catalogue = getattr(self.crawler.spider, "catalogue", None)
        if catalogue is None:
            return None
        if catalogue is not self.catalogue_of or self.catalogue is None:
            data = orjson.dumps(catalogue.authors, option=orjson.OPT_SORT_KEYS)
            self.catalogue = (hashlib.sha256(data).hexdigest()[:16], data)
            self.catalogue_of = catalogue
            self.outbox.put(self.catalogue)  # ahead of the requests that name it
        return self.catalogue[0]

    def _dispatch(self) -> None:
        """A thread that queues what fetch() hands it, in order, many requests a round trip."""
        while True:
            first = self.outbox.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < DISPATCH_BATCH:
                try:
                    item = self.outbox.get_nowait()
                except queues.Empty:
                    break
                if item is None:
                    self.outbox.put(None)
                    break
                batch.append(item)

            try:
                patiently("queueing requests", functools.partial(self._send, batch), lambda: self.stopping)
            except Exception as error:
                if self.stopping:
                    return
                logger.error("could not queue %d requests (%s); each is failed as a timeout at its deadline, "
                             "and retried", len(batch), error)

    def _send(self, batch: list[bytes | tuple[str, bytes]]) -> None:
        pipe = self.server.pipeline(transaction=False)
        for item in batch:
            if isinstance(item, tuple):
                pipe.hset(self.names["catalogue"], item[0], item[1])
            else:
                pipe.lpush(self.queue.key, item)
        pipe.execute()

    # results in
    def _read_results(self) -> None:
        """A thread that reads the workers' results and hands each to the reactor. Nothing on the
        stream stops it: an entry that is not a result is handed on as Unreadable."""
        import redis

        consumer = f"coordinator-{uuid.uuid4().hex[:8]}"
        stream = self.names["results"]
        pause, failing = 0.2, False
        while not self.stopping:
            try:
                entries = self.server.xreadgroup(group(self.epoch), consumer, {stream: ">"}, count=RESULTS_BATCH,
                                                 block=int(WAIT_SECONDS * 1000))
            except Exception as error:
                if self.stopping:
                    return
                if isinstance(error, redis.ResponseError) and "NOGROUP" in str(error):
                    time.sleep(WAIT_SECONDS)  # Redis came back empty: the upkeep restores the group
                    continue
                if not failing:
                    unreachable = isinstance(error, (redis.ConnectionError, redis.TimeoutError))
                    logger.warning("%s while reading results (%s); trying again",
                                   "Redis unreachable" if unreachable else "Redis failed", error)
                    failing = True
                time.sleep(pause)
                pause = min(pause * 2, RECONNECT_CAP)
                continue
            if failing:
                logger.warning("Redis is back; reading results goes on")
                pause, failing = 0.2, False
            for _, messages in entries or []:
                ids = [entry_id for entry_id, _ in messages]
                results = [decode_result(fields.get(b"result") if isinstance(fields, dict) else None)
                           for _, fields in messages]
                self.call_in_reactor(self._deliver, results)
                # Deleted once read, unless it is a result of another epoch (another coordinator's).
                done = [entry_id for entry_id, result in zip(ids, results, strict=True)
                        if result.epoch in (self.epoch, None)]
                try:
                    self._acknowledge(stream, ids, done)
                except Exception as error:
                    if self.stopping:
                        return
                    logger.warning("could not acknowledge %d results (%s)", len(ids), error)

    def _acknowledge(self, stream: str, ids: list[bytes], done: list[bytes]) -> None:
        def acknowledge() -> None:
            pipe = self.server.pipeline()
            pipe.xack(stream, group(self.epoch), *ids)
            if done:
                pipe.xdel(stream, *done)
            pipe.execute()

        patiently("acknowledging results", acknowledge, self.halted)

    def _deliver(self, results: list[ResultMessage | Unreadable]) -> None:
        """Each result to the request waiting for it (in the reactor). A result for an earlier epoch,
        or for a request already answered, is dropped; one that cannot be read fails its request."""
        for result in results:
            if isinstance(result, Unreadable):
                logger.warning("dropped an unreadable result from a worker: %s", result.why)
                self.crawler.stats.inc_value("colophon/results_unreadable")
                if result.token is not None and result.epoch == self.epoch and result.token in self.waiting:
                    self.waiting.pop(result.token).deferred.errback(
                        UnreadableResult(f"unreadable result from a worker: {result.why}"))
                continue
            if result.epoch != self.epoch:
                continue  # a result for an earlier coordinator: its page is asked again
            waiting = self.waiting.get(result.token)
            if waiting is None:
                continue  # a second result for the same request (a lease that ran out): one is kept
            try:
                outcome = result_response(waiting.request, result, self.maxsize)
            except Exception as error:
                logger.warning("dropped an unreadable result from a worker for %s: %s", waiting.request.url, error)
                self.crawler.stats.inc_value("colophon/results_unreadable")
                outcome = UnreadableResult(f"unreadable result from a worker: {error}")
            del self.waiting[result.token]
            if isinstance(outcome, BaseException):
                waiting.deferred.errback(outcome)
            else:
                waiting.deferred.callback(outcome)

    # upkeep
    def _tick(self) -> defer.Deferred[Any] | None:
        """Each second: the upkeep in a thread (it talks to Redis), its outcome here. Once the crawl
        is stopping, what no worker has taken is given up at once, and when Redis cannot be reached
        then, everything still waiting is (the run that resumes asks for it again)."""
        from twisted.internet.threads import deferToThread

        if self.stopping:
            return None
        now = time.monotonic()
        due = [(token, waiting.data, waiting.taken) for token, waiting in self.waiting.items()
               if waiting.deadline <= now]
        pending = [(token, waiting.data) for token, waiting in self.waiting.items()]
        shutting = self.shutting_down()
        deferred = deferToThread(self.upkeep, due, pending, shutting)
        deferred.addCallback(self._kept)

        def failed(failure: Any) -> None:
            if self.halted():
                self._abandon(list(self.waiting), "Redis cannot be reached while the crawl stops")
            else:
                logger.warning("the crawl's upkeep in Redis failed: %s", failure.getErrorMessage())

        deferred.addErrback(failed)
        return deferred

    def upkeep(self, due: list[tuple[str, bytes, bool]], pending: list[tuple[str, bytes]],
               shutting: bool = False) -> _Upkeep:
        """(In a thread.) The claim renewed, the state put back if Redis lost it, the leases of
        stopped workers returned, and the requests past their deadline sorted: still queued (no
        worker has taken them: more time), taken for the first time (the deadline starts again
        from now), or taken and overdue (taken out of every worker's hands). While the crawl
        stops, every request still queued is taken back."""
        kept = _Upkeep()
        if not patiently("renewing this coordinator's claim", lambda: own(self.server, self.crawl, self.owner),
                         self.halted):
            kept.taken_over = True
            return kept
        patiently("looking for a Redis that lost the crawl", lambda: self._restore([d for _, d in pending]),
                  self.halted)
        kept.returned = patiently("returning expired leases", self.queue.reap, self.halted)
        if shutting:
            for token, data in pending:
                if patiently("taking back a request", functools.partial(self.queue.withdraw, data), self.halted):
                    kept.abandoned.append(token)
        for token, data, taken in due:
            if token in kept.abandoned:
                continue
            if patiently("looking for a request", functools.partial(self.queue.queued, data), self.halted):
                kept.queued.append(token)
            elif not taken:
                kept.taken.append(token)
            else:
                patiently("taking back a request", functools.partial(self.queue.forget, data), self.halted)
                kept.overdue.append(token)
        return kept

    def _restore(self, pending: list[bytes]) -> None:
        """Redis restarted (empty, or from an older snapshot) or lost the crawl's keys: the state, the
        results group and the catalogue again, and every request still waiting for its response
        queued again (a second answer to one already answered is dropped)."""
        run_id = self._run_id()
        epoch = self.server.hget(self.names["state"], "epoch")
        if run_id == self.run_id and epoch is not None and int(epoch) == self.epoch:
            return
        logger.warning("Redis lost the crawl's state (restarted without persistence, or from an older "
                       "snapshot?); queueing the %d requests in flight again", len(pending))
        self.run_id = run_id
        self._announce(self.epoch)
        held = self.queue.everything_held()  # kept by a Redis that persists: reported, or reaped, later
        pipe = self.server.pipeline(transaction=False)
        if self.catalogue is not None:
            pipe.hset(self.names["catalogue"], self.catalogue[0], self.catalogue[1])
        for data in pending:
            if data not in held:
                pipe.lrem(self.queue.key, 0, data)
                pipe.lpush(self.queue.key, data)
        pipe.execute()
        self.crawler.stats.inc_value("colophon/redis_restored")

    def _kept(self, kept: _Upkeep) -> None:
        from scrapy.exceptions import DownloadTimeoutError

        if kept.taken_over:
            logger.error("another coordinator took crawl %r (this one's claim lapsed); this one stops without "
                         "touching it, and its run resumes next time", self.crawl)
            self.taken_over = True
            self._abandon(list(self.waiting), "another coordinator took the crawl")
            if not self.shutting_down():
                self.stop_crawl()
            return
        if kept.returned:
            logger.warning("%d requests held by a worker that stopped went back to the queue", kept.returned)
            self.crawler.stats.inc_value("colophon/leases_expired", kept.returned)
        self._abandon(kept.abandoned, "the crawl stops before a worker took it")
        now = time.monotonic()
        for token in kept.queued:
            if (waiting := self.waiting.get(token)) is not None:
                waiting.deadline = now + self.deadline_seconds(waiting.request)
        for token in kept.taken:
            if (waiting := self.waiting.get(token)) is not None:
                waiting.taken = True  # a worker has it now: its download timeout starts about now
                waiting.deadline = now + self.deadline_seconds(waiting.request)
        if kept.queued and now - self.idle_told > 60:
            logger.warning("requests wait in the queue of crawl %r and no worker takes them: is a `colophon worker "
                           "--redis ... --crawl-name %s` running?", self.crawl, self.crawl)
            self.idle_told = now
        for token in kept.overdue:
            if (waiting := self.waiting.pop(token, None)) is not None:
                self.crawler.stats.inc_value("colophon/results_overdue")
                waiting.deferred.errback(DownloadTimeoutError(
                    f"no result from a worker within {self.deadline_seconds(waiting.request):.0f} s of taking it"))

    def stop_crawl(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.stop_async())

    def _abandon(self, tokens: list[str], why: str) -> None:
        from crawler.failures import Abandoned

        for token in tokens:
            if (waiting := self.waiting.pop(token, None)) is not None:
                waiting.deferred.errback(Abandoned(why))

    def _closed(self, spider: Any = None, reason: str | None = None) -> None:
        self.reason = reason

    def finish(self) -> None:
        """The run is over. Ended as asked (FINISH_REASONS), the crawl is marked finished and the
        workers exit; interrupted, it is marked stopped and the workers wait for the next coordinator.
        Either way the queue is emptied and the claim on the crawl's name let go: all in one script,
        and only while the claim is still this coordinator's (one that lost it touches nothing)."""
        if self.stopping:
            return
        self.stopping = True
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        self.outbox.put(None)
        self._abandon(list(self.waiting), "the crawl stopped")
        if self.taken_over:
            return
        status = "finished" if self.reason in FINISH_REASONS else "stopped"
        # The workers exit when they read that the crawl is finished: Redis away at this moment is
        # waited for (a while: the crawl is over, only this word is left to say). A crawl that
        # stopped is waited for briefly: its workers wait for the next coordinator whatever Redis
        # says. A Ctrl-C or SIGTERM during the wait ends it at once.
        patience = FINISH_PATIENCE if status == "finished" else STOP_PATIENCE
        deadline = time.monotonic() + patience
        try:
            with _stop_now_on_signal():
                ended = patiently(f"marking the crawl {status}", lambda: self.server.eval(
                    _END, 4, self.names["owner"], self.names["state"], self.names["queue"], self.names["results"],
                    self.owner, status), stopping=lambda: time.monotonic() >= deadline)
        except _StopNow:
            logger.error("stopped before Redis could be told the crawl %r %s: its workers go on waiting until a "
                         "coordinator of it runs again", self.crawl, status)
            return
        except Exception as error:
            logger.error("could not mark the crawl %r %s in Redis within %g s (%s): its workers go on waiting "
                         "until a coordinator of it runs again", self.crawl, status, patience, error)
            return
        if not ended:
            logger.warning("crawl %r belongs to another coordinator now: left as it is", self.crawl)


class _StopNow(BaseException):
    """A Ctrl-C or SIGTERM while the coordinator waits for Redis at its end: the wait is over (not an
    Exception, so that no handler on the way takes it for a failure of Redis)."""


@contextlib.contextmanager
def _stop_now_on_signal() -> Any:
    """For the block, a Ctrl-C or SIGTERM ends it at once (with _StopNow), after the handler that was
    in place has had it (Scrapy's stop now). Outside the main thread, signals are not this code's."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    def stop_now(number: int, frame: Any) -> None:
        handler = previous[number]
        if callable(handler):
            handler(number, frame)
        raise _StopNow()

    for number in previous:
        signal.signal(number, stop_now)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _call_from_thread(function: Callable[..., Any], *args: Any) -> None:
    from twisted.internet import reactor  # the one Scrapy installed (imported late for that)

    reactor.callFromThread(function, *args)


def host_of(url: str) -> str:
    from urllib.parse import urlsplit

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


class CatalogueMissing(LookupError):
    """The catalogue a request names is not in Redis (the page is then read by the coordinator)."""


class Worker:
    """What `colophon worker` runs in its Scrapy process: lease a request, fetch it (after the host's
    turn), read it when asked, report the result; until the crawl is marked finished or the worker
    is stopped. A thread keeps its lease alive and another reports results, so the reactor never
    waits on Redis; a stopped worker returns what it still holds to the queue (close())."""

    def __init__(self, server: Any, crawl: str, name: str | None = None) -> None:
        self.server = server
        self.crawl = crawl
        self.names = keys(crawl)
        self.queue = LeasedQueue(server, crawl)
        self.name = name or uuid.uuid4().hex[:12]
        self.turn = server.register_script(_TURN)
        self.catalogues: dict[str, Any] = {}
        self.lease_seconds = LEASE_SECONDS
        self.halt = threading.Event()             # take no more requests
        self.closed = threading.Event()           # no more reports: the threads end
        self.lease_changed = threading.Event()
        self.running: Callable[[], bool] = lambda: True   # the engine's, once the spider starts
        self.failed: str | None = None
        self.joined = False
        self.arrived_in = 0                       # the epoch of the crawl when this worker came
        self.reports: queues.SimpleQueue[tuple[bytes, RequestMessage, Callable[[], dict[str, Any]]] | None] = (
            queues.SimpleQueue())
        self.threads: list[threading.Thread] = []

    def begin(self) -> None:
        """The crawl's lease read, then the threads that keep this worker's lease and report."""
        self.arrived_in = self.status()[1] or 0
        for target, name in ((self._beat, "colophon-heartbeat"), (self._report_all, "colophon-reports")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stopped(self) -> bool:
        return self.halt.is_set() or not self.running()

    def status(self) -> tuple[str | None, int | None]:
        state = patiently("reading the crawl's state", lambda: self.server.hgetall(self.names["state"]),
                          self.stopped)
        status = state.get(b"status")
        if b"lease" in state:
            lease = max(MIN_LEASE_SECONDS, float(state[b"lease"]))
            if lease != self.lease_seconds:
                self.lease_seconds = lease
                self.lease_changed.set()  # the heartbeat follows at once
        return (status.decode() if status else None), (int(state[b"epoch"]) if b"epoch" in state else None)

    def signal_alive(self) -> None:
        try:
            self.queue.alive(self.name, self.lease_seconds)
        except Exception as error:
            logger.warning("could not renew this worker's lease: %s", error)

    def _beat(self) -> None:
        while not self.closed.is_set():
            self.signal_alive()
            self.lease_changed.wait(self.lease_seconds / BEATS_PER_LEASE)
            self.lease_changed.clear()

    def next_message(self) -> tuple[bytes, RequestMessage, Request] | None:
        """The next request to fetch (blocking, in a thread), or None once the crawl is finished or
        this worker is stopped. An entry that is not a request is put aside, never fetched."""
        while not self.stopped():
            status, epoch = self.status()
            if status == "running":
                if not self.joined:
                    logger.warning("worker %s joined crawl %r", self.name, self.crawl)
                    self.joined = True
            elif status == "finished" and (self.joined or (epoch or 0) > self.arrived_in):
                # (a run may begin and end between two looks, with nothing left for this worker)
                logger.warning("crawl %r is finished; worker %s exits", self.crawl, self.name)
                return None
            else:
                time.sleep(WAIT_SECONDS)  # no crawl yet, the last one ended before we came, or it is stopped
                continue
            patiently("signalling this worker", lambda: self.queue.alive(self.name, self.lease_seconds), self.stopped)
            item = patiently("taking a request", lambda: self.queue.lease(self.name, WAIT_SECONDS), self.stopped)
            if item is None:
                continue
            try:
                message = RequestMessage.model_validate_json(item)
                request = worker_request(message)
            except ValueError as error:
                self.discard(item, problem(error))
                continue
            with contextlib.suppress(CatalogueMissing):
                self.catalogue(message.catalogue, fetch=True)  # read here, in this thread, not in the reactor
            return item, message, request
        return None

    def discard(self, item: bytes, why: str) -> None:
        """A queue entry that is not a request this worker can fetch: its failure reported when it
        names a request (the coordinator retries or rejects it), put aside otherwise."""
        logger.error("worker %s could not read a request from the queue: %s", self.name, why)
        try:
            value = orjson.loads(item)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("token"), str) and isinstance(value.get("epoch"), int):
            failure = {"token": value["token"], "epoch": value["epoch"],
                       "error": {"type": "builtins.ValueError", "message": f"unreadable request: {why}"}}
            patiently("reporting an unreadable request",
                      lambda: self.queue.report(self.name, item, orjson.dumps(failure)), self.stopped)
        else:
            patiently("putting aside an unreadable request", lambda: self.queue.bury(self.name, item, why),
                      self.stopped)

    async def wait_turn(self, message: RequestMessage) -> None:
        """The host's turn: at most one request per `delay` seconds to a host, across every worker."""
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor
        from twisted.internet.task import deferLater
        from twisted.internet.threads import deferToThread

        if message.delay <= 0:
            return
        key = f"{self.names['state']}:turn:{host_of(message.url)}"
        while True:
            wait = float(await maybe_deferred_to_future(deferToThread(
                patiently, "waiting for the host's turn", lambda: self.turn(keys=[key], args=[message.delay]),
                self.stopped)))
            if wait <= 0:
                return
            await maybe_deferred_to_future(deferLater(reactor, wait))

    def catalogue(self, digest: str | None, fetch: bool = False) -> Any:
        """The catalogue of that digest (kept once read: ``fetch`` reads it from Redis, in a thread);
        CatalogueMissing when it is not kept, or Redis does not have it."""
        from crawler.extract import Catalogue

        if not digest:
            return None
        if digest not in self.catalogues:
            if not fetch:
                raise CatalogueMissing(digest)
            data = self.server.hget(self.names["catalogue"], digest)
            if data is None:
                raise CatalogueMissing(digest)
            if len(self.catalogues) >= 4:
                self.catalogues.clear()
            self.catalogues[digest] = Catalogue(authors=orjson.loads(data))
        return self.catalogues[digest]

    def read(self, message: RequestMessage, response: Response) -> Harvest | None:
        """The page's record, when the coordinator asked for it and the response is a page; None
        leaves the reading to the coordinator."""
        from crawler.extract import harvest_page
        from crawler.harvesters import page_fetch

        if message.read is None or not 200 <= response.status < 300:
            return None
        fetch = page_fetch(response)
        if fetch is None:
            return None
        try:
            catalogue = self.catalogue(message.catalogue)
        except CatalogueMissing:
            logger.warning("the catalogue %s is not in Redis; the coordinator reads %s itself",
                           message.catalogue, response.url)
            return None
        if message.read.url != response.url:  # as the spider does: the address fetched, in provenance
            fetch = dataclasses.replace(fetch, fetched_from=response.url)
        return harvest_page(response.body, message.read.url, message.read.page_id, catalogue, fetch)

    def submit(self, item: bytes, message: RequestMessage, result: Callable[[], dict[str, Any]]) -> None:
        """A result to report (built and sent in the reporting thread)."""
        self.reports.put((item, message, result))

    def _report_all(self) -> None:
        while (report := self.reports.get()) is not None:
            self.report(*report)

    def report(self, item: bytes, message: RequestMessage, result: Callable[[], dict[str, Any]]) -> None:
        """The result on the stream and the request out of this worker's hands. A result that cannot
        be sent (too large for Redis, Redis refusing writes) is reported as a failure instead, and
        one that cannot be reported at all is let go (its deadline on the coordinator retries it)."""
        try:
            data = orjson.dumps(result())
            patiently("reporting a result", lambda: self.queue.report(self.name, item, data), self.closed.is_set)
            return
        except Exception as error:
            problem = error
        logger.error("worker %s could not report %s (%s); reporting a failure instead", self.name, message.url,
                     problem)
        try:
            failure = failure_result(message, ConnectionError(f"the worker could not report its result: {problem}"))
            self.queue.report(self.name, item, orjson.dumps(failure))
        except Exception as error:
            logger.error("worker %s could not report that either (%s): %s is left to its deadline", self.name,
                         error, message.url)
            with contextlib.suppress(Exception):
                self.server.lrem(self.queue.held(self.name), 1, item)

    def close(self, reporting: float | None = None) -> int:
        """Stop: the results of fetched requests reported (waiting up to ``reporting`` seconds, by
        default two leases, for a Redis that is away), the threads ended, and whatever this worker
        still holds back at the head of the queue at once. The requests returned."""
        self.halt.set()
        self.reports.put(None)
        for thread in self.threads:
            if thread.name == "colophon-reports":
                thread.join(timeout=2 * self.lease_seconds if reporting is None else reporting)
        self.closed.set()
        self.lease_changed.set()
        for thread in self.threads:
            thread.join(timeout=5)
        try:
            returned = self.queue.release(self.name)
        except Exception as error:
            logger.warning("worker %s could not return what it holds (%s); it goes back when its lease lapses",
                           self.name, error)
            return 0
        if returned:
            logger.warning("worker %s returned %d requests it held to the queue", self.name, returned)
        return returned


class TurnTakingHandler(HTTP11DownloadHandler):
    """A worker's HTTP handler: Scrapy's, after the host's turn, taken right before the request is
    sent (after the downloader's own concurrency), so the spacing holds at the origin."""

    async def download_request(self, request: Request) -> Response:
        message = request.meta.get("message")
        worker = getattr(self._crawler.spider, "worker", None)
        if message is not None and worker is not None:
            await worker.wait_turn(message)
        return await super().download_request(request)


def worker_spider(worker: Worker) -> type[Any]:
    """The Scrapy spider of a worker: its start requests are the leased requests of the crawl, taken
    only while the downloader has room (no more held than it can fetch)."""
    import scrapy
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet.task import deferLater
    from twisted.internet.threads import deferToThread

    class WorkerSpider(scrapy.Spider):
        name = "colophon-worker"

        async def start(self) -> Any:
            from twisted.internet import reactor  # the one Scrapy installed

            engine = self.crawler.engine
            self.worker = worker
            worker.running = lambda: bool(engine.running)
            while not worker.stopped():
                if engine.needs_backout():
                    await maybe_deferred_to_future(deferLater(reactor, 0.01))
                    continue
                try:
                    taken = await maybe_deferred_to_future(deferToThread(worker.next_message))
                except Exception as error:
                    if not worker.stopped():
                        worker.failed = f"{type(error).__name__}: {error}"
                        logger.error("worker %s stopped: %s", worker.name, worker.failed)
                    return
                if taken is None:
                    return
                item, _, request = taken
                request.meta["item"] = item
                yield request.replace(callback=self.fetched, errback=self.failed)

        def fetched(self, response: Response) -> None:
            message: RequestMessage = response.meta["message"]
            try:
                harvest = worker.read(message, response)
            except Exception as error:
                logger.error("could not read %s: %s", response.url, error)
                harvest = None
            worker.submit(response.meta["item"], message, lambda: response_result(message, response, harvest))
            self.crawler.stats.inc_value("colophon/worker/fetched")

        def failed(self, failure: Any) -> None:
            request = failure.request
            message: RequestMessage = request.meta["message"]
            worker.submit(request.meta["item"], message, lambda: failure_result(message, failure.value))
            self.crawler.stats.inc_value("colophon/worker/failed")

    WorkerSpider.worker = worker
    return WorkerSpider


def worker_settings(concurrency: int, log_level: str) -> dict[str, Any]:
    """A worker fetches only: robots.txt, redirects, retries, politeness and storage are the
    coordinator's. Decompression (bounded) happens here, so the page is read from its text."""
    handler = "crawler.distributed.TurnTakingHandler"
    return {
        "LOG_LEVEL": log_level, "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
        "COOKIES_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "REDIRECT_ENABLED": False, "RETRY_ENABLED": False, "METAREFRESH_ENABLED": False,
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "HTTPERROR_ALLOW_ALL": True,
        "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_FAIL_ON_DATALOSS": True, "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "REACTOR_THREADPOOL_MAXSIZE": 4,
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            "crawler.middlewares.BoundedDecompressionMiddleware": 590,
            "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
            "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": None,
        },
        "LOG_FORMATTER": "crawler.logformatter.QuietDrops",
    }
