"""The dataset's memory between runs: an SQLite store of every page and the runs.

One row per page id (the same page from a mirror, a local copy or another port is one row): its
validators (ETag, Last-Modified), content and record hashes, the pages it links to as ids (replayed
when the page answers 304 or is not due), first/last seen, its revisit interval, its status (`live`,
`missing`, `removed`), and where and as what it was last published. The record itself is kept apart
(`bodies`), so that reading every page's metadata never reads the records.  A page row says which
run last saw it (`seen_run`), so a run killed at any moment resumes where it stopped: it walks again
from its starts and follows what it had visited from here.  The published files are
regenerated from this store; it is the source of truth.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import sqlite3
import stat
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from output import faults
from output.snapshot import has_dataset
from output.warc import Capture, Sealed

STATE_FILE = "state.sqlite"
LOCK_FILE = ".colophon.lock"
INDEX_KINDS = ("author_index", "section_index", "toc")

# What a run has visited is durable in the page rows it writes (`seen_run`, with the page's links):
# a run killed half way is resumed by walking again from its starts, every page it had visited
# followed from the store instead of fetched. What it visited without a request (not due) is
# derived again by that walk, so it is never written.
SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    file TEXT,
    kind TEXT,
    status TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    content_sha256 TEXT,
    record_sha256 TEXT,
    published_sha256 TEXT,
    published_file TEXT,
    published_basis TEXT,
    size INTEGER,
    next_url TEXT,
    first_seen TEXT,
    last_changed TEXT,
    removed_run TEXT,
    removed_at TEXT,
    extractor TEXT
);
CREATE INDEX IF NOT EXISTS pages_status ON pages(status, file, id);
-- What every visit of a page rewrites, in narrow rows apart from the page's metadata: a refresh
-- that asks every page (304s) rewrites this table, not the pages.
CREATE TABLE IF NOT EXISTS visits (
    id TEXT PRIMARY KEY,
    seen_run TEXT,
    gone_run TEXT,
    last_seen TEXT,
    interval REAL NOT NULL DEFAULT 0,
    due_at REAL NOT NULL DEFAULT 0,
    unchanged_runs INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bodies (
    id TEXT PRIMARY KEY,
    record BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    id TEXT PRIMARY KEY,
    links BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS memo (
    key TEXT PRIMARY KEY,
    value BLOB,
    etag TEXT,
    last_modified TEXT
);
-- Where the last response for each URL is kept in the dataset's WARC files (output.warc).
CREATE TABLE IF NOT EXISTS captures (
    url TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    date TEXT NOT NULL,
    digest TEXT NOT NULL
) WITHOUT ROWID;
-- The sealed WARC files, hashed once when sealed (datapackage.json lists them).
CREATE TABLE IF NOT EXISTS warcs (
    name TEXT PRIMARY KEY,
    run TEXT,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    records INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    options BLOB,
    report BLOB
);
"""


_BATCH = 500  # ids per query when records are read by id
VISIT_COLUMNS = ("seen_run", "gone_run", "last_seen", "interval", "due_at", "unchanged_runs")
BATCH_UNITS = 10_000  # a crawl's units per transaction (a page not due is a cheap one) ...
BATCH_SECONDS = 2.0   # ... or the units of this long, whichever comes first


class Position(NamedTuple):
    """A page as a publication sees it: where it belongs now, and what was last published of it."""

    id: str
    url: str
    file: str | None
    kind: str | None
    status: str
    record_sha256: str | None
    size: int | None
    removed_run: str | None
    removed_at: str | None
    published_file: str | None
    published_sha256: str | None
    published_basis: str | None


class RunLocked(Exception):
    """Another live process holds the dataset folder."""


class StateStoreError(Exception):
    """The state store cannot be trusted: the run must not start (rebuild it, or restore it)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class StateMissing(StateStoreError):
    """A published dataset without the state store that produced it (deleted, emptied, replaced)."""


class StateCorrupt(StateStoreError):
    """A state store that is not a database, or is truncated or damaged."""


REBUILD_HINT = "run `colophon rebuild-state DIR` to rebuild it from the published dataset"


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a store made by an earlier version to this schema, in one transaction."""
    runs = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    pages = {row[1] for row in db.execute("PRAGMA table_info(pages)")}
    added = [column for column in ("published_file TEXT", "published_basis TEXT", "size INTEGER", "extractor TEXT")
             if column.split()[0] not in pages]
    frontier = bool(db.execute("SELECT 1 FROM sqlite_master WHERE name = 'frontier'").fetchone())
    if "published_seq" in runs and not added and "record" not in pages and "links" not in pages and not frontier \
            and "seen_run" not in pages:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if "published_seq" not in runs:  # stores made before publications were numbered
            db.execute("ALTER TABLE runs ADD COLUMN published_seq INTEGER")
        for column in added:
            db.execute(f"ALTER TABLE pages ADD COLUMN {column}")
        if "extractor TEXT" in added:  # the extractor each stored record names (a reject or other page: none)
            db.execute("UPDATE pages SET extractor = (SELECT json_extract(CAST(record AS TEXT), "
                       "'$.provenance.extractor_version') FROM bodies WHERE bodies.id = pages.id)")
        if "record" in pages:  # stores that kept each record in its page's row
            db.execute("INSERT OR REPLACE INTO bodies (id, record) SELECT id, record FROM pages "
                       "WHERE record IS NOT NULL")
            db.execute("UPDATE pages SET size = (SELECT length(record) FROM bodies WHERE bodies.id = pages.id)")
            db.execute("ALTER TABLE pages DROP COLUMN record")
        if "links" in pages:  # stores that kept each page's links in its row
            db.execute("INSERT OR REPLACE INTO links (id, links) SELECT id, links FROM pages WHERE links IS NOT NULL")
            db.execute("ALTER TABLE pages DROP COLUMN links")
        if frontier:  # stores that kept a run's frontier: the page rows say what a run visited
            db.execute("DROP TABLE frontier")
        if "seen_run" in pages:  # stores that kept each visit in the page's row
            db.execute("INSERT OR REPLACE INTO visits (id, seen_run, gone_run, last_seen, interval, due_at, "
                       "unchanged_runs) SELECT id, seen_run, gone_run, last_seen, interval, due_at, unchanged_runs "
                       "FROM pages")
            for column in VISIT_COLUMNS:
                db.execute(f"ALTER TABLE pages DROP COLUMN {column}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def check_state_file(folder: Path) -> None:
    """Refuse a state store that is missing beside a published dataset, or visibly damaged, before
    SQLite would silently start a fresh one over it."""
    path = folder / STATE_FILE
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        if has_dataset(folder):
            raise StateMissing(path, f"missing beside a published dataset; {REBUILD_HINT}") from None
        return
    if not stat.S_ISREG(path.stat().st_mode):
        raise StateCorrupt(path, f"not a regular file; {REBUILD_HINT}")
    if size == 0:
        if has_dataset(folder):
            raise StateMissing(path, f"empty beside a published dataset; {REBUILD_HINT}")
        return
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise StateCorrupt(path, f"not an SQLite database (damaged header); {REBUILD_HINT}")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if page_size < 512 or page_size & (page_size - 1):
        raise StateCorrupt(path, f"not an SQLite database (page size {page_size}); {REBUILD_HINT}")
    wal = folder / f"{STATE_FILE}-wal"
    pending_wal = wal.exists() and wal.stat().st_size > 0  # its frames complete the file: SQLite's to read
    if valid_for == change_counter and pages and size < pages * page_size and not pending_wal:
        raise StateCorrupt(path, f"truncated ({size} bytes of {pages * page_size}); {REBUILD_HINT}")


@dataclass(frozen=True)
class Policy:
    """Adaptive revisiting (after Nutch's AdaptiveFetchSchedule): an unchanged page's interval grows,
    a changed page's shrinks, within [minimum, maximum] seconds. Index and contents pages, where new
    works appear, are always revisited. `revalidate` makes every page due."""

    minimum: float = 3600.0
    maximum: float = 30 * 86400.0
    grow: float = 1.5
    shrink: float = 0.5
    revalidate: bool = False

    def next_interval(self, interval: float, changed: bool) -> float:
        if changed:
            return max(self.minimum, interval * self.shrink)
        return min(self.maximum, max(self.minimum, interval * self.grow if interval else self.minimum))


def new_run_id() -> str:
    """A run's id: the time it began, to the microsecond (UTC)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def record_hash(line: bytes | dict[str, Any]) -> str:
    """A record's content hash: its JSON without provenance, so timestamps alone are no change."""
    data = dict(orjson.loads(line) if isinstance(line, bytes) else line)
    data.pop("provenance", None)
    data.pop("fetched_at", None)
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


def lock_folder(folder: Path) -> Any:
    """Take the folder's exclusive lock (a kernel flock, released when its holder dies, so a killed run
    never holds the folder for ever). Raises RunLocked when another live process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held until release_folder()
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "unknown"
        lock.close()
        raise RunLocked(f"another colophon run (pid {holder}) is using {folder}; refusing to start") from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def release_folder(lock: Any) -> None:
    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    lock.close()


class StateStore:
    """The state of one dataset folder, held under an exclusive lock for the life of the process."""

    def __init__(self, folder: Path, connection: sqlite3.Connection, lock: Any, owns_lock: bool = True) -> None:
        self.folder = folder
        self.db = connection
        self._lock = lock
        self._owns_lock = owns_lock
        self.closed = False
        self._scheduled: set[str] = set()  # the pages this process has reached (navigation)
        self._replayed: set[str] = set()   # the pages a run visited from the store, not written
        self._replayed_run: str | None = None
        self.batching = False  # set by a crawl: its units commit in batches (unit())
        self._batch_units = 0
        self._batch_started = 0.0
        self.before_commit: list[Callable[[], None]] = []  # what must be durable before a commit (WARC bytes)

    @classmethod
    def open(cls, folder: Path, *, create: bool = True, guard: bool = True, held: Any = None) -> StateStore:
        """Lock the folder and open its store. Raises RunLocked, StateMissing or StateCorrupt; with
        `create=False`, a folder without a store is StateMissing whatever it holds. `guard=False`
        (only to rebuild a store) opens a new store beside a published dataset. `held`: a lock from
        lock_folder() that the caller keeps after the store is closed."""
        owned = held is None
        lock = held if held is not None else lock_folder(folder)
        try:
            if not create and not (folder / STATE_FILE).exists():
                raise StateMissing(folder / STATE_FILE, "no state store in this folder")
            if guard:
                check_state_file(folder)
            # isolation_level=None: the sqlite3 module opens no transaction of its own; every unit
            # that must be atomic says so with transaction() (BEGIN IMMEDIATE ... COMMIT).
            db = sqlite3.connect(folder / STATE_FILE, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
                db.executescript(SCHEMA)
                _migrate(db)
                db.execute("SELECT count(*) FROM pages").fetchone()
            except sqlite3.DatabaseError as error:
                db.close()
                raise StateCorrupt(folder / STATE_FILE, f"unreadable ({error}); {REBUILD_HINT}") from None
            store = cls(folder, db, lock, owned)
            if guard and has_dataset(folder) and not store.runs():
                db.close()
                raise StateMissing(folder / STATE_FILE,
                                   f"holds no run of the published dataset beside it; {REBUILD_HINT}")
        except BaseException:
            if owned:
                release_folder(lock)
            raise
        return store

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One real SQLite transaction: everything inside commits together or not at all (a batch
        of crawl units still open is committed first)."""
        self.commit()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self._durable()
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # a failed COMMIT (a full disk) leaves it open
                self.db.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def unit(self) -> Iterator[sqlite3.Connection]:
        """One unit of a crawl's bookkeeping (a page stored with its links, a 304, a failure). With
        `batching` on, units share one real transaction that commits every BATCH_UNITS units or
        BATCH_SECONDS: a kill loses at most the open batch, whose pages are then still to visit, as
        a unit is never half in it. Without, each unit is a transaction of its own."""
        if not self.batching:
            with self.transaction() as db:
                yield db
            return
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self._batch_units, self._batch_started = 0, time.monotonic()
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")  # the whole batch: its pages are visited again
            raise
        self._batch_units += 1
        if self._batch_units >= BATCH_UNITS or time.monotonic() - self._batch_started >= BATCH_SECONDS:
            self.commit()

    def commit(self) -> None:
        """Commit the open batch of units, if any."""
        if self.db.in_transaction:
            try:
                self._durable()
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:  # a failed COMMIT (a full disk) leaves it open
                    self.db.execute("ROLLBACK")
                raise

    def _durable(self) -> None:
        for sync in self.before_commit:
            sync()

    def close(self) -> None:
        """Commit the open batch (a run stopped on purpose keeps its progress) and let go (once)."""
        if self.closed:
            return
        try:
            self.commit()
        finally:
            self._close()

    def _close(self) -> None:
        self.closed = True
        self.db.close()
        if self._owns_lock:
            release_folder(self._lock)

    # --- runs --------------------------------------------------------------------------------
    def interrupted_run(self) -> str | None:
        row = self.db.execute("SELECT run FROM runs WHERE status = 'running' ORDER BY started DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def begin_run(self, run: str, started: str, options: dict[str, Any]) -> None:
        self.db.execute("INSERT OR IGNORE INTO runs (run, started, status, options) VALUES (?, ?, 'running', ?)",
                        (run, started, orjson.dumps(options)))

    def end_run(self, run: str, finished: str, status: str, report: dict[str, Any]) -> None:
        self.db.execute("UPDATE runs SET finished = ?, status = ?, report = ? WHERE run = ?",
                        (finished, status, orjson.dumps(report), run))

    def fail_run(self, run: str, finished: str, report: dict[str, Any]) -> None:
        """A run that published nothing (it could fetch nothing): recorded, never resumed."""
        with self.transaction():
            self.db.execute("UPDATE runs SET finished = ?, status = 'failed', report = ? WHERE run = ?",
                            (finished, orjson.dumps(report), run))

    def last_published(self) -> str | None:
        """The run whose snapshot is (or must become, after a crash) the published one: the last in
        the order of publication (a number, not the clock, which may step back)."""
        recent = self.published_runs(1)
        return recent[0] if recent else None

    def published_runs(self, limit: int) -> list[str]:
        """The last `limit` runs that published, newest first."""
        rows = self.db.execute("SELECT run FROM runs WHERE status IN ('complete', 'partial', 'compacted') "
                               "ORDER BY coalesce(published_seq, 0) DESC, finished DESC, run DESC LIMIT ?",
                               (limit,)).fetchall()
        return [row[0] for row in rows]

    def next_publication(self) -> int:
        row = self.db.execute("SELECT coalesce(max(published_seq), 0) + 1 FROM runs").fetchone()
        return int(row[0])

    def runs(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT run, started, finished, status FROM runs ORDER BY started, run").fetchall()
        return [{"run": r[0], "started": r[1], "finished": r[2], "status": r[3]} for r in rows]

    # --- small things worth keeping between runs (the author catalogue) ----------------------------
    def remember(self, key: str, value: bytes, etag: str | None, last_modified: str | None) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO memo (key, value, etag, last_modified) VALUES (?, ?, ?, ?)",
                            (key, value, etag, last_modified))

    def recall(self, key: str) -> tuple[bytes, str | None, str | None] | None:
        row = self.db.execute("SELECT value, etag, last_modified FROM memo WHERE key = ?", (key,)).fetchone()
        return (bytes(row[0]), row[1], row[2]) if row else None

    # --- WARC captures (output.warc) -------------------------------------------------------------
    def capture(self, url: str) -> Capture | None:
        row = self.db.execute("SELECT file, offset, record_id, date, digest FROM captures WHERE url = ?",
                              (url,)).fetchone()
        return Capture(*row) if row else None

    def captured(self, url: str, capture: Capture) -> None:
        """The response just written for ``url`` is the one to refer to from now on."""
        with self.unit():
            self.db.execute("INSERT OR REPLACE INTO captures (url, file, offset, record_id, date, digest) "
                            "VALUES (?, ?, ?, ?, ?, ?)", (url, *capture))

    def add_warc(self, sealed: Sealed, run: str | None) -> None:
        with self.unit():
            self.db.execute("INSERT OR REPLACE INTO warcs (name, run, bytes, sha256, records) VALUES (?, ?, ?, ?, ?)",
                            (*sealed[:1], run, *sealed[1:]))

    def warcs(self) -> list[Sealed]:
        """The sealed WARC files, in the order they were sealed (run ids need not sort)."""
        rows = self.db.execute("SELECT name, bytes, sha256, records FROM warcs ORDER BY rowid")
        return [Sealed(*row) for row in rows]

    def extracted_by(self, page_id: str) -> str | None:
        """The version of the extractor that read a page's stored record (None: unknown)."""
        row = self.db.execute("SELECT extractor FROM pages WHERE id = ?", (page_id,)).fetchone()
        return row[0] if row else None

    # --- what a run has reached ----------------------------------------------------------------
    def schedule(self, pages: Iterable[tuple[str, str, bool]]) -> list[tuple[str, str, bool]]:
        """Of (id, url, leaf), those this process has not reached yet (it remembers them)."""
        new = []
        for page in pages:
            if page[0] not in self._scheduled:
                self._scheduled.add(page[0])
                new.append(page)
        return new

    def release_scheduled(self) -> None:
        """Forget the pages this process reached (navigation is over; what was replayed stays)."""
        self._scheduled = set()

    def replayed(self, run: str, page_id: str) -> None:
        """A page visited from the store without a request (not due, or visited before the run was
        interrupted): reached by this run, never written (a resumed run's walk finds it again)."""
        if self._replayed_run != run:
            self._replayed_run, self._replayed = run, set()
        self._replayed.add(page_id)

    def seen(self, run: str, page_id: str) -> None:
        """A page this run reached whose answer is no record (not HTML, refused on purpose, a
        duplicate): a known page keeps its record."""
        with self.unit():
            self.db.execute("UPDATE visits SET seen_run = ? WHERE id = ?", (run, page_id))

    # --- pages ------------------------------------------------------------------------------------
    def page(self, page_id: str) -> dict[str, Any] | None:
        cursor = self.db.execute("SELECT p.*, v.seen_run, v.gone_run, v.last_seen, v.interval, v.due_at, "
                                 "v.unchanged_runs, l.links FROM pages p LEFT JOIN visits v ON v.id = p.id "
                                 "LEFT JOIN links l ON l.id = p.id WHERE p.id = ?", (page_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def known_links(self, page_id: str) -> list[str] | None:
        """Where a page led when it was last read (None: unknown)."""
        row = self.db.execute("SELECT links FROM links WHERE id = ?", (page_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def plan(self, page_id: str, policy: Policy, now: float, run: str) -> tuple[list[str], bool] | None:
        """The revisit plan of a page this run: None to fetch it (new, due, an index, or where it
        leads unknown); or (where it led, visited) to follow its links without asking it: not due,
        or ``visited`` by this run before it was interrupted. A page gone this run is asked again,
        and so is an index (what it lists is read from the page)."""
        row = self.db.execute(
            "SELECT p.status, p.kind, v.due_at, v.seen_run, v.gone_run, l.links FROM pages p "
            "JOIN visits v ON v.id = p.id LEFT JOIN links l ON l.id = p.id WHERE p.id = ?", (page_id,)).fetchone()
        if row is None:
            return None
        status, kind, due_at, seen_run, gone_run, links = row
        if seen_run == run:
            if gone_run == run or links is None or kind in INDEX_KINDS:
                return None
            return orjson.loads(links), True
        if status == "missing" and not policy.revalidate and due_at > now:
            # A page that was never found (a dangling link) is asked again when it is due, as its
            # interval grows: not every run.
            return [], False
        if status != "live" or policy.revalidate or kind in INDEX_KINDS or due_at <= now or links is None:
            return None
        return orjson.loads(links), False

    def shape(self, page_id: str) -> tuple[str | None, set[str] | None]:
        """A kept page's kind and, for an index, the URLs its record lists: where a page that is
        followed from the store (a 304, a failure) leads, as its record said."""
        row = self.db.execute("SELECT p.kind, b.record FROM pages p LEFT JOIN bodies b ON b.id = p.id "
                              "WHERE p.id = ?", (page_id,)).fetchone()
        if row is None:
            return None, None
        kind, record = row
        if kind not in ("author_index", "section_index") or record is None:
            return kind, None
        entries = orjson.loads(record).get("entries") or []
        return kind, {str(entry.get("url")) for entry in entries if isinstance(entry, dict)}

    def validators(self, page_id: str) -> tuple[str | None, str | None] | None:
        """(ETag, Last-Modified) a live page was last served with, to ask it conditionally; None for
        a page that was removed or never found: if it has come back, a 304 against the validators
        of its old copy must not keep it removed."""
        row = self.db.execute("SELECT etag, last_modified FROM pages WHERE id = ? AND status = 'live'",
                              (page_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def store(self, run: str, page_id: str, url: str, record_line: bytes, record: dict[str, Any], file: str,
              links: list[str], fetch: dict[str, Any], policy: Policy, now: float, frontier_id: str) -> bool:
        """Keep a freshly fetched page; returns whether its record changed. One unit with its links
        and its mark as seen by this run, so a kill leaves the page either wholly stored or still to
        fetch (``frontier_id``: the id it was asked under, before a redirect)."""
        digest = record_hash(record)
        stamp = fetch["fetched_at"]
        with self.unit():
            faults.point("store.begun")
            old = self.db.execute("SELECT p.record_sha256, v.interval, p.status, p.extractor FROM pages p "
                                  "LEFT JOIN visits v ON v.id = p.id WHERE p.id = ?", (page_id,)).fetchone()
            changed = old is None or old[0] != digest or old[2] != "live"
            interval = policy.next_interval((old[1] or 0.0) if old else 0.0, changed)
            same_record = old is not None and old[0] == digest
            series = record.get("series") or {}
            self.db.execute(
                """INSERT INTO pages (id, url, file, kind, status, etag, last_modified, content_sha256,
                       record_sha256, size, next_url, first_seen, last_changed, extractor)
                   VALUES (?, ?, ?, ?, 'live', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET
                       url = excluded.url, file = excluded.file, kind = excluded.kind, status = 'live',
                       extractor = excluded.extractor,
                       etag = excluded.etag, last_modified = excluded.last_modified,
                       content_sha256 = excluded.content_sha256, record_sha256 = excluded.record_sha256,
                       size = excluded.size, next_url = excluded.next_url,
                       last_changed = CASE WHEN pages.record_sha256 IS excluded.record_sha256
                                      THEN pages.last_changed ELSE excluded.last_changed END,
                       removed_run = NULL, removed_at = NULL""",
                (page_id, url, file, record.get("kind"), fetch.get("etag"), fetch.get("last_modified"),
                 fetch.get("content_sha256"), digest, len(record_line), series.get("next_url"), stamp, stamp,
                 fetch.get("extractor")),
            )
            self._visited(page_id, run, stamp, interval, now + interval, gone=False, same_record=same_record)
            self._set_links(page_id, links)
            # An unchanged record is not written again (OR IGNORE only fills a body that is missing).
            made_by = fetch.get("extractor")
            rewrite = changed or (same_record and made_by is not None and old[3] not in (None, made_by))
            self.db.execute(f"INSERT OR {'REPLACE' if rewrite else 'IGNORE'} INTO bodies (id, record) VALUES (?, ?)",
                            (page_id, record_line))
            if rewrite and not changed:
                # The same record made by another extractor: published again (its provenance says which
                # made it), though it is no change.
                self.db.execute("UPDATE pages SET published_basis = NULL WHERE id = ?", (page_id,))
            faults.point("store.written")
            if frontier_id != page_id:  # reached under another id (a redirect): that page was seen too
                self.db.execute("UPDATE visits SET seen_run = ? WHERE id = ?", (run, frontier_id))
            faults.point("store.marked")
        faults.point("store.committed")
        return changed

    def _set_links(self, page_id: str, links: list[str]) -> None:
        """Where a page leads, written only when it changed."""
        self.db.execute("INSERT INTO links (id, links) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
                        "links = excluded.links WHERE links.links IS NOT excluded.links",
                        (page_id, orjson.dumps(links)))

    def _visited(self, page_id: str, run: str, stamp: str, interval: float, due_at: float, *, gone: bool,
                 same_record: bool | None) -> None:
        """A page's visit by this run: seen, when, its next interval; gone or not; its record the
        same as last time, or changed (None: neither, as for a page that is gone)."""
        self.db.execute(
            "INSERT INTO visits (id, seen_run, gone_run, last_seen, interval, due_at, unchanged_runs) "
            "VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET seen_run = excluded.seen_run, "
            "gone_run = excluded.gone_run, last_seen = excluded.last_seen, interval = excluded.interval, "
            "due_at = excluded.due_at, unchanged_runs = CASE ? WHEN 1 THEN visits.unchanged_runs + 1 WHEN 0 THEN 0 "
            "ELSE visits.unchanged_runs END",
            (page_id, run, run if gone else None, stamp, interval, due_at, same_record))

    def unchanged(self, run: str, page_id: str, policy: Policy, now: float, stamp: str) -> None:
        """A 304: the page is as it was; it was seen, and may wait longer next time."""
        with self.unit():
            row = self.db.execute("SELECT interval FROM visits WHERE id = ?", (page_id,)).fetchone()
            interval = policy.next_interval(row[0] if row else 0.0, changed=False)
            self._visited(page_id, run, stamp, interval, now + interval, gone=False, same_record=True)

    def gone(self, run: str, page_id: str, url: str, policy: Policy, now: float, stamp: str) -> None:
        """A 404/410: the page is removed when this run completes; a page never seen is `missing`."""
        with self.unit():
            row = self.db.execute("SELECT p.status, v.interval FROM pages p LEFT JOIN visits v ON v.id = p.id "
                                  "WHERE p.id = ?", (page_id,)).fetchone()
            interval = policy.next_interval((row[1] or 0.0) if row else 0.0, changed=False)
            if row is None:
                self.db.execute("INSERT INTO pages (id, url, status, first_seen) VALUES (?, ?, 'missing', ?)",
                                (page_id, url, stamp))
            self._visited(page_id, run, stamp, interval, now + interval, gone=True, same_record=None)

    def keep(self, run: str, page_id: str) -> bool:
        """A transient failure (5xx, timeout) on a known page keeps its record; returns whether known."""
        with self.unit():
            cursor = self.db.execute("UPDATE visits SET seen_run = ? WHERE id = ? AND id IN "
                                     "(SELECT id FROM pages WHERE id = ? AND status = 'live')", (run, page_id, page_id))
        return bool(cursor.rowcount)

    def known_pages(self) -> int:
        """The pages a walk of this dataset reaches, as far as the store knows (every page it holds)."""
        return int(self.db.execute("SELECT count(*) FROM pages WHERE status != 'removed'").fetchone()[0])

    def positions(self) -> list[Position]:
        """Every page that is or was published, as it stands and as it was last published: what a
        publication decides from without reading a record."""
        # The few values most rows repeat (a file, a kind, a status, a run) are held once each: at
        # 100,000 pages, each copy per row would cost megabytes.
        common: dict[str, str] = {}
        shared = common.setdefault
        return [Position(page_id, url, file and shared(file, file), kind and shared(kind, kind),
                         shared(status, status), record, size, removed_run and shared(removed_run, removed_run),
                         removed_at, published_file and shared(published_file, published_file), published, basis)
                for page_id, url, file, kind, status, record, size, removed_run, removed_at, published_file,
                published, basis in self.db.execute(
                    "SELECT id, url, file, kind, status, record_sha256, size, removed_run, removed_at, "
                    "published_file, published_sha256, published_basis FROM pages "
                    "WHERE status = 'live' OR published_file IS NOT NULL OR removed_run IS NOT NULL")]

    def bodies(self, page_ids: list[str]) -> dict[str, bytes]:
        """The stored record lines of these pages, by id (read in batches)."""
        found: dict[str, bytes] = {}
        for start in range(0, len(page_ids), _BATCH):
            batch = page_ids[start:start + _BATCH]
            marks = ",".join("?" * len(batch))
            found.update(self.db.execute(f"SELECT id, record FROM bodies WHERE id IN ({marks})", batch))
        return found

    def tocs(self) -> list[tuple[str, str, bytes, bytes, str]]:
        """(id, url, record line, links, record hash) of every live contents page."""
        return self.db.execute(
            "SELECT p.id, p.url, b.record, l.links, p.record_sha256 FROM pages p JOIN bodies b ON b.id = p.id "
            "LEFT JOIN links l ON l.id = p.id "
            "WHERE p.status = 'live' AND p.kind = 'toc'").fetchall()

    def series_links(self) -> list[tuple[str, str, str]]:
        return self.db.execute(
            "SELECT id, url, next_url FROM pages WHERE status = 'live' AND next_url IS NOT NULL").fetchall()

    def to_remove(self, run: str) -> list[tuple[str, str, str | None]]:
        """(id, url, kind) of live pages a complete run did not reach (not seen, nor replayed), or
        that answered 404/410. Asked once, by the run's publication: the replayed pages are then
        forgotten."""
        rows = self.db.execute("SELECT p.id, p.url, p.kind, v.gone_run FROM pages p LEFT JOIN visits v ON v.id = p.id "
                               "WHERE p.status = 'live' AND (v.gone_run = ? OR v.seen_run IS NOT ?)", (run, run))
        replayed = self._replayed if self._replayed_run == run else set()
        removed = [(r[0], r[1], r[2]) for r in rows if r[3] == run or r[0] not in replayed]
        if self._replayed_run == run:
            self._replayed = set()  # asked once, as the run publishes: the room goes to the publication
        return removed

    def now(self) -> float:
        return time.time()
