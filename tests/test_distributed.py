"""One crawl shared by workers through a real Redis (crawler.distributed): a coordinator and three
workers publish what a single process publishes; a worker killed with SIGKILL loses nothing; the
per-host rate holds across workers; an unchanged refresh through workers is all conditional and
changes nothing; every worker exits on its own; a bad URL or a Redis that does not answer stops
the command at once."""

from __future__ import annotations

import bisect
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import synthetic
from tests.support import (
    REDIS_SERVER,
    REPO,
    free_port,
    origin,
    origin_stats,
    problems,
    published,
    run_colophon,
    start_redis,
)

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)")
FAST = ("--concurrency", "4", "--log-level", "WARNING", "--scope", "site", "--revisit-min", "0",
        "--progress-every", "0", "--no-autothrottle")


def _free_port() -> int:
    return free_port()


def _redis(folder: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    return start_redis(folder, port, *extra)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of the module's own, on a free loopback port."""
    port = _free_port()
    process = _redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A site of some 100 pages served for the module, and what a single process publishes of it."""
    folder = tmp_path_factory.mktemp("distributed")
    root = synthetic.build(folder / "site", authors=2, works=40)
    with origin(root) as base:
        single = folder / "single"
        result = run_colophon("crawl", base, "--out", str(single), *FAST, "--delay", "0")
        assert result.returncode == 0, result.stdout + result.stderr
        yield {"base": base, "root": root, "published": published(single)}


def _workers(redis_url: str, crawl: str, count: int) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--redis", redis_url, "--crawl-name",
                              crawl, "--concurrency", "4"], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(count)]


def _coordinate(redis_url: str, crawl: str, base: str, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(out), *FAST,
                             "--redis", redis_url, "--crawl-name", crawl, *extra], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _midway(base: str, before: int, requests: int) -> None:
    """Once the origin has answered ``requests`` more requests than ``before`` (within a minute)."""
    deadline = time.monotonic() + 60
    while sum(origin_stats(base)["requests"].values()) - before < requests and time.monotonic() < deadline:
        time.sleep(0.02)


def _ended(workers: list[subprocess.Popen[str]], timeout: float = 30) -> list[tuple[int | None, str]]:
    """Each worker's exit code and log, once it has exited by itself (None: it had to be killed)."""
    ended = []
    for worker in workers:
        try:
            _, log = worker.communicate(timeout=timeout)
            ended.append((worker.returncode, log))
        except subprocess.TimeoutExpired:
            worker.kill()
            ended.append((None, worker.communicate()[1]))
    return ended


def test_a_coordinator_and_three_workers_publish_what_one_process_publishes(
        redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    workers = _workers(redis_url, "equal", 3)
    coordinator = _coordinate(redis_url, "equal", site["base"], tmp_path / "out", "--delay", "0")
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    for code, log in _ended(workers):
        assert code == 0, log  # every worker exits by itself once the crawl is over
        assert "is finished" in log
    assert published(tmp_path / "out") == site["published"]
    assert problems(tmp_path / "out") == []


def test_a_worker_killed_mid_crawl_loses_nothing(redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    base = site["base"]
    before = sum(origin_stats(base)["requests"].values())
    workers = _workers(redis_url, "kill", 3)
    coordinator = _coordinate(redis_url, "kill", base, tmp_path / "out", "--delay", "0.02", "--lease-seconds", "2")
    _midway(base, before, 30)
    os.kill(workers[0].pid, signal.SIGKILL)  # in the middle of the crawl, holding requests
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    assert [code for code, _ in _ended(workers)] == [-signal.SIGKILL, 0, 0]
    assert published(tmp_path / "out") == site["published"]


def test_the_per_host_rate_holds_across_workers(redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    base = site["base"]
    started = time.time()
    workers = _workers(redis_url, "polite", 3)
    coordinator = _coordinate(redis_url, "polite", base, tmp_path / "out", "--delay", "0.05", "--max-pages", "60")
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    _ended(workers)
    stats = origin_stats(base)
    times = sorted(t for t in stats["times"] if t >= started)
    assert len(times) > 40
    # At most one request per 50 ms to the host, however many workers: over any second, no more
    # than the configured rate allows (each request's own arrival jitters with loopback scheduling).
    busiest = max(bisect.bisect_right(times, start + 1.0) - index for index, start in enumerate(times))
    assert busiest <= 1.0 / 0.05 + 1, busiest
    assert len(times) / (times[-1] - times[0]) <= 1.0 / 0.05


def test_an_unchanged_refresh_through_workers_is_conditional_and_changes_nothing(
        redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    base, out = site["base"], tmp_path / "out"
    for _ in ("first crawl", "unchanged refresh"):
        workers = _workers(redis_url, "refresh", 2)
        before = origin_stats(base)
        coordinator = _coordinate(redis_url, "refresh", base, out, "--delay", "0")
        stdout, stderr = coordinator.communicate(timeout=300)
        assert coordinator.returncode == 0, stdout + stderr
        assert [code for code, _ in _ended(workers)] == [0, 0]
    after = origin_stats(base)
    pages = sum(after["requests"].values()) - sum(before["requests"].values())
    conditional = after["conditional"] - before["conditional"]
    robots_and_missing = 1 + 2  # robots.txt, and the two links that lead nowhere (404s ask nothing)
    assert conditional >= pages - robots_and_missing - 1 and pages > 80
    assert "0 added, 0 modified, 0 removed" in stdout


@pytest.mark.parametrize(("url", "code", "message"), [
    ("mongodb://127.0.0.1/", 2, "--redis"),
    ("redis://127.0.0.1:9/0", 69, "does not answer"),
])
def test_a_bad_url_or_a_redis_that_does_not_answer_stops_at_once(url: str, code: int, message: str,
                                                                 tmp_path: Path) -> None:
    for command in (["crawl", "--sample", "--out", str(tmp_path / "out"), "--redis", url], ["worker", "--redis", url]):
        started = time.monotonic()
        result = run_colophon(*command, timeout=60)
        assert result.returncode == code, result.stdout + result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert time.monotonic() - started < 15


def test_a_coordinator_killed_and_started_again_resumes(redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    base, out = site["base"], tmp_path / "out"
    before = sum(origin_stats(base)["requests"].values())
    workers = _workers(redis_url, "resume", 2)
    coordinator = _coordinate(redis_url, "resume", base, out, "--delay", "0.02")
    _midway(base, before, 40)
    coordinator.kill()  # SIGKILL: no publication, requests in the workers' hands
    coordinator.communicate()
    again = _coordinate(redis_url, "resume", base, out, "--delay", "0")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stdout + stderr
    assert "resumed" in stdout  # the run the killed coordinator began, not a new one
    assert [code for code, _ in _ended(workers)] == [0, 0]  # the workers stayed with the crawl
    assert published(out) == site["published"]


def test_a_redis_that_restarts_empty_mid_crawl_loses_nothing(site: dict[str, Any], tmp_path: Path) -> None:
    base, port = site["base"], _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis(tmp_path, port)
    try:
        before = sum(origin_stats(base)["requests"].values())
        workers = _workers(url, "restart", 2)
        coordinator = _coordinate(url, "restart", base, tmp_path / "out", "--delay", "0.02")
        _midway(base, before, 40)
        server.kill()  # everything Redis held is gone: queue, held requests, results, the crawl's state
        server.wait()
        time.sleep(1.5)
        server = _redis(tmp_path, port)
        stdout, stderr = coordinator.communicate(timeout=300)
        assert coordinator.returncode == 0, stdout + stderr
        assert "Redis unreachable" in stderr and "Redis is back" in stderr and "queueing the" in stderr
        assert [code for code, _ in _ended(workers)] == [0, 0]
        assert published(tmp_path / "out") == site["published"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def _state(url: str, crawl: str) -> dict[bytes, bytes]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.hgetall(f"{crawl}:state")
    finally:
        client.close()


def test_garbage_on_the_stream_and_the_queue_is_dropped_and_the_crawl_goes_on(
        redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    """Anyone who can write to the crawl's Redis writes nonsense while it runs: results that are not
    results, results for real requests that cannot be read or name a module to import, requests
    that are not requests. Nothing crashes, every worker stays, the dataset is the single process's."""
    import redis

    client = redis.Redis.from_url(redis_url)
    workers: list[subprocess.Popen[str]] = []
    coordinator = _coordinate(redis_url, "garbage", site["base"], tmp_path / "out", "--delay", "0.05")
    sent, spoilt = 0, set()
    try:
        while coordinator.poll() is None and sent < 40:
            state = client.hgetall("garbage:state")
            lists = ["garbage:queue", *(f"garbage:held:{w.decode()}" for w in client.smembers("garbage:workers"))]
            queued = [json.loads(entry) for key in lists for entry in client.lrange(key, 0, -1)
                      if entry.startswith(b'{"tok')]
            fresh = [message for message in queued if "url" in message and message["url"] not in spoilt]
            if state.get(b"status") != b"running" or not fresh:
                time.sleep(0.01)
                continue
            epoch, token = int(state[b"epoch"]), fresh[0]["token"]
            spoilt.add(fresh[0]["url"])
            for result in (b"not json", b"[]", json.dumps({"token": token, "epoch": epoch, "status": "many"}).encode(),
                           json.dumps({"token": token, "epoch": epoch, "error": {
                               "type": "crawler.cli.__main__.main", "message": "imported?"}}).encode()):
                client.xadd("garbage:results", {"result": result})
            client.lpush("garbage:queue", b"\x00 not a request", b'{"token": 3}')
            sent += 1
            if not workers:
                workers = _workers(redis_url, "garbage", 2)
        stdout, stderr = coordinator.communicate(timeout=300)
    finally:
        client.close()
    assert sent >= 5
    assert coordinator.returncode == 0, stdout + stderr
    assert "Traceback" not in stderr and "dropped an unreadable result" in stderr
    for code, log in _ended(workers):
        assert code == 0 and "Traceback" not in log, log
        assert "could not read a request from the queue" in log
    assert published(tmp_path / "out") == site["published"]


def test_a_worker_stopped_by_sigterm_returns_what_it_holds_and_exits_4(
        redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    base = site["base"]
    before = sum(origin_stats(base)["requests"].values())
    workers = _workers(redis_url, "sigterm", 2)
    # A lease longer than the crawl: requests a stopped worker kept would wait it out, and say so.
    coordinator = _coordinate(redis_url, "sigterm", base, tmp_path / "out", "--delay", "0.02", "--lease-seconds", "600")
    _midway(base, before, 30)
    workers[0].send_signal(signal.SIGTERM)
    _, log = workers[0].communicate(timeout=30)
    assert workers[0].returncode == 4, log
    name = re.search(r"worker (\w+) joined crawl", log).group(1)  # type: ignore[union-attr]
    import redis

    client = redis.Redis.from_url(redis_url)
    try:  # what it held is back in the queue already, not waiting for its lease (600 s) to lapse
        assert client.llen(f"sigterm:held:{name}") == 0 and not client.sismember("sigterm:workers", name)
    finally:
        client.close()
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    assert _ended(workers[1:])[0][0] == 0
    assert published(tmp_path / "out") == site["published"]


def test_an_interrupted_coordinator_leaves_the_workers_waiting_for_the_next(
        redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    base, out = site["base"], tmp_path / "out"
    before = sum(origin_stats(base)["requests"].values())
    workers = _workers(redis_url, "pause", 2)
    coordinator = _coordinate(redis_url, "pause", base, out, "--delay", "0.02")
    _midway(base, before, 30)
    coordinator.send_signal(signal.SIGINT)
    stdout, stderr = coordinator.communicate(timeout=120)
    assert coordinator.returncode == 4, stdout + stderr
    assert _state(redis_url, "pause")[b"status"] == b"stopped"
    time.sleep(2)
    assert [worker.poll() for worker in workers] == [None, None]  # waiting, not gone
    again = _coordinate(redis_url, "pause", base, out, "--delay", "0")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stdout + stderr
    assert "resumed" in stdout
    assert [code for code, _ in _ended(workers)] == [0, 0]
    assert published(out) == site["published"]


def test_the_size_limit_holds_through_the_workers(redis_url: str, site: dict[str, Any], tmp_path: Path) -> None:
    limit = ("--max-page-bytes", "2000")  # the two author indexes (3.9 kB each) are rejects
    single = run_colophon("crawl", site["base"], "--out", str(tmp_path / "single"), *FAST, "--delay", "0", *limit)
    assert single.returncode == 1, single.stdout + single.stderr
    expected = published(tmp_path / "single")
    assert sum('"too_large"' in reject for reject in expected["rejects"]) == 2 and expected["works"]
    workers = _workers(redis_url, "limit", 2)
    coordinator = _coordinate(redis_url, "limit", site["base"], tmp_path / "out", "--delay", "0", *limit)
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 1, stdout + stderr
    _ended(workers)
    assert published(tmp_path / "out") == expected


def test_a_second_coordinator_of_a_running_crawl_is_refused(redis_url: str, site: dict[str, Any],
                                                            tmp_path: Path) -> None:
    first = _coordinate(redis_url, "twice", site["base"], tmp_path / "first", "--delay", "0.5")
    try:
        deadline = time.monotonic() + 30
        while _state(redis_url, "twice").get(b"status") != b"running" and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        second = run_colophon("crawl", site["base"], "--out", str(tmp_path / "second"), *FAST,
                              "--redis", redis_url, "--crawl-name", "twice", timeout=60)
        assert second.returncode == 75, second.stdout + second.stderr
        assert "another coordinator is running crawl 'twice'" in second.stderr
        assert time.monotonic() - started < 8  # told by the first one's renewals, not by waiting its claim out
        assert first.poll() is None and _state(redis_url, "twice")[b"status"] == b"running"
    finally:
        first.kill()
        first.communicate()


@pytest.fixture(scope="module")
def guarded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """A Redis that asks for a password (s3cret) and has 16 databases, and a read-only replica."""
    port, replica_port = _free_port(), _free_port()
    process = _redis(tmp_path_factory.mktemp("guarded"), port, "--requirepass", "s3cret")
    replica = _redis(tmp_path_factory.mktemp("replica"), replica_port, "--replicaof", "127.0.0.1", "9")
    try:
        yield {"port": port, "replica": replica_port}
    finally:
        for server in (process, replica):
            server.terminate()
            server.wait(timeout=10)


@pytest.mark.parametrize(("url", "code", "message"), [
    ("", 2, "not a redis://"),
    ("redis://127.0.0.1:{port}/abc", 2, "the database 'abc' is not a number"),
    ("redis://:wrong@127.0.0.1:{port}/0", 2, "Redis refused it"),
    ("redis://:s3cret@127.0.0.1:{port}/99", 2, "Redis refused it"),
    ("redis://127.0.0.1:{port}/0", 2, "Redis refused it"),  # no password given
    ("redis://:s3cret@127.0.0.1:9/0", 69, "does not answer"),
    ("redis://127.0.0.1:{replica}/0", 2, "Redis refused it"),  # a read-only replica
])
def test_a_redis_that_refuses_or_a_url_that_is_wrong_is_bad_configuration(
        guarded_redis: dict[str, int], url: str, code: int, message: str, tmp_path: Path) -> None:
    url = url.format(**guarded_redis)
    for command in (["crawl", "--sample", "--out", str(tmp_path / "out"), "--redis", url], ["worker", "--redis", url]):
        result = run_colophon(*command, timeout=60)
        assert result.returncode == code, result.stdout + result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert "s3cret" not in result.stderr + result.stdout and "wrong" not in result.stderr


def test_a_coordinator_with_no_worker_stops_at_once_on_ctrl_c(redis_url: str, site: dict[str, Any],
                                                              tmp_path: Path) -> None:
    coordinator = _coordinate(redis_url, "alone", site["base"], tmp_path / "out", "--delay", "0")
    deadline = time.monotonic() + 30
    while _state(redis_url, "alone").get(b"status") != b"running" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    coordinator.send_signal(signal.SIGINT)
    started = time.monotonic()
    stdout, stderr = coordinator.communicate(timeout=60)
    assert coordinator.returncode == 4, stdout + stderr
    assert time.monotonic() - started < 15  # not its requests' deadlines (a minute): no worker had them
    assert _state(redis_url, "alone")[b"status"] == b"stopped"
    assert "rejected" not in stdout  # given up, not rejected: the next run asks for them
