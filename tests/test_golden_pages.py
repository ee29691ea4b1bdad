"""Golden fixture pages, one per format variant: one assertion per field so a failure names it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crawler.extract import Catalogue, harvest

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "pages"
CATALOGUE = Catalogue.from_json((FIXTURES / "authors.json").read_bytes())
BASE = "https://www.marxists.org/"


def _cases() -> list[tuple[str, str, Any]]:
    cases = []
    for folder in sorted(PAGES.iterdir()):
        expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
        for field, value in expected.items():
            if not field.startswith("_"):
                cases.append((folder.name, field, value))
    return cases


_RECORDS: dict[str, dict[str, Any]] = {}


def _record(case: str) -> dict[str, Any]:
    if case not in _RECORDS:
        expected = json.loads((PAGES / case / "expected.json").read_text(encoding="utf-8"))
        path = expected["_path"]
        body = (PAGES / case / "page.html").read_bytes()
        _RECORDS[case] = harvest(body, BASE + path, path, CATALOGUE).model_dump(mode="json")
    return _RECORDS[case]


def _get(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if value is None:
            return None
        value = value[part]
    return value


@pytest.mark.parametrize(("case", "field", "expected"), _cases(),
                         ids=[f"{c}-{f}" for c, f, _ in _cases()])
def test_field(case: str, field: str, expected: Any) -> None:
    record = _record(case)
    assert "code" not in record, f"{case} was rejected: {record}"
    assert _get(record, field) == expected
