"""Session fixtures: the shared corpus unpacked once; corpus reports printed at the end of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import CORPUS_TAR, SKIP_REASON, unpack_corpus

REPORTS: list[str] = []


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    if not CORPUS_TAR.is_file():
        pytest.skip(SKIP_REASON)
    return unpack_corpus()


@pytest.fixture(scope="session")
def report() -> list[str]:
    return REPORTS


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Whatever reads the shared corpus is a corpus gate (`make test-corpus`), marked or not."""
    for item in items:
        if "corpus_root" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.corpus)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for text in REPORTS:
        terminalreporter.write_line(text)
