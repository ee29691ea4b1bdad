"""A record is built in one place: `colophon extract` over a folder gives each page the record a crawl
of that folder gives it (provenance apart) — chapters with what they inherit from their book's
contents page, series parts linked back to the part before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crawler.cli.crawl import SAMPLE
from tests.support import read_jsonl, run_colophon


def _without_provenance(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("provenance", "fetched_at")}


def test_extract_of_a_folder_equals_its_crawl(tmp_path: Path) -> None:
    out = tmp_path / "out"
    crawl = run_colophon("crawl", str(SAMPLE), "--out", str(out), "--scope", "site", "--delay", "0",
                         "--log-level", "ERROR")
    assert crawl.returncode in (0, 1), crawl.stdout + crawl.stderr
    crawled = {r["id"]: r for name in ("works", "indexes", "other") for r in read_jsonl(out / f"{name}.jsonl")}
    base = SAMPLE.resolve().as_uri() + "/"
    extract = run_colophon("extract", str(SAMPLE), "--root", str(SAMPLE), "--base-url", base)
    assert extract.returncode == 0, extract.stderr
    extracted = {r["id"]: r for r in map(json.loads, extract.stdout.splitlines()) if r.get("id")}
    assert set(crawled) <= set(extracted)
    differing = [page_id for page_id, record in crawled.items()
                 if _without_provenance(record) != _without_provenance(extracted[page_id])]
    assert not differing, differing
    # The comparison covers what a crawl adds from other pages.
    chapters = [r for r in crawled.values() if r.get("part_of")]
    backlinks = [r for r in crawled.values() if (r.get("series") or {}).get("previous_url")]
    assert chapters and backlinks
    assert all(extracted[r["id"]]["part_of"] == r["part_of"] for r in chapters)
