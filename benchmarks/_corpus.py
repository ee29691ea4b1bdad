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


def page_paths(root: Path) -> list[str]:
    """The corpus's pages, as paths under its root."""
    return [p.relative_to(root).as_posix() for p in corpus_pages(root)]


def write_start_list(path: Path, base: str, pages: list[str]) -> Path:
    """A --start-list file naming every page under ``base``: each is fetched once, as a start."""
    path.write_text("\n".join(base + page for page in pages) + "\n")
    return path


__all__ = ["ROOT", "corpus", "corpus_pages", "page_paths", "write_start_list"]
