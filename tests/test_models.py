"""The models refuse bad values with stable error codes."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from models import Citation, Credit, DateValue, Licence, Reject, Work, record_schemas

PROVENANCE = {"fetched_at": "2026-01-01T00:00:00+00:00", "encoding": "utf-8",
              "content_sha256": "0" * 64, "extractor_version": "1"}
WORK: dict[str, Any] = {
    "id": "archive/x/1946/06/a.html", "url": "https://www.marxists.org/archive/x/1946/06/a.html",
    "kind": "work", "language": "en", "title": "A", "author": {"name": "X"}, "text": "t",
    "word_count": 1, "provenance": PROVENANCE,
}


def _code(model: Any, data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value.errors()[0]["type"])


@pytest.mark.parametrize("value", ["1946", "1946-06", "1946-06-01", "1959-24", "192X",
                                   "1946-05/1946-07", "1972/1975"])
def test_edtf_accepts(value: str) -> None:
    assert DateValue(raw="x", value=value, precision="year").value == value


@pytest.mark.parametrize("value", ["46", "1946-13", "1946-06-32", "1959-25", "19XX", "June 1946",
                                   "1946-24-01", "1946/"])
def test_edtf_rejects_with_code(value: str) -> None:
    assert _code(DateValue, {"raw": "x", "value": value, "precision": "year"}) == "edtf_invalid"


@pytest.mark.parametrize(("model", "data", "code"), [
    (DateValue, {"raw": "x", "value": None, "precision": "fortnight"}, "literal_error"),
    (DateValue, {"raw": "x", "value": None, "precision": "day"}, "precision_without_value"),
    (Credit, {"role": "typing", "name": "A"}, "literal_error"),
    (Credit, {"role": "markup", "name": "  "}, "blank"),
    (Licence, {"status": "free"}, "literal_error"),
    (Licence, {"status": "copyleft", "url": "by-sa.htm"}, "url_invalid"),
    (Citation, {"raw": "x", "volume_number": -1}, "greater_than_equal"),
    (Work, {**WORK, "language": "eng"}, "language_invalid"),
    (Work, {**WORK, "id": "/archive/x.html"}, "id_invalid"),
    (Work, {**WORK, "kind": "article"}, "literal_error"),
    (Work, {**WORK, "word_count": -3}, "greater_than_equal"),
    (Work, {**WORK, "surprise": 1}, "extra_forbidden"),
    (Work, {**WORK, "provenance": {**PROVENANCE, "content_sha256": "abc"}}, "sha256_invalid"),
    (Reject, {"url": "u", "stage": "extract", "code": "Bad Code", "message": "m", "fetched_at": "t"},
     "string_pattern_mismatch"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_stable_codes(model: Any, data: dict[str, Any], code: str) -> None:
    assert _code(model, data) == code


def test_valid_work_round_trips() -> None:
    work = Work.model_validate(WORK)
    assert Work.model_validate_json(work.model_dump_json()) == work


def test_schemas_cover_every_record() -> None:
    schemas = record_schemas()
    assert set(schemas) == {"works", "indexes", "rejects", "other", "tombstones", "changes"}
    assert "citation" in schemas["works"]["properties"]
    assert schemas["works"]["additionalProperties"] is False
