"""Benchmarks' access to the shared sample corpus (unpacked once into a temporary folder)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import CORPUS_TAR, corpus_pages, unpack_corpus


def corpus() -> Path:
    if not CORPUS_TAR.is_file():
        sys.exit(f"benchmark needs the shared corpus at {CORPUS_TAR}")
    return unpack_corpus()


__all__ = ["ROOT", "corpus", "corpus_pages"]
