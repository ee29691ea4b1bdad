"""The dataset on disk: atomic publication, JSON Lines writing, and `validate` catching damage."""

from __future__ import annotations

import io
import json
from pathlib import Path

import orjson
import pytest

from models import Reject
from output.atomic import atomic_file
from output.jsonl import JsonLinesWriter, dumps, with_record
from output.publish import publish
from output.state import Policy, StateStore
from output.validate import validate_dataset


def _reject(n: int) -> Reject:
    return Reject(url=f"https://www.marxists.org/x{n}.htm", stage="extract", code="not_html",
                  message="m", fetched_at="2026-01-01T00:00:00+00:00")


def test_atomic_file_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "works.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half a")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old\n"
    assert list(tmp_path.iterdir()) == [target]  # no temporary left behind
    with atomic_file(target) as handle:
        handle.write(b"new\n")
    assert target.read_bytes() == b"new\n"


def test_writer_counts_hashes_and_refuses_torn_lines() -> None:
    buffer = io.BytesIO()
    writer = JsonLinesWriter(buffer)
    writer.write(_reject(1))
    writer.write({"a": "line\nbreak inside a string is escaped"})
    assert writer.records == 2
    assert buffer.getvalue().count(b"\n") == 2
    with pytest.raises(ValueError):
        writer.write_line(b'{"a": 1}\n{"b": 2}\n')
    with pytest.raises(ValueError):
        writer.write_line(b'{"a": 1}')


def test_a_line_with_a_record_is_the_line_its_fields_would_dump_to() -> None:
    record = {"title": "Ein \u00dcberblick \u2014 \"quoted\"\n", "n": [1, 2.5, None], "nested": {"x": True}}
    line = dumps(record)
    fields = {"op": "added", "id": "archive/x.htm", "at": "2026-01-01T00:00:00+00:00"}
    spliced = with_record(fields, line)
    assert spliced == dumps({**fields, "record": record})
    assert orjson.loads(spliced) == {**fields, "record": record}
    with pytest.raises(ValueError):
        with_record({}, line)


def _dataset(folder: Path, records: int = 3) -> Path:
    """A dataset published the way a crawl publishes one: state store, then publish()."""
    state = StateStore.open(folder)
    state.begin_run("run-1", "2026-01-01T00:00:00+00:00", {})
    for n in range(records):
        reject = _reject(n)
        data = reject.model_dump(mode="json")
        state.store("run-1", f"x{n}.htm", reject.url, dumps(reject), data, "rejects.jsonl", [],
                    {"fetched_at": reject.fetched_at}, Policy(), 0.0, f"x{n}.htm")
    publish(state, "run-1", complete=True, report={})
    state.close()
    return folder


def test_validate_accepts_a_sound_dataset(tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "d")
    assert validate_dataset(folder) == []
    package = json.loads((folder / "datapackage.json").read_text())
    rejects = next(r for r in package["resources"] if r["name"] == "rejects")
    assert rejects["path"] == ["rejects/0000.jsonl"] and rejects["records"] == 3
    assert rejects["parts"][0]["records"] == 3 and rejects["parts"][0]["hash"].startswith("sha256:")
    assert package["runs"][-1]["id"] == "run-1" and package["schema_version"]
    assert (folder / "schemas/works.schema.json").is_file()


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda p: p.write_bytes(p.read_bytes()[:-5]), "not \\n-terminated"),
    (lambda p: p.write_bytes(p.read_bytes() + b"\n"), "blank line"),
    (lambda p: p.write_bytes(p.read_bytes().replace(b'"not_html"', b'"Not HTML"')), "string_pattern_mismatch"),
    (lambda p: p.write_bytes(p.read_bytes() + p.read_bytes().splitlines(keepends=True)[0]), "4 records"),
    (lambda p: p.resolve().unlink(), "listed in datapackage.json but missing"),
    (lambda p: p.parent.parent.joinpath("rejects").unlink(), "not the link snapshot/rejects"),
], ids=["torn", "blank", "invalid", "count", "missing", "name-unlinked"])
def test_validate_reports_damage(tmp_path: Path, damage, expected: str) -> None:  # type: ignore[no-untyped-def]
    folder = _dataset(tmp_path / "d")
    damage(folder / "rejects" / "0000.jsonl")
    problems = validate_dataset(folder)
    assert any(expected in problem for problem in problems), problems


def test_validate_reports_hash_mismatch(tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "d")
    path = folder / "rejects" / "0000.jsonl"
    path.write_bytes(path.read_bytes().replace(b"x1.htm", b"x9.htm"))
    assert any("sha256" in p for p in validate_dataset(folder))


def test_validate_lists_every_error_of_a_line(tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "d", records=1)
    path = folder / "rejects" / "0000.jsonl"
    record = json.loads(path.read_text())
    record.update(code="Not A Code", stage="elsewhere")  # two fields wrong in one line
    del record["message"]                                # and one missing
    path.write_text(json.dumps(record) + "\n")
    problems = [p for p in validate_dataset(folder) if p.startswith("rejects/0000.jsonl:1:")]
    assert sorted(problem.split(" at ")[1].split(":")[0] for problem in problems) == ["code", "message", "stage"]
