"""The parts of a crawl shared through Redis (crawler.distributed), each against a real Redis in this
process: whatever a worker or anyone else puts on the results stream or the queue is checked
before it is used and never stops the reader; a failure travels only as a type from a fixed table;
a request whose result never comes fails as a timeout; a Redis that restarted gets the requests
in flight again; the crawl is marked finished only when its run ended as asked; one coordinator
owns a crawl's name; a worker reports what it can, keeps its lease alive at the crawl's pace and
does not cache a catalogue it could not find; an extraction process that dies blames only the
page it was reading."""

from __future__ import annotations

import asyncio
import base64
import importlib
import subprocess
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from scrapy.http import Request
from scrapy.settings import Settings
from twisted.internet import defer, error

from crawler import distributed
from crawler.distributed import (
    Coordinator,
    CrawlTaken,
    RequestMessage,
    Unreadable,
    UnreadableResult,
    Worker,
    WorkerFailure,
    claim,
    decode_result,
    disown,
    failure_result,
    keys,
    own,
)
from crawler.extract import Catalogue, Fetch, Harvest
from crawler.harvesters import HARVESTED, Harvester
from crawler.options import redact, run_options
from models import OtherPage, Reject, Work
from tests.support import REDIS_SERVER, SAMPLE, free_port, start_redis

pytestmark = [pytest.mark.long,
              pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)")]
PAGE = "http://127.0.0.1:9/archive/a/work.htm"


@pytest.fixture(scope="module")
def redis_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    process = start_redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(redis_process: tuple[subprocess.Popen[bytes], int]) -> Iterator[Any]:
    import redis

    client = redis.Redis(port=redis_process[1])
    client.flushall()
    yield client
    client.close()


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def _coordinator(server: Any, crawl: str = "parts", **settings: Any) -> Coordinator:
    crawler = SimpleNamespace(settings=Settings({"COLOPHON_REDIS_CRAWL": crawl, "DOWNLOAD_TIMEOUT": 5,
                                                 "DOWNLOAD_MAXSIZE": 1000, "DOWNLOAD_DELAY": 0,
                                                 "COLOPHON_LEASE_SECONDS": 2, **settings}),
                              stats=_Stats(), spider=None)
    return Coordinator(crawler, server=server)


def _waiting(coordinator: Coordinator, request: Request) -> tuple[str, list[Any]]:
    """A request waiting for its result, as fetch() leaves it; the outcomes it gets, in order."""
    token, data = coordinator.prepare(request)
    deferred: defer.Deferred[Any] = defer.Deferred()
    outcomes: list[Any] = []
    deferred.addCallbacks(outcomes.append, lambda failure: outcomes.append(failure.value))
    coordinator.waiting[token] = distributed._Waiting(deferred, request, data, time.monotonic() + 60)
    return token, outcomes


def _result(coordinator: Coordinator, token: str, **fields: Any) -> bytes:
    return orjson.dumps({"token": token, "epoch": coordinator.epoch, "url": PAGE, "status": 200,
                         "headers": [["Content-Type", "text/html"]], "body": base64.b64encode(b"<html/>").decode(),
                         **fields})


# --- what comes back --------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "token"), [
    (None, None),
    (b"not json", None),
    (b"[1, 2]", None),
    (b'{"epoch": 1}', None),
    (b'{"token": 7, "epoch": 1}', None),
    (b'{"token": "t", "epoch": 1, "status": 42}', "t"),
    (b'{"token": "t", "epoch": 1, "harvest": {"type": "Module", "record": {}}}', "t"),
    (b'{"token": "t", "epoch": 1, "headers": [["only a name"]]}', "t"),
])
def test_an_entry_that_is_not_a_result_is_unreadable_and_names_its_request_when_it_can(
        raw: bytes | None, token: str | None) -> None:
    decoded = decode_result(raw)
    assert isinstance(decoded, Unreadable)
    assert decoded.token == token and decoded.why


def test_the_reader_survives_a_stream_of_garbage_and_delivers_what_is_a_result(server: Any) -> None:
    coordinator = _coordinator(server)
    token, outcomes = _waiting(coordinator, Request(PAGE))
    stream = keys("parts")["results"]
    server.xadd(stream, {"other": b"no result field"})
    server.xadd(stream, {"result": b"\xff\xfe not utf-8 nor json"})
    server.xadd(stream, {"result": b'{"token": 1}'})
    server.xadd(stream, {"result": _result(coordinator, token)})
    delivered: list[Any] = []
    coordinator.call_in_reactor = lambda function, results: delivered.extend(results) or function(results)
    reader = threading.Thread(target=coordinator._read_results, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not outcomes and time.monotonic() < deadline:
        time.sleep(0.02)
    coordinator.stopping = True
    reader.join(timeout=5)
    assert not reader.is_alive()
    assert [type(d).__name__ for d in delivered] == ["Unreadable", "Unreadable", "Unreadable", "ResultMessage"]
    assert outcomes[0].status == 200 and outcomes[0].url == PAGE
    assert coordinator.crawler.stats.values["colophon/results_unreadable"] == 3
    assert server.xlen(stream) == 0  # every entry acknowledged and deleted, the bad ones too


def test_a_result_that_cannot_be_read_fails_its_request_and_nothing_else(server: Any) -> None:
    coordinator = _coordinator(server)
    bad = [
        {"status": 200, "body": "not base64!"},
        {"url": "http://127.0.0.1:9/archive/a/another.htm"},        # a response for another page
        {"status": None, "url": None},                                 # neither a response nor a failure
        {"harvest": {"type": "Work", "record": {"title": 3}}},        # a record that is not one
    ]
    for fields in bad:
        token, outcomes = _waiting(coordinator, Request(PAGE))
        coordinator._deliver([decode_result(_result(coordinator, token, **fields))])
        assert len(outcomes) == 1 and isinstance(outcomes[0], UnreadableResult), fields
        assert token not in coordinator.waiting
    token, outcomes = _waiting(coordinator, Request(PAGE))
    coordinator._deliver([decode_result(_result(coordinator, token, epoch=coordinator.epoch - 1))])
    assert outcomes == [] and token in coordinator.waiting  # an earlier epoch's result is not this one's


def test_a_body_over_the_size_limit_is_too_large_whatever_the_worker_did(server: Any) -> None:
    coordinator = _coordinator(server)
    token, outcomes = _waiting(coordinator, Request(PAGE))
    coordinator._deliver([decode_result(_result(coordinator, token, body=base64.b64encode(b"x" * 1001).decode()))])
    assert type(outcomes[0]).__name__ == "TooLarge"


def test_a_failure_travels_as_a_type_of_the_fixed_table_and_nothing_is_imported(
        server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    coordinator = _coordinator(server)
    distributed.known_failures()  # the table is built from the coordinator's own code, once

    def refuse(name: str, *args: Any) -> Any:
        raise AssertionError(f"imported {name} on a worker's word")

    monkeypatch.setattr(importlib, "import_module", refuse)
    message = RequestMessage(token="t", epoch=1, url=PAGE)
    cases = [
        (failure_result(message, error.TCPTimedOutError()), error.TCPTimedOutError),
        (failure_result(message, ConnectionResetError("reset")), OSError),       # the nearest known type
        ({"error": {"type": "crawler.cli.__main__.main", "message": "x"}}, WorkerFailure),
        ({"error": {"type": "os.system", "message": "rm -rf /"}}, WorkerFailure),
    ]
    for failure, kind in cases:
        token, outcomes = _waiting(coordinator, Request(PAGE))
        coordinator._deliver([decode_result(orjson.dumps({**failure, "token": token, "epoch": coordinator.epoch}))])
        assert type(outcomes[0]) is kind, failure


def test_a_record_read_for_a_redirect_or_an_earlier_attempt_is_never_this_responses(server: Any) -> None:
    coordinator = _coordinator(server)
    record = {"type": "OtherPage", "record": OtherPage(id="archive/a/work.htm", url=PAGE).model_dump(mode="json")}
    request = Request(PAGE, meta={HARVESTED: "a stale record"})
    token, outcomes = _waiting(coordinator, request)
    assert HARVESTED not in request.meta  # dropped when the request is queued
    coordinator._deliver([decode_result(_result(coordinator, token, status=301, harvest=record))])
    assert outcomes[0].status == 301 and HARVESTED not in request.meta  # only a 2xx page's record is kept
    token, outcomes = _waiting(coordinator, request)
    coordinator._deliver([decode_result(_result(coordinator, token, harvest=record))])
    assert isinstance(request.meta[HARVESTED].record, OtherPage)


# --- deadlines, restarts, the end of a run, one owner -----------------------------------------------------
def test_a_request_taken_and_never_answered_fails_as_a_timeout_and_leaves_every_hand(server: Any) -> None:
    from scrapy.exceptions import DownloadTimeoutError

    coordinator = _coordinator(server)
    taken, taken_outcomes = _waiting(coordinator, Request(PAGE))
    queued, queued_outcomes = _waiting(coordinator, Request(PAGE + "?2"))
    server.lpush(coordinator.queue.key, coordinator.waiting[queued].data)
    server.lpush(coordinator.queue.held("zombie"), coordinator.waiting[taken].data)  # a worker that hangs
    server.sadd(coordinator.names["workers"], "zombie")
    server.set("parts:alive:zombie", b"1", px=60_000)                                 # and still signals

    def overdue() -> Any:
        due = [(token, w.data, w.taken) for token, w in coordinator.waiting.items()]
        kept = coordinator.upkeep(due, [])
        coordinator._kept(kept)
        return kept

    kept = overdue()  # first seen taken: its deadline starts again (it may have waited long in the queue)
    assert kept.taken == [taken] and kept.queued == [queued] and taken_outcomes == []
    assert coordinator.waiting[taken].deadline > time.monotonic() + 10
    kept = overdue()  # and overdue again: a worker took it and never answered
    assert kept.overdue == [taken] and isinstance(taken_outcomes[0], DownloadTimeoutError)  # retried
    assert server.llen(coordinator.queue.held("zombie")) == 0
    assert queued_outcomes == [] and coordinator.waiting[queued].deadline > time.monotonic() + 10


def test_a_crawl_that_stops_gives_up_at_once_what_no_worker_has_taken(server: Any) -> None:
    from crawler.failures import Abandoned

    coordinator = _coordinator(server)
    token, outcomes = _waiting(coordinator, Request(PAGE))
    server.lpush(coordinator.queue.key, coordinator.waiting[token].data)
    coordinator._kept(coordinator.upkeep([], [(token, coordinator.waiting[token].data)], shutting=True))
    assert isinstance(outcomes[0], Abandoned)  # never a reject: the resumed run asks for it again
    assert server.llen(coordinator.queue.key) == 0


def test_a_coordinator_whose_claim_was_taken_over_stops_and_touches_nothing(server: Any) -> None:
    from crawler.failures import Abandoned

    first = _coordinator(server, crawl="taken")
    _, outcomes = _waiting(first, Request(PAGE))
    first.stop_crawl = lambda: None  # type: ignore[method-assign]
    server.delete(keys("taken")["owner"])        # its claim lapsed (a network cut longer than the claim)
    second = _coordinator(server, crawl="taken")
    result = _result(second, "b-token")
    server.xadd(keys("taken")["results"], {"result": result})
    first._kept(first.upkeep([], []))
    assert first.taken_over and isinstance(outcomes[0], Abandoned)
    first._closed(None, "finished")
    first.finish()
    assert server.hget(keys("taken")["state"], "status") == b"running"        # the second one's crawl
    assert server.hget(keys("taken")["state"], "epoch") == str(second.epoch).encode()
    assert server.get(keys("taken")["owner"]) == second.owner.encode()
    delivered: list[Any] = []
    first.call_in_reactor = lambda function, results: delivered.extend(results)
    first.stopping = False
    reader = threading.Thread(target=first._read_results, daemon=True)
    reader.start()
    time.sleep(1.5)
    first.stopping = True
    reader.join(timeout=5)
    assert server.xlen(keys("taken")["results"]) == 1  # the second coordinator's result stays for it
    second._closed(None, "finished")
    second.finish()
    assert server.hget(keys("taken")["state"], "status") == b"finished"


def test_a_redis_that_restarted_or_lost_the_crawl_gets_the_requests_in_flight_again(server: Any) -> None:
    coordinator = _coordinator(server)
    token, _ = _waiting(coordinator, Request(PAGE))
    data = coordinator.waiting[token].data
    coordinator.upkeep([], [(token, data)])
    assert server.llen(coordinator.queue.key) == 0  # nothing lost: nothing queued again
    coordinator.run_id = "another server"            # as after a restart from an older snapshot
    coordinator.upkeep([], [(token, data)])
    assert server.lrange(coordinator.queue.key, 0, -1) == [data]
    server.delete(coordinator.names["state"])         # as after a restart with nothing kept
    coordinator.upkeep([], [(token, data)])
    assert server.lrange(coordinator.queue.key, 0, -1) == [data]  # once, not twice
    assert server.hget(coordinator.names["state"], "status") == b"running"
    assert coordinator.crawler.stats.values["colophon/redis_restored"] == 2
    server.delete(coordinator.queue.key)                # restarted with what it kept: a worker holds it
    server.lpush(coordinator.queue.held("w"), data)
    server.sadd(coordinator.names["workers"], "w")
    server.set("parts:alive:w", b"1", px=60_000)
    coordinator.run_id = "yet another server"
    coordinator.upkeep([], [(token, data)])
    assert server.llen(coordinator.queue.key) == 0     # not queued twice: the worker reports it


@pytest.mark.parametrize(("reason", "status"), [
    ("finished", b"finished"), ("closespider_pagecount", b"finished"), ("shutdown", b"stopped"), (None, b"stopped"),
])
def test_the_crawl_is_marked_finished_only_when_its_run_ended_as_asked(server: Any, reason: str | None,
                                                                      status: bytes) -> None:
    coordinator = _coordinator(server)
    coordinator._closed(None, reason)
    coordinator.finish()
    assert server.hget(coordinator.names["state"], "status") == status
    assert server.get(coordinator.names["owner"]) is None  # the claim let go
    server.delete(coordinator.names["state"])


class _Unreachable:
    """A Redis that does not answer the first ``failures`` scripts a coordinator sends (a restart)."""

    def __init__(self, server: Any, failures: int) -> None:
        self.server, self.failures = server, failures

    def eval(self, *args: Any) -> Any:
        import redis

        if self.failures:
            self.failures -= 1
            raise redis.ConnectionError("Connection refused")
        return self.server.eval(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)


def test_the_end_of_a_crawl_waits_for_a_redis_that_is_away_for_a_moment(server: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    coordinator = _coordinator(server, "away")
    coordinator._closed(None, "finished")
    coordinator.server = _Unreachable(server, failures=2)
    coordinator.finish()
    assert server.hget(coordinator.names["state"], "status") == b"finished"  # the workers read it, and exit
    server.delete(coordinator.names["state"])
    gone = _coordinator(server, "gone")
    gone._closed(None, "finished")
    gone.server = _Unreachable(server, failures=10**6)
    monkeypatch.setattr(distributed, "FINISH_PATIENCE", 0.5)
    started = time.monotonic()
    gone.finish()  # gives up, and says so, instead of hanging the coordinator's exit
    assert time.monotonic() - started < 5
    assert server.hget(gone.names["state"], "status") != b"finished"


def test_one_coordinator_owns_a_crawls_name(server: Any) -> None:
    claim(server, "owned", "first")
    renewing = threading.Event()

    def renew() -> None:
        while not renewing.wait(distributed.TICK_SECONDS):  # as a coordinator renews it
            own(server, "owned", "first")

    thread = threading.Thread(target=renew, daemon=True)
    thread.start()
    started = time.monotonic()
    with pytest.raises(CrawlTaken, match="another coordinator is running crawl 'owned'"):
        claim(server, "owned", "second")
    assert time.monotonic() - started < 5  # a live owner is recognised by its renewals, not waited out
    renewing.set()
    thread.join()
    with pytest.raises(CrawlTaken):
        claim(server, "owned", "second", wait=0.5)   # not renewed, but not lapsed yet either
    server.pexpire(keys("owned")["owner"], 300)        # as the claim of a killed coordinator lapses
    claim(server, "owned", "second")
    disown(server, "owned", "first")                   # letting go of another's claim does nothing
    assert server.get(keys("owned")["owner"]) == b"second"


# --- the worker -------------------------------------------------------------------------------------
def _running(server: Any, crawl: str, lease: float = 30) -> None:
    server.hset(keys(crawl)["state"], mapping={"status": "running", "lease": lease, "epoch": 1})


def test_a_worker_puts_aside_what_is_not_a_request_and_fetches_the_rest(server: Any) -> None:
    _running(server, "poison")
    worker = Worker(server, "poison", name="w")
    good = orjson.dumps({"token": "good", "epoch": 1, "url": PAGE, "method": "GET", "headers": [], "body": ""})
    named = orjson.dumps({"token": "named", "epoch": 1, "url": "ftp://elsewhere/", "method": "GET"})
    for entry in (b"\x00garbage", b'{"url": 1}', named, good):
        server.lpush(keys("poison")["queue"], entry)
    item, message, request = worker.next_message()
    assert item == good and message.token == "good" and request.url == PAGE
    dead = [orjson.loads(entry) for entry in server.lrange(keys("poison")["dead"], 0, -1)]
    assert sorted(entry["entry"] for entry in dead) == ['\x00garbage', '{"url": 1}']
    results = [decode_result(fields[b"result"]) for _, fields in server.xrange(keys("poison")["results"])]
    assert [(r.token, r.error.type) for r in results] == [("named", "builtins.ValueError")]  # its request fails
    assert server.lrange(worker.queue.held("w"), 0, -1) == [good]  # only the request it fetches is held


def test_a_result_too_big_for_redis_is_reported_as_a_failure(server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis

    _running(server, "report")
    worker = Worker(server, "report", name="w")
    message = RequestMessage(token="t", epoch=1, url=PAGE)
    server.lpush(worker.queue.held("w"), b"item")
    real = worker.queue.report
    calls = []

    def refuse_big(name: str, item: bytes, result: bytes) -> None:
        calls.append(len(result))
        if len(result) > 1000:
            raise redis.ResponseError("OOM command not allowed when used memory > 'maxmemory'")
        real(name, item, result)

    monkeypatch.setattr(worker.queue, "report", refuse_big)
    worker.report(b"item", message, lambda: {"token": "t", "epoch": 1, "body": "x" * 5000})
    (_, fields), = server.xrange(keys("report")["results"])
    assert decode_result(fields[b"result"]).error.message.startswith("the worker could not report its result")
    assert server.llen(worker.queue.held("w")) == 0
    monkeypatch.setattr(worker.queue, "report", lambda *args: (_ for _ in ()).throw(redis.ResponseError("READONLY")))
    server.lpush(worker.queue.held("w"), b"item")
    worker.report(b"item", message, lambda: {"token": "t", "epoch": 1})
    assert server.llen(worker.queue.held("w")) == 0  # let go: the coordinator's deadline asks again


def test_the_heartbeat_follows_the_crawls_lease(server: Any) -> None:
    worker = Worker(server, "beat", name="w")
    worker.begin()  # no crawl yet: the default lease
    try:
        _running(server, "beat", lease=1)
        worker.status()  # what next_message reads each round
        misses = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            misses += not server.exists("beat:alive:w")
            time.sleep(0.02)
        assert misses == 0
        assert 0 < server.pttl("beat:alive:w") <= 1000
    finally:
        assert worker.close() == 0
    assert not server.exists("beat:alive:w") and not server.sismember(keys("beat")["workers"], "w")


def test_a_stopped_worker_returns_what_it_holds_to_the_head_of_the_queue(server: Any) -> None:
    worker = Worker(server, "stop", name="w")
    server.rpush(keys("stop")["queue"], b"newer")
    server.rpush(worker.queue.held("w"), b"held 1", b"held 2")
    worker.begin()
    assert worker.close() == 2
    # Held newest first: back at the head of the queue, the oldest is the next to be taken (the right end).
    assert server.lrange(keys("stop")["queue"], 0, -1) == [b"newer", b"held 1", b"held 2"]
    assert server.llen(worker.queue.held("w")) == 0


def test_a_catalogue_missing_from_redis_is_not_remembered_as_empty(server: Any) -> None:
    worker = Worker(server, "catalogue", name="w")
    with pytest.raises(distributed.CatalogueMissing):
        worker.catalogue("abc", fetch=True)
    server.hset(keys("catalogue")["catalogue"], "abc", orjson.dumps({"marx": "Karl Marx"}))
    with pytest.raises(distributed.CatalogueMissing):
        worker.catalogue("abc")  # in the reactor, only what the worker's thread has read
    assert worker.catalogue("abc", fetch=True).authors == {"marx": "Karl Marx"}
    assert worker.catalogue("abc").authors == {"marx": "Karl Marx"}


def test_a_redis_url_is_recorded_and_reported_without_its_password() -> None:
    url = "redis://reader:s3cret@redis.lan:6379/0"
    assert redact(url) == "redis://reader:***@redis.lan:6379/0"
    assert redact("redis://redis.lan:6379/0") == "redis://redis.lan:6379/0"
    options = run_options(SimpleNamespace(redis=url, starts=[], func=None, redis_owner="x"))
    assert "s3cret" not in orjson.dumps(options).decode() and "redis_owner" not in options


# --- extraction processes --------------------------------------------------------------------------
def test_pages_waiting_behind_a_page_that_kills_its_reader_are_not_blamed() -> None:
    page = (SAMPLE / "archive/baker/1944/02/jail.htm").read_bytes()
    fatal = page.replace(b"<body>", b"<body><!-- stops the process that reads it -->", 1)
    fetch = Fetch(fetched_at="2026-01-01T00:00:00+00:00")

    async def read() -> tuple[Harvester, list[Harvest]]:
        harvester = Harvester(2, read="tests.test_workers:_fatal")
        harvester.start(Catalogue())
        try:
            pages = [fatal if n in (0, 1) else page for n in range(12)]  # two killers, each reader busy
            return harvester, await asyncio.gather(*(
                harvester.harvest(body, f"https://www.marxists.org/archive/baker/1944/02/p{n}.htm",
                                  f"archive/baker/1944/02/p{n}.htm", fetch) for n, body in enumerate(pages)))
        finally:
            await harvester.close()

    harvester, harvests = asyncio.run(read())
    assert [h.record.code for h in harvests[:2] if isinstance(h.record, Reject)] == ["extract_crashed"] * 2
    assert all(isinstance(h.record, Work) for h in harvests[2:])  # none of the pages behind them rejected
    assert harvester.crashed == 2


def test_a_worker_leaves_once_a_run_has_come_and_gone_even_unseen(server: Any) -> None:
    server.hset(keys("brief")["state"], mapping={"status": "finished", "lease": 30, "epoch": 3})
    worker = Worker(server, "brief", name="w")
    worker.arrived_in = worker.status()[1] or 0  # as begin() does
    threading.Timer(1.5, worker.halt.set).start()
    started = time.monotonic()
    assert worker.next_message() is None
    assert time.monotonic() - started >= 1.4  # the run it found was over before it came: it waits
    worker.halt.clear()
    server.hset(keys("brief")["state"], "epoch", 4)  # a run began and ended between two looks
    started = time.monotonic()
    assert worker.next_message() is None and time.monotonic() - started < 0.5


def test_a_worker_stopped_while_redis_is_away_stops_at_once() -> None:
    import redis

    worker = Worker(distributed.client(f"redis://127.0.0.1:{free_port()}/0"), "away", name="w")
    threading.Timer(0.5, worker.halt.set).start()
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        worker.next_message()
    assert time.monotonic() - started < 3


def test_extraction_processes_that_die_before_reading_anything_stop_the_crawl() -> None:
    from crawler.harvesters import STILLBORN, ExtractionBroken

    async def read() -> Harvester:
        harvester = Harvester(2, read="crawler.no_such_module:read")
        harvester.start(Catalogue())
        try:
            with pytest.raises(ExtractionBroken, match="before they were ready"):
                for n in range(20):
                    await harvester.harvest(b"<html/>", f"https://www.marxists.org/p{n}.htm", f"p{n}.htm",
                                            Fetch(fetched_at="2026-01-01T00:00:00+00:00"))
        finally:
            await harvester.close()
        return harvester

    harvester = asyncio.run(read())
    assert harvester.restarts < STILLBORN + 2 and harvester.crashed <= 1  # no page blamed for it
