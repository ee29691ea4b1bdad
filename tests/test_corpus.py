"""Conformance over every page of the shared sample corpus, and the accuracy gate over gold."""

from __future__ import annotations

import collections
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from crawler.extract import Catalogue, harvest
from models import Index, OtherPage, Reject, Work
from tests.support import GOLD, GOLD_FIELDS, corpus_pages, expected, gold_records, project, scored_fields

BASE = "https://www.marxists.org/"
FLOORS = json.loads((Path(__file__).parent / "accuracy_floors.json").read_text())
# The gold file the floors were measured on: a changed gold is a conscious step (re-measure, re-pin).
GOLD_SHA256 = (Path(__file__).parent / "accuracy_gold.sha256").read_text().strip()
MODELS = {"work": Work, "toc": Work, "author_index": Index, "section_index": Index, "other": OtherPage}

pytestmark = pytest.mark.corpus


def test_every_page_becomes_a_valid_line(corpus_root: Path, report: list[str]) -> None:
    catalogue = Catalogue.from_root(corpus_root)
    kinds: collections.Counter[str] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    pages = corpus_pages(corpus_root)
    assert len(pages) >= 5000
    for path in pages:
        page_id = path.relative_to(corpus_root).as_posix()
        record = harvest(path.read_bytes(), BASE + page_id, page_id, catalogue)  # must not raise
        line = record.model_dump_json()
        if isinstance(record, Reject):
            Reject.model_validate_json(line)
            codes[f"{record.stage}/{record.code}"] += 1
            continue
        MODELS[record.kind].model_validate_json(line)  # the written line is valid on its own
        kinds[record.kind] += 1
    rows = [f"  {kind:<16} {count:>6}" for kind, count in kinds.most_common()]
    rows += [f"  reject {code:<20} {count:>6}" for code, count in codes.most_common()] or ["  (no rejects)"]
    report.append(f"\nConformance over {len(pages)} corpus pages:\n" + "\n".join(rows))
    assert sum(kinds.values()) + sum(codes.values()) == len(pages)
    # Pinned: a change that turns works into `other` (or contents pages into works) is a conscious step.
    pinned = json.loads((Path(__file__).parent / "corpus_kinds.json").read_text())
    assert {**dict(kinds), **{f"reject {c}": n for c, n in codes.items()}} == pinned["counts"], \
        "the kinds of the corpus pages changed: check the changed pages, then re-pin tests/corpus_kinds.json"


def _as_gold(record: Any) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    if isinstance(record, OtherPage):
        return {**{name: None for name in GOLD_FIELDS}, "kind": "other", "title": data["title"],
                "language": data["language"]}
    return project(data)


def test_accuracy_gate(corpus_root: Path, report: list[str]) -> None:
    if not GOLD.is_file():
        pytest.skip(f"no gold labels at {GOLD}")
    digest = hashlib.sha256(GOLD.read_bytes()).hexdigest()
    assert digest == GOLD_SHA256, (f"{GOLD} changed (sha256 {digest}); re-measure the accuracy, re-pin "
                                   "tests/accuracy_floors.json and tests/accuracy_gold.sha256 together")
    catalogue = Catalogue.from_root(corpus_root)
    hits: collections.Counter[str] = collections.Counter()
    totals: collections.Counter[str] = collections.Counter()
    misses: list[str] = []
    for gold in gold_records():
        page_id = gold["id"]
        record = harvest((corpus_root / page_id).read_bytes(), BASE + page_id, page_id, catalogue)
        assert not isinstance(record, Reject), f"{page_id} rejected: {record.code}"
        got, want = _as_gold(record), expected(gold)
        for name in scored_fields(gold):
            totals[name] += 1
            if got[name] == want[name]:
                hits[name] += 1
            else:
                misses.append(f"  {page_id} {name}: want {want[name]!r}, got {got[name]!r}")
    accuracy = {name: hits[name] / totals[name] for name in GOLD_FIELDS if totals[name]}
    table = "\n".join(f"  {name:<26} {hits[name]:>3}/{totals[name]:<3} {accuracy[name]:6.1%}"
                      f"  (floor {FLOORS[name]:.1%})" for name in accuracy)
    report.append(f"\nAccuracy over {len(gold_records())} gold pages:\n{table}")
    report.append(f"\nRemaining misses ({len(misses)}):\n" + ("\n".join(misses) or "  (none)"))
    below = [name for name, value in accuracy.items() if value < FLOORS[name]]
    assert not below, "accuracy below the pinned floor for " + ", ".join(below) + "\n" + "\n".join(misses)
