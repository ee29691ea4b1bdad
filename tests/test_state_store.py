"""The state store does only what it must: units of a crawl commit in batches (each batch one real
transaction, never half a unit), a page not due is seen without its row being written, links and
record bodies live apart from page metadata, and a store made by an earlier version is migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest

from models import Reject
from output import state as state_module
from output.jsonl import dumps
from output.state import Policy, StateStore


def _store(state: StateStore, run: str, n: int, links: list[str] | None = None) -> None:
    reject = Reject(url=f"https://www.marxists.org/p{n}.htm", stage="extract", code="not_html", message="m",
                    fetched_at="2026-01-01T00:00:00+00:00")
    state.store(run, f"p{n}.htm", reject.url, dumps(reject), reject.model_dump(mode="json"), "rejects.jsonl",
                links or [], {"fetched_at": reject.fetched_at}, Policy(minimum=3600, maximum=7200), 0.0, f"p{n}.htm")


def _committed(folder: Path, sql: str) -> int:
    """What another connection sees: only committed data."""
    other = sqlite3.connect(folder / "state.sqlite")
    try:
        return int(other.execute(sql).fetchone()[0])
    finally:
        other.close()


def test_units_commit_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "BATCH_UNITS", 3)
    monkeypatch.setattr(state_module, "BATCH_SECONDS", 3600.0)
    state = StateStore.open(tmp_path)
    state.begin_run("r", "2026-01-01T00:00:00+00:00", {})
    state.batching = True
    state.seen("r", "p9.htm")  # unit 1 (a page without a row: nothing to mark)
    _store(state, "r", 0)  # unit 2
    assert _committed(tmp_path, "SELECT count(*) FROM pages") == 0
    _store(state, "r", 1)  # unit 3: the batch commits
    assert _committed(tmp_path, "SELECT count(*) FROM pages") == 2
    assert _committed(tmp_path, "SELECT count(*) FROM visits WHERE seen_run = 'r'") == 2
    _store(state, "r", 2)
    state.close()  # a run stopped on purpose keeps what it did
    assert _committed(tmp_path, "SELECT count(*) FROM pages") == 3


def test_a_failing_unit_rolls_back_its_whole_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "BATCH_UNITS", 100)
    state = StateStore.open(tmp_path)
    state.begin_run("r", "2026-01-01T00:00:00+00:00", {})
    state.batching = True
    _store(state, "r", 0)

    def broken(point: str) -> None:
        if point == "store.written":
            raise OSError("disk full")

    monkeypatch.setattr(state_module.faults, "point", broken)
    with pytest.raises(OSError):
        _store(state, "r", 1)
    state.close()
    # Neither the page whose unit failed nor the ones before it in the batch: all to visit again.
    assert _committed(tmp_path, "SELECT count(*) FROM pages") == 0


def test_a_page_not_due_is_seen_without_writing_its_row(tmp_path: Path) -> None:
    state = StateStore.open(tmp_path)
    state.begin_run("r1", "2026-01-01T00:00:00+00:00", {})
    _store(state, "r1", 0, links=["p1.htm"])
    state.begin_run("r2", "2026-01-02T00:00:00+00:00", {})
    assert state.plan("p0.htm", Policy(minimum=3600, maximum=7200), 10.0, "r2") == (["p1.htm"], False)  # not due
    before = state.db.execute("SELECT * FROM pages").fetchall()
    changes = state.db.total_changes
    state.replayed("r2", "p0.htm")
    assert state.db.execute("SELECT * FROM pages").fetchall() == before and state.db.total_changes == changes
    assert state.to_remove("r2") == []  # reached: replayed
    state.begin_run("r3", "2026-01-03T00:00:00+00:00", {})
    assert [row[0] for row in state.to_remove("r3")] == ["p0.htm"]  # not reached by r3
    state.close()


def test_links_are_written_only_when_they_change(tmp_path: Path) -> None:
    state = StateStore.open(tmp_path)
    state.begin_run("r", "2026-01-01T00:00:00+00:00", {})
    _store(state, "r", 0, links=["a.htm"])
    changes = state.db.total_changes
    state.db.execute("INSERT INTO links (id, links) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
                     "links = excluded.links WHERE links.links IS NOT excluded.links", ("p0.htm", b'["a.htm"]'))
    assert state.db.total_changes == changes  # the same links: no row written
    _store(state, "r", 0, links=["b.htm"])
    assert orjson.loads(state.db.execute("SELECT links FROM links WHERE id = 'p0.htm'").fetchone()[0]) == ["b.htm"]
    state.close()


def test_a_store_of_the_earlier_layout_is_migrated(tmp_path: Path) -> None:
    """Records and links in the page rows, a frontier that kept URLs: moved apart, nothing lost."""
    db = sqlite3.connect(tmp_path / "state.sqlite")
    db.executescript("""
        CREATE TABLE pages (id TEXT PRIMARY KEY, url TEXT NOT NULL, file TEXT, kind TEXT, status TEXT NOT NULL,
            etag TEXT, last_modified TEXT, content_sha256 TEXT, record_sha256 TEXT, published_sha256 TEXT,
            record BLOB, links BLOB, next_url TEXT, first_seen TEXT, last_seen TEXT, last_changed TEXT,
            seen_run TEXT, gone_run TEXT, removed_run TEXT, removed_at TEXT, interval REAL NOT NULL DEFAULT 0,
            due_at REAL NOT NULL DEFAULT 0, unchanged_runs INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE frontier (run TEXT NOT NULL, id TEXT NOT NULL, url TEXT NOT NULL, leaf INTEGER NOT NULL,
            done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run, id));
        CREATE TABLE runs (run TEXT PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
            options BLOB, report BLOB);
        INSERT INTO pages (id, url, file, kind, status, record_sha256, record, links, due_at, interval)
            VALUES ('p0.htm', 'https://www.marxists.org/p0.htm', 'works.jsonl', 'work', 'live', 'h',
                    CAST('{"id":"p0.htm"}' AS BLOB), CAST('["p1.htm"]' AS BLOB), 1e12, 3600);
        INSERT INTO frontier VALUES ('r', 'p1.htm', 'https://www.marxists.org/p1.htm', 1, 0);
        INSERT INTO runs VALUES ('r', '2026-01-01T00:00:00+00:00', NULL, 'running', NULL, NULL);
    """)
    db.close()
    state = StateStore.open(tmp_path, guard=False)
    assert state.bodies(["p0.htm"]) == {"p0.htm": b'{"id":"p0.htm"}'}
    assert state.page("p0.htm")["links"] == b'["p1.htm"]'  # type: ignore[index]
    assert state.plan("p0.htm", Policy(), 0.0, "r") == (["p1.htm"], False)
    assert state.positions()[0].size == len(b'{"id":"p0.htm"}')
    columns = {row[1] for row in state.db.execute("PRAGMA table_info(pages)")}
    assert "record" not in columns and "links" not in columns and "published_file" in columns
    assert "seen_run" not in columns and state.db.execute("SELECT interval, due_at FROM visits").fetchall() == [
        (3600.0, 1e12)]  # each visit's columns moved to their own table
    assert state.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'frontier'").fetchone() is None
    state.close()
    again = StateStore.open(tmp_path, guard=False)  # a migrated store opens as it is
    again.close()


def test_the_revisit_plan_and_the_validators(tmp_path: Path) -> None:
    """Due, an index, or links unknown: fetched; removed or never found: asked without validators."""
    state = StateStore.open(tmp_path)
    state.begin_run("r1", "2026-01-01T00:00:00+00:00", {})
    _store(state, "r1", 0, links=["p1.htm"])
    state.db.execute("UPDATE pages SET etag = 'e0', last_modified = 'Mon, 01 Jan 2026 00:00:00 GMT'")
    policy = Policy(minimum=3600, maximum=7200)
    assert state.validators("p0.htm") == ("e0", "Mon, 01 Jan 2026 00:00:00 GMT")
    assert state.plan("p0.htm", policy, 10.0, "r2") == (["p1.htm"], False)
    assert state.plan("p0.htm", policy, 1e12, "r2") is None  # due
    assert state.plan("p0.htm", Policy(minimum=3600, maximum=7200, revalidate=True), 10.0, "r2") is None
    assert state.plan("new.htm", policy, 10.0, "r2") is None  # never seen
    # Visited by this run before it was interrupted: followed from the store, due or not, unless it
    # was gone (its 404 is asked again) or an index (what it lists is read from the page).
    assert state.plan("p0.htm", policy, 1e12, "r1") == (["p1.htm"], True)
    state.db.execute("UPDATE visits SET gone_run = 'r1'")
    assert state.plan("p0.htm", policy, 10.0, "r1") is None
    state.db.execute("UPDATE visits SET gone_run = NULL")
    state.db.execute("UPDATE pages SET kind = 'toc'")
    assert state.plan("p0.htm", policy, 10.0, "r2") is None  # a contents page is read every run
    assert state.plan("p0.htm", policy, 10.0, "r1") is None
    state.db.execute("UPDATE pages SET kind = 'work', status = 'removed'")
    assert state.plan("p0.htm", policy, 10.0, "r2") is None
    assert state.validators("p0.htm") is None  # asked unconditionally: it may have come back
    state.close()
