"""Shared fixtures: the shared corpus unpacked once; corpus reports printed at the end of a run; a
Redis server and a crawled site for each module of the distributed crawl's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import synthetic
from tests.redis_crawls import FAST
from tests.support import (
    CORPUS_TAR,
    SKIP_REASON,
    free_port,
    origin,
    published,
    run_colophon,
    start_redis,
    unpack_corpus,
)

REPORTS: list[str] = []


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    if not CORPUS_TAR.is_file():
        pytest.skip(SKIP_REASON)
    return unpack_corpus()


@pytest.fixture(scope="session")
def report() -> list[str]:
    return REPORTS


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of the module's own, on a free loopback port."""
    port = free_port()
    process = start_redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def crawled_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A site of some 100 pages served for the module, and what a single process publishes of it
    (what a distributed crawl of it must publish)."""
    folder = tmp_path_factory.mktemp("distributed")
    root = synthetic.build(folder / "site", authors=2, works=40)
    with origin(root) as base:
        single = folder / "single"
        result = run_colophon("crawl", base, "--out", str(single), *FAST, "--delay", "0")
        assert result.returncode == 0, result.stdout + result.stderr
        yield {"base": base, "root": root, "published": published(single), "single": single}


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Whatever reads the shared corpus is a corpus gate (`make test-corpus`), marked or not. The
    modules marked `long` come first, in their order: a parallel run that keeps the collection's
    order (`make test`: `--dist loadfile --no-loadscope-reorder`) gives them out first and fills the
    rest of its time with the short ones, instead of ending on one long module while the other
    workers wait."""
    for item in items:
        if "corpus_root" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # (a stable sort)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for text in REPORTS:
        terminalreporter.write_line(text)
