"""The Redis a distributed crawl is given, checked before anything starts: a URL that is no Redis
URL, a Redis that refuses it (a wrong password, a database it does not have, a read-only replica),
or a Redis that does not answer stops a coordinator and a worker at once, with a one-line message
that names the URL without its password."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import REDIS_SERVER, free_port, run_colophon, start_redis

pytestmark = [pytest.mark.long,
              pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)")]


def _coordinator_and_worker(url: str, tmp_path: Path) -> list[subprocess.CompletedProcess[str]]:
    """A coordinator's and a worker's start with ``--redis URL``, side by side (each may wait out
    its connection timeout)."""
    commands = (["crawl", "--sample", "--out", str(tmp_path / "out"), "--redis", url], ["worker", "--redis", url])
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda command: run_colophon(*command, timeout=60), commands))


@pytest.mark.parametrize(("url", "code", "message"), [
    ("mongodb://127.0.0.1/", 2, "--redis"),
    ("redis://127.0.0.1:9/0", 69, "does not answer"),
])
def test_a_bad_url_or_a_redis_that_does_not_answer_stops_at_once(url: str, code: int, message: str,
                                                                 tmp_path: Path) -> None:
    started = time.monotonic()
    for result in _coordinator_and_worker(url, tmp_path):
        assert result.returncode == code, result.stdout + result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 15


@pytest.fixture(scope="module")
def guarded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    """A Redis that asks for a password (s3cret) and has 16 databases, and a read-only replica."""
    port, replica_port = free_port(), free_port()
    process = start_redis(tmp_path_factory.mktemp("guarded"), port, "--requirepass", "s3cret")
    replica = start_redis(tmp_path_factory.mktemp("replica"), replica_port, "--replicaof", "127.0.0.1", "9")
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
    for result in _coordinator_and_worker(url, tmp_path):
        assert result.returncode == code, result.stdout + result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert "s3cret" not in result.stderr + result.stdout and "wrong" not in result.stderr
