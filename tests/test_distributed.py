"""One crawl shared by workers through a real Redis (crawler.distributed): a coordinator and three
workers publish what a single process publishes, WARC records included; a worker killed with SIGKILL
loses nothing; the per-host rate holds across workers; an unchanged refresh through workers is all
conditional and changes nothing; the size limit holds through them; every worker exits on its own; a
second coordinator of a running crawl is refused; a coordinator alone stops at once on Ctrl-C. (A
coordinator, a worker or Redis stopped or killed mid-crawl: test_distributed_recovery.py; the Redis
URL checked: test_distributed_config.py.)"""

from __future__ import annotations

import bisect
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.redis_crawls import FAST, coordinate, crawl_state, ended, midway, requests_so_far, start_workers
from tests.support import (
    REDIS_SERVER,
    origin_stats,
    problems,
    published,
    run_colophon,
    unresolved_captures,
    warc_captures,
)

pytestmark = [pytest.mark.long,
              pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)")]


def test_a_coordinator_and_three_workers_publish_what_one_process_publishes(
        redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    workers = start_workers(redis_url, "equal", 3)
    coordinator = coordinate(redis_url, "equal", crawled_site["base"], tmp_path / "out", "--delay", "0")
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    for code, log in ended(workers):
        assert code == 0, log  # every worker exits by itself once the crawl is over
        assert "is finished" in log
    assert published(tmp_path / "out") == crawled_site["published"]
    assert problems(tmp_path / "out") == []
    # The WARC records kept are those one process keeps, each page's provenance at its own.
    kept, _, broken = warc_captures(tmp_path / "out")
    assert kept == warc_captures(crawled_site["single"])[0] and broken == []
    assert sum(1 for kind, *_ in kept if kind == "response") > 80
    assert unresolved_captures(tmp_path / "out") == []


def test_a_worker_killed_mid_crawl_loses_nothing(redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    base = crawled_site["base"]
    before = requests_so_far(base)
    workers = start_workers(redis_url, "kill", 3)
    coordinator = coordinate(redis_url, "kill", base, tmp_path / "out", "--delay", "0.02", "--lease-seconds", "2")
    midway(base, before, 30)
    os.kill(workers[0].pid, signal.SIGKILL)  # in the middle of the crawl, holding requests
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    assert [code for code, _ in ended(workers)] == [-signal.SIGKILL, 0, 0]
    assert published(tmp_path / "out") == crawled_site["published"]


def test_the_per_host_rate_holds_across_workers(redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    base = crawled_site["base"]
    started = time.time()
    workers = start_workers(redis_url, "polite", 3)
    coordinator = coordinate(redis_url, "polite", base, tmp_path / "out", "--delay", "0.05", "--max-pages", "60")
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 0, stdout + stderr
    ended(workers)
    stats = origin_stats(base)
    times = sorted(t for t in stats["times"] if t >= started)
    assert len(times) > 40
    # At most one request per 50 ms to the host, however many workers: over any second, no more
    # than the configured rate allows (each request's own arrival jitters with loopback scheduling).
    busiest = max(bisect.bisect_right(times, start + 1.0) - index for index, start in enumerate(times))
    assert busiest <= 1.0 / 0.05 + 1, busiest
    assert len(times) / (times[-1] - times[0]) <= 1.0 / 0.05


def test_an_unchanged_refresh_through_workers_is_conditional_and_changes_nothing(
        redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    base, out = crawled_site["base"], tmp_path / "out"
    for _ in ("first crawl", "unchanged refresh"):
        workers = start_workers(redis_url, "refresh", 2)
        before = origin_stats(base)
        coordinator = coordinate(redis_url, "refresh", base, out, "--delay", "0")
        stdout, stderr = coordinator.communicate(timeout=300)
        assert coordinator.returncode == 0, stdout + stderr
        assert [code for code, _ in ended(workers)] == [0, 0]
    after = origin_stats(base)
    pages = sum(after["requests"].values()) - sum(before["requests"].values())
    conditional = after["conditional"] - before["conditional"]
    robots_and_missing = 1 + 2  # robots.txt, and the two links that lead nowhere (404s ask nothing)
    assert conditional >= pages - robots_and_missing - 1 and pages > 80
    assert "0 added, 0 modified, 0 removed" in stdout


def test_the_size_limit_holds_through_the_workers(redis_url: str, crawled_site: dict[str, Any], tmp_path: Path) -> None:
    limit = ("--max-page-bytes", "2000")  # the two author indexes (3.9 kB each) are rejects
    single = run_colophon("crawl", crawled_site["base"], "--out", str(tmp_path / "single"), *FAST,
                          "--delay", "0", *limit)
    assert single.returncode == 1, single.stdout + single.stderr
    expected = published(tmp_path / "single")
    assert sum('"too_large"' in reject for reject in expected["rejects"]) == 2 and expected["works"]
    workers = start_workers(redis_url, "limit", 2)
    coordinator = coordinate(redis_url, "limit", crawled_site["base"], tmp_path / "out", "--delay", "0", *limit)
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 1, stdout + stderr
    ended(workers)
    assert published(tmp_path / "out") == expected


def test_a_second_coordinator_of_a_running_crawl_is_refused(redis_url: str, crawled_site: dict[str, Any],
                                                            tmp_path: Path) -> None:
    first = coordinate(redis_url, "twice", crawled_site["base"], tmp_path / "first", "--delay", "0.5")
    try:
        deadline = time.monotonic() + 30
        while crawl_state(redis_url, "twice").get(b"status") != b"running" and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        second = run_colophon("crawl", crawled_site["base"], "--out", str(tmp_path / "second"), *FAST,
                              "--redis", redis_url, "--crawl-name", "twice", timeout=60)
        assert second.returncode == 75, second.stdout + second.stderr
        assert "another coordinator is running crawl 'twice'" in second.stderr
        assert time.monotonic() - started < 8  # told by the first one's renewals, not by waiting its claim out
        assert first.poll() is None and crawl_state(redis_url, "twice")[b"status"] == b"running"
    finally:
        first.kill()
        first.communicate()


def test_a_coordinator_with_no_worker_stops_at_once_on_ctrl_c(redis_url: str, crawled_site: dict[str, Any],
                                                              tmp_path: Path) -> None:
    coordinator = coordinate(redis_url, "alone", crawled_site["base"], tmp_path / "out", "--delay", "0")
    deadline = time.monotonic() + 30
    while crawl_state(redis_url, "alone").get(b"status") != b"running" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    coordinator.send_signal(signal.SIGINT)
    started = time.monotonic()
    stdout, stderr = coordinator.communicate(timeout=60)
    assert coordinator.returncode == 4, stdout + stderr
    assert time.monotonic() - started < 15  # not its requests' deadlines (a minute): no worker had them
    assert crawl_state(redis_url, "alone")[b"status"] == b"stopped"
    assert "rejected" not in stdout  # given up, not rejected: the next run asks for them
