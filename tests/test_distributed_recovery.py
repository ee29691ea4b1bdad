"""A crawl shared through a real Redis goes on through what stops its parts: a coordinator killed
and started again resumes its run; a Redis that restarts empty mid-crawl loses nothing; garbage
written to the crawl's stream and queue is dropped; a worker stopped by SIGTERM gives back what it
held and exits 4; an interrupted coordinator leaves its workers waiting for the next one. Each
ends with the dataset a single process publishes."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.redis_crawls import coordinate, crawl_state, ended, midway, requests_so_far, start_workers
from tests.support import REDIS_SERVER, free_port, published, start_redis

pytestmark = [pytest.mark.long,
              pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)")]


def test_a_coordinator_killed_and_started_again_resumes(redis_url: str, crawled_site: dict[str, Any],
                                                        tmp_path: Path) -> None:
    base, out = crawled_site["base"], tmp_path / "out"
    before = requests_so_far(base)
    workers = start_workers(redis_url, "resume", 2)
    coordinator = coordinate(redis_url, "resume", base, out, "--delay", "0.02")
    midway(base, before, 40)
    coordinator.kill()  # SIGKILL: no publication, requests in the workers' hands
    coordinator.communicate()
    again = coordinate(redis_url, "resume", base, out, "--delay", "0")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stdout + stderr
    assert "resumed" in stdout  # the run the killed coordinator began, not a new one
    assert [code for code, _ in ended(workers)] == [0, 0]  # the workers stayed with the crawl
    assert published(out) == crawled_site["published"]


def test_a_redis_that_restarts_empty_mid_crawl_loses_nothing(crawled_site: dict[str, Any], tmp_path: Path) -> None:
    base, port = crawled_site["base"], free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(tmp_path, port)
    try:
        before = requests_so_far(base)
        workers = start_workers(url, "restart", 2)
        coordinator = coordinate(url, "restart", base, tmp_path / "out", "--delay", "0.02")
        midway(base, before, 40)
        server.kill()  # everything Redis held is gone: queue, held requests, results, the crawl's state
        server.wait()
        time.sleep(1.5)
        server = start_redis(tmp_path, port)
        stdout, stderr = coordinator.communicate(timeout=300)
        assert coordinator.returncode == 0, stdout + stderr
        assert "Redis unreachable" in stderr and "Redis is back" in stderr and "queueing the" in stderr
        assert [code for code, _ in ended(workers)] == [0, 0]
        assert published(tmp_path / "out") == crawled_site["published"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_garbage_on_the_stream_and_the_queue_is_dropped_and_the_crawl_goes_on(
        redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    """Anyone who can write to the crawl's Redis writes nonsense while it runs: results that are not
    results, results for real requests that cannot be read or name a module to import, requests
    that are not requests. Nothing crashes, every worker stays, the dataset is the single process's."""
    import redis

    client = redis.Redis.from_url(redis_url)
    workers: list[subprocess.Popen[str]] = []
    coordinator = coordinate(redis_url, "garbage", crawled_site["base"], tmp_path / "out", "--delay", "0.05")
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
                workers = start_workers(redis_url, "garbage", 2)
        stdout, stderr = coordinator.communicate(timeout=300)
    finally:
        client.close()
    assert sent >= 5
    assert coordinator.returncode == 0, stdout + stderr
    assert "Traceback" not in stderr and "dropped an unreadable result" in stderr
    for code, log in ended(workers):
        assert code == 0 and "Traceback" not in log, log
        assert "could not read a request from the queue" in log
    assert published(tmp_path / "out") == crawled_site["published"]


def test_a_worker_stopped_by_sigterm_returns_what_it_holds_and_exits_4(
        redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    base = crawled_site["base"]
    before = requests_so_far(base)
    workers = start_workers(redis_url, "sigterm", 2)
    # A lease longer than the crawl: requests a stopped worker kept would wait it out, and say so.
    coordinator = coordinate(redis_url, "sigterm", base, tmp_path / "out", "--delay", "0.02", "--lease-seconds", "600")
    midway(base, before, 30)
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
    assert ended(workers[1:])[0][0] == 0
    assert published(tmp_path / "out") == crawled_site["published"]


def test_an_interrupted_coordinator_leaves_the_workers_waiting_for_the_next(
        redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    base, out = crawled_site["base"], tmp_path / "out"
    before = requests_so_far(base)
    workers = start_workers(redis_url, "pause", 2)
    coordinator = coordinate(redis_url, "pause", base, out, "--delay", "0.02")
    midway(base, before, 30)
    coordinator.send_signal(signal.SIGINT)
    stdout, stderr = coordinator.communicate(timeout=120)
    assert coordinator.returncode == 4, stdout + stderr
    assert crawl_state(redis_url, "pause")[b"status"] == b"stopped"
    time.sleep(2)
    assert [worker.poll() for worker in workers] == [None, None]  # waiting, not gone
    again = coordinate(redis_url, "pause", base, out, "--delay", "0")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stdout + stderr
    assert "resumed" in stdout
    assert [code for code, _ in ended(workers)] == [0, 0]
    assert published(out) == crawled_site["published"]


@pytest.mark.parametrize("presses", ["once", "twice at once", "again while it waits"])
def test_a_coordinator_stopped_while_redis_is_away_stops_within_seconds(
        crawled_site: dict[str, Any], tmp_path: Path, presses: str) -> None:
    """Ctrl-C with Redis gone: the word "stopped" is waited for STOP_PATIENCE (5 s), not the 30 s a
    finished crawl's is; a second Ctrl-C stops it now, whenever it comes; the run is interrupted
    (exit 4, resumed next time), never a failure."""
    base, port = crawled_site["base"], free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(tmp_path, port)
    coordinator = coordinate(url, "away", base, tmp_path / "out", "--delay", "0.2")
    try:
        deadline = time.monotonic() + 30
        while crawl_state(url, "away").get(b"status") != b"running" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        server.kill()
        server.wait()
    time.sleep(0.5)
    coordinator.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    if presses == "twice at once":
        time.sleep(0.1)
        coordinator.send_signal(signal.SIGINT)
    elif presses == "again while it waits":
        time.sleep(2.5)  # the engine has stopped: the coordinator waits for Redis to take its last word
        coordinator.send_signal(signal.SIGINT)
        stopped = time.monotonic()
    stdout, stderr = coordinator.communicate(timeout=120)
    took = time.monotonic() - stopped
    assert coordinator.returncode == 4, stdout + stderr
    assert "Crawl interrupted" in stdout and "crawl failed" not in stdout
    assert "Traceback" not in stderr
    assert took < (3 if presses == "again while it waits" else 12), (took, stderr)
    if presses == "again while it waits":
        assert "stopped before Redis could be told the crawl 'away' stopped" in stderr
    else:
        assert "could not mark the crawl 'away' stopped in Redis within 5 s" in stderr
