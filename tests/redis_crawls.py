"""What the tests of a crawl shared through a real Redis have in common: the coordinator's and the
workers' processes, the crawl's state as Redis holds it, and the origin's request count."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.support import REPO, origin_stats

FAST = ("--concurrency", "4", "--log-level", "WARNING", "--scope", "site", "--revisit-min", "0",
        "--progress-every", "0", "--no-autothrottle")


def start_workers(redis_url: str, crawl: str, count: int) -> list[subprocess.Popen[str]]:
    """``count`` workers joining ``crawl``."""
    return [subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--redis", redis_url, "--crawl-name",
                              crawl, "--concurrency", "4"], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(count)]


def coordinate(redis_url: str, crawl: str, base: str, out: Path, *extra: str) -> subprocess.Popen[str]:
    """The coordinator of ``crawl`` over the site at ``base``, publishing into ``out``."""
    return subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(out), *FAST,
                             "--redis", redis_url, "--crawl-name", crawl, *extra], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def midway(base: str, before: int, requests: int) -> None:
    """Once the origin has answered ``requests`` more requests than ``before`` (within a minute)."""
    deadline = time.monotonic() + 60
    while requests_so_far(base) - before < requests and time.monotonic() < deadline:
        time.sleep(0.02)


def ended(processes: list[subprocess.Popen[str]], timeout: float = 30) -> list[tuple[int | None, str]]:
    """Each worker's exit code and log, once it has exited by itself (None: it had to be killed)."""
    result = []
    for process in processes:
        try:
            _, log = process.communicate(timeout=timeout)
            result.append((process.returncode, log))
        except subprocess.TimeoutExpired:
            process.kill()
            result.append((None, process.communicate()[1]))
    return result


def requests_so_far(base: str) -> int:
    """How many requests the origin at ``base`` has answered."""
    return sum(origin_stats(base)["requests"].values())


def crawl_state(url: str, crawl: str) -> dict[bytes, bytes]:
    """The crawl's state hash as Redis holds it."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return client.hgetall(f"{crawl}:state")
    finally:
        client.close()
