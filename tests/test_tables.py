"""The analysis exports (`colophon export --format csv|parquet|sqlite`): one row per work, read back by
pandas, pyarrow and sqlite3 with the columns and types output.tables declares, whatever the data;
dates bounded by the edtf library, so that sorting by `date_start` is the chronological order."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from output.tables import COLUMNS, edtf_bounds, rows
from tests import synthetic
from tests.support import origin, read_jsonl, run_colophon

pa = pytest.importorskip("pyarrow", reason="pyarrow is a dependency of the parquet export (pyproject: test)")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas", reason="pandas reads the tables back (pyproject: test)")

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--progress-every", "0")

# EDTF values in chronological order of their first day, with that day and the last, worked out by
# hand: a decade 194X; seasons 21-24 (spring, summer, autumn, winter) as the edtf library bounds them,
# March-May, June-August, September-November, and winter the December of its year (EDTF gives seasons
# no months; the library's documented choice keeps a season inside its year).
CHRONOLOGY = [
    ("1848", "1848-01-01", "1848-12-31"),
    ("1871-03", "1871-03-01", "1871-03-31"),
    ("1871-03-18", "1871-03-18", "1871-03-18"),
    ("1903-07-30", "1903-07-30", "1903-07-30"),
    ("1917-21", "1917-03-01", "1917-05-31"),
    ("1917-23", "1917-09-01", "1917-11-30"),
    ("1917-10/1918-03", "1917-10-01", "1918-03-31"),
    ("194X", "1940-01-01", "1949-12-31"),
    ("1954-24", "1954-12-01", "1954-12-31"),
]


def _work(n: int, value: str, on_source: bool) -> dict[str, Any]:
    date = {"raw": value, "value": value, "precision": "range" if "/" in value else "year"}
    return {"id": f"archive/x/{n}.htm", "url": f"https://www.marxists.org/archive/x/{n}.htm", "kind": "work",
            "title": f"Work {n}", "author": {"name": "Ann Example"},
            "citation": {"raw": "Paper", "container_title": "Paper", "date": date} if on_source else None,
            "date": None if on_source else date, "credits": [], "word_count": 10, "text": "t"}


def test_every_date_is_bounded_and_sorting_by_its_start_is_chronological() -> None:
    for value, start, end in CHRONOLOGY:
        assert edtf_bounds(value) == (start, end), value
    names = [column.name for column in COLUMNS]
    shuffled = [CHRONOLOGY[i] for i in (5, 0, 8, 3, 6, 1, 7, 4, 2)]
    table = [dict(zip(names, row, strict=True)) for row in rows(
        _work(n, value, on_source=n % 2 == 0) for n, (value, _, _) in enumerate(shuffled))]
    assert all(row["date_start"] <= row["date_end"] for row in table)
    assert [row["date"] for row in sorted(table, key=lambda row: row["date_start"])] == [v for v, _, _ in CHRONOLOGY]
    assert [row["year"] for row in sorted(table, key=lambda row: row["date_start"])] == [
        1848, 1871, 1871, 1903, 1917, 1917, 1917, 1940, 1954]
    assert edtf_bounds(None) == (None, None) and edtf_bounds("not a date") == (None, None)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("tables")
    site = synthetic.build(folder / "site", authors=2, works=5)
    out = folder / "out"
    with origin(site) as base:
        result = run_colophon("crawl", base, "--out", str(out), *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    files = {}
    for format_name in ("csv", "parquet", "sqlite"):
        files[format_name] = folder / f"works.{format_name}"
        made = run_colophon("export", str(out), "--format", format_name, "--out", str(files[format_name]))
        assert made.returncode == 0, made.stderr
    last = json.loads((out / "datapackage.json").read_text())["runs"][-1]["id"]
    files["empty"] = folder / "nothing.parquet"  # what changed since the last run: nothing
    made = run_colophon("export", str(out), "--format", "parquet", "--since", last, "--out", str(files["empty"]))
    assert made.returncode == 0, made.stderr
    yield {"works": read_jsonl(out / "works.jsonl"), "out": out, **files}


ARROW = {"string": "string", "integer": "int64", "date": "date32[day]", "boolean": "bool"}
SQLITE = {"string": "TEXT", "integer": "INTEGER", "date": "TEXT", "boolean": "INTEGER"}


def test_parquet_has_the_declared_columns_and_types_whatever_the_data(exported: dict[str, Any]) -> None:
    declared = [(c.name, ARROW[c.type]) for c in COLUMNS]
    table = pq.read_table(exported["parquet"])
    assert [(f.name, str(f.type)) for f in table.schema] == declared
    assert table.num_rows == len(exported["works"])
    assert [(f.name, str(f.type)) for f in pq.read_table(exported["empty"]).schema] == declared  # no rows at all
    frame = table.to_pandas()
    empty = [name for name in frame.columns if frame[name].isna().all()]
    assert empty  # columns this archive leaves empty keep the type they have everywhere (above)
    assert set(frame["id"]) == {w["id"] for w in exported["works"]}
    ranged = frame.dropna(subset=["date_start"])
    assert len(ranged) > 0 and (ranged["date_start"] <= ranged["date_end"]).all()
    by_id = frame.set_index("id")
    for work in exported["works"]:
        assert by_id.loc[work["id"], "title"] == work["title"]
        assert by_id.loc[work["id"], "word_count"] == work["word_count"]


def test_sqlite_has_the_declared_columns_and_types_and_the_credits(exported: dict[str, Any]) -> None:
    db = sqlite3.connect(exported["sqlite"])
    declared = [(row[1], row[2]) for row in db.execute("PRAGMA table_info(works)")]
    assert declared == [(c.name, SQLITE[c.type]) for c in COLUMNS]
    assert db.execute("SELECT count(*) FROM works").fetchone()[0] == len(exported["works"])
    credits = sorted((w["id"], c["role"], c["name"]) for w in exported["works"] for c in w["credits"])
    assert credits and sorted(db.execute("SELECT work, role, name FROM credits")) == credits
    years = [row[0] for row in db.execute("SELECT year FROM works WHERE year IS NOT NULL ORDER BY date_start")]
    assert years == sorted(years) and all(isinstance(year, int) for year in years)
    assert db.execute("SELECT count(*) FROM columns").fetchone()[0] == len(COLUMNS)
    frame = pd.read_sql("SELECT * FROM works", db)
    assert list(frame.columns) == [c.name for c in COLUMNS]
    db.close()


def test_csv_has_the_declared_header_and_the_same_rows(exported: dict[str, Any]) -> None:
    text = exported["csv"].read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == [c.name for c in COLUMNS]
    assert len(table) == len(exported["works"])
    types = {c.name: c.type for c in COLUMNS}
    frame = pd.read_csv(exported["csv"], dtype={n: "string" for n, t in types.items() if t in ("string", "date")},
                        keep_default_na=False, na_values=[""])
    assert frame["word_count"].dtype.kind == "i"
    by_id = {row["id"]: row for row in table}
    for work in exported["works"]:
        assert by_id[work["id"]]["url"] == work["url"]
        assert by_id[work["id"]]["text"] == work["text"]  # newlines and quotes survive the quoting


def test_a_binary_table_needs_a_file(exported: dict[str, Any]) -> None:
    result = run_colophon("export", str(exported["out"]), "--format", "parquet")
    assert result.returncode == 2 and "--out" in result.stderr and "Traceback" not in result.stderr


def test_dates_no_calendar_has_and_numbers_no_int64_holds_are_empty_cells() -> None:
    assert edtf_bounds("0500") == ("0500-01-01", "0500-12-31")  # a year before 1000, written as ISO writes it
    assert edtf_bounds("1947-02-29") == (None, None)  # no such day
    names = [column.name for column in COLUMNS]
    work = _work(1, "0500", on_source=False)
    work["citation"] = {"raw": "No. 9223372036854775808", "issue_number": 2**63, "volume_number": 7}
    row = dict(zip(names, next(rows([work])), strict=True))
    assert row["year"] == 500 and row["issue_number"] is None and row["volume_number"] == 7


def test_a_scrapy_run_records_its_settings_without_secrets() -> None:
    from crawler.run import _recorded

    assert _recorded("redis://:hunter2@redis.lan:6379/0") == "redis://:***@redis.lan:6379/0"
    import hashlib

    starts = ["http://a.example/", "http://b.example/"]
    assert _recorded(starts) == {"count": 2, "sha256": hashlib.sha256("\n".join(starts).encode()).hexdigest()}
    assert _recorded("0") == "0" and _recorded(3) == 3
