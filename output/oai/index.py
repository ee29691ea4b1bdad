"""The OAI-PMH index of a dataset folder, kept in SQLite: every item the repository lists (its
identifier, datestamp, sets, whether it is deleted, which line of which works shard holds its
record), for each snapshot the server has indexed.

Indexing a snapshot costs what changed since the last one indexed. A shard is known by its listed
hash, its size and its modification time (a shard a publication left alone is a hard link to the
same file, so all three stay put; a file edited behind the datapackage's back is read again), and
only shards no indexed snapshot had are read; only change sets not yet folded in are read for the
datestamps. An item's datestamp is the `at` of the last change set that touched it, else the
snapshot's `updated`; a deleted record's is its tombstone's `removed_at`, else `updated`.

Items are versioned: each indexed snapshot is a generation, and a row is visible to the
generations in [born, died). Indexing writes the next generation beside the ones requests are
reading, so a request keeps reading the snapshot it started on; the rows of a generation stay while
a request of this process holds it or while it is one of the last KEEP_INDEXED (a resumption token
issued on one of those continues on the current one when no item it selects changed in between).
A list page is a keyset query over (datestamp, id), through the memberships of a set when a set
is asked for: it reads about as many rows as it returns, whatever its position in the list.

The index is a cache, `<folder>/.oai/index.sqlite`: deleted, it is rebuilt; one SQLite reports
as damaged, or of another schema, is rebuilt in its place. When the folder cannot hold it (it is
read-only), it is kept in a private temporary directory for as long as the process needs it: a
file rather than an in-memory database, because readers on several threads beside one indexer
need SQLite's write-ahead log, which an in-memory database lacks, and because its pages then
live in the page cache rather than in the server's own memory.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import functools
import hashlib
import logging
import os
import queue
import re
import shutil
import sqlite3
import tempfile
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from output.snapshot import CHANGES_DIR, Snapshot

logger = logging.getLogger(__name__)

INDEX_DIR = ".oai"
INDEX_FILE = "index.sqlite"
APPLICATION_ID = 0x4F414950   # "OAIP": the file is this index
SCHEMA_VERSION = 1            # PRAGMA user_version; a file of another version is rebuilt
KEEP_INDEXED = 8              # the latest generations whose rows stay, for the tokens issued on them
BUSY_TIMEOUT = 30.0           # seconds to wait for another process indexing the same folder
EPOCH = "1970-01-01T00:00:00Z"
END_OF_TIME = "9999-12-31T23:59:59Z"
PARENT_SETS = {"author": "Authors", "periodical": "Periodicals"}
TOTAL = ""                    # the sets row that counts every item
_MEMO = 64                    # list sizes and token checks remembered per generation
_DAMAGED = (11, 26)           # SQLITE_CORRUPT, SQLITE_NOTADB
_ALIVE = "born <= :g AND (died IS NULL OR died > :g)"

SCHEMA = """
CREATE TABLE generations (
    generation INTEGER PRIMARY KEY,
    version TEXT NOT NULL,       -- Snapshot.version
    fallback TEXT NOT NULL,      -- the datestamp of an item no change set touched
    works TEXT NOT NULL,         -- JSON: the works shards' keys, in part order
    tombstones TEXT NOT NULL,    -- JSON: the tombstone shards' keys, in part order
    folded TEXT NOT NULL         -- JSON: the runs whose change sets are folded in, in order
);
CREATE INDEX generations_version ON generations(version);
CREATE TABLE shards (shard INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE);  -- every shard read, by part_key
CREATE TABLE lines (             -- every record line of every shard read
    shard INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    id TEXT NOT NULL,
    length INTEGER NOT NULL,
    digest BLOB,                 -- a work's line (NULL for a tombstone)
    specs TEXT NOT NULL,         -- a work's sets, space-separated
    names TEXT,                  -- JSON: the name each of a work's own sets takes from it
    removed TEXT,                -- a tombstone's datestamp
    PRIMARY KEY (shard, offset)
) WITHOUT ROWID;
CREATE INDEX lines_id ON lines(id);
CREATE TABLE set_names (spec TEXT NOT NULL, shard INTEGER NOT NULL, name TEXT NOT NULL,
                        PRIMARY KEY (spec, shard)) WITHOUT ROWID;
CREATE INDEX set_names_shard ON set_names(shard);
CREATE TABLE stamps (id TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID;  -- the change sets folded
CREATE TABLE items (
    item INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    stamped INTEGER NOT NULL,    -- 0: the datestamp is the snapshot's `updated`, and moves with it
    digest BLOB,                 -- the record line's (NULL for a deleted record)
    specs TEXT NOT NULL,
    born INTEGER NOT NULL,
    died INTEGER
);
CREATE INDEX items_order ON items(datestamp, id, born, died);
CREATE INDEX items_id ON items(id);
CREATE INDEX items_born ON items(born);
CREATE INDEX items_died ON items(died) WHERE died IS NOT NULL;
CREATE INDEX items_floating ON items(id) WHERE stamped = 0 AND died IS NULL;
CREATE TABLE memberships (
    spec TEXT NOT NULL, datestamp TEXT NOT NULL, id TEXT NOT NULL, item INTEGER NOT NULL,
    born INTEGER NOT NULL, died INTEGER,
    PRIMARY KEY (spec, datestamp, id, item)
) WITHOUT ROWID;
CREATE TABLE sets (spec TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
                   born INTEGER NOT NULL, died INTEGER);
CREATE INDEX sets_spec ON sets(spec) WHERE died IS NULL;
"""


# --- the dataset's values as the index keeps them ---------------------------------------------------


def datestamp(moment: dt.datetime) -> str:
    """A moment as an OAI-PMH datestamp (seconds)."""
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")


def dataset_stamp(iso: object) -> str | None:
    """A dataset timestamp as an OAI-PMH datestamp (UTC, seconds); None when it is not one."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the dataset writes UTC
    return datestamp(moment.astimezone(dt.UTC))


def json_object(line: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@functools.lru_cache(maxsize=1 << 16)  # an archive names a few thousand authors and periodicals, again and again
def set_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"


def record_sets(record: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The sets a work is in (each followed by its parent), and the name each of its own sets takes
    from it."""
    specs: list[str] = []
    names: dict[str, str] = {}
    author = _mapping(record.get("author"))
    slug = author.get("slug")
    if isinstance(slug, str) and slug:
        spec = f"author:{set_slug(slug)}"
        name = author.get("name")
        names[spec] = name if isinstance(name, str) and name else slug
        specs += [spec, "author"]
    periodical = _mapping(record.get("citation")).get("container_title")
    if isinstance(periodical, str) and periodical:
        spec = f"periodical:{set_slug(periodical)}"
        names[spec] = periodical
        specs += [spec, "periodical"]
    return specs, names


def part_key(kind: str, part: dict[str, Any], status: os.stat_result) -> str:
    """What identifies a shard's bytes: its type, the hash its datapackage lists, its size and mtime."""
    return f"{kind}:{part.get('hash')}:{status.st_size}:{status.st_mtime_ns}"


def damaged(error: sqlite3.Error) -> bool:
    """Whether SQLite says the file is not a database or is corrupt (a locked one is neither)."""
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _DAMAGED


# --- what a request reads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """An item as a list or GetRecord shows it."""

    id: str
    datestamp: str
    digest: bytes | None   # its record line's; None for a deleted record
    specs: tuple[str, ...]

    @property
    def deleted(self) -> bool:
        return self.digest is None


@dataclass(frozen=True, slots=True)
class Selection:
    """What a list asks for: a datestamp range (each end optional, inclusive) and a set."""

    start: str | None = None
    end: str | None = None
    spec: str | None = None

    def holds(self, stamp: str, specs: str) -> bool:
        return (self.start is None or stamp >= self.start) and (self.end is None or stamp <= self.end) \
            and (self.spec is None or self.spec in specs.split())


def connect(path: Path) -> sqlite3.Connection:
    """A connection to an index file, as the indexer and every reader open it."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT)
    db.execute("PRAGMA synchronous=NORMAL")  # a cache: a crash may lose the last indexing, never consistency
    db.execute("PRAGMA temp_store=MEMORY")
    return db


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


class _Connections:
    """The reading connections of one index file, lent to one request at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self.every: list[sqlite3.Connection] = []
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            for db in self.every:
                db.close()
            self.every.clear()


def _release(connections: _Connections, writer: sqlite3.Connection, temporary: Path | None) -> None:
    connections.close()
    writer.close()
    if temporary is not None:
        shutil.rmtree(temporary, ignore_errors=True)


class IndexStore:
    """One index file: the indexer's connection, the readers' pool, and what indexing has read
    (`reads`: works and tombstone shards and change sets, counted)."""

    def __init__(self, path: Path, temporary: Path | None = None) -> None:
        self.path = path
        self.reads: collections.Counter[str] = collections.Counter()
        self.closed = False
        self._writer = _prepare(path)
        self._connections = _Connections(path)
        self._lock = threading.Lock()
        self._release = weakref.finalize(self, _release, self._connections, self._writer, temporary)

    def close(self) -> None:
        """Close every connection (and remove a temporary index); also done once the store is unused.
        A request still reading it then fails, rather than read a file that replaced it."""
        self.closed = True
        self._release()

    @classmethod
    def open(cls, folder: Path, discard: bool = False) -> IndexStore:
        """The folder's index (emptied first when `discard`), or a temporary one when the folder
        cannot hold it."""
        path = folder / INDEX_DIR / INDEX_FILE
        try:
            path.parent.mkdir(exist_ok=True)
            if discard:
                _remove(path)
            return cls(path)
        except (OSError, sqlite3.Error) as error:
            temporary = Path(tempfile.mkdtemp(prefix="colophon-oai-"))
            logger.warning("%s: the OAI-PMH index cannot be kept in the folder (%s); keeping it in %s while "
                           "the server runs", folder, error, temporary)
            try:
                return cls(temporary / INDEX_FILE, temporary)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A reading connection, for one request's queries."""
        pool = self._connections
        if self.closed:
            raise sqlite3.ProgrammingError(f"{self.path}: the index file is closed")
        try:
            db = pool.idle.get_nowait()
        except queue.Empty:
            db = connect(self.path)
            with pool.lock:
                pool.every.append(db)
        try:
            yield db
        finally:
            pool.idle.put(db)

    def build(self, snapshot: Snapshot, works: list[tuple[str, BinaryIO]], tombstones: list[tuple[str, BinaryIO]],
              in_use: Iterable[int]) -> int:
        """The generation of `snapshot`, whose shards are open (each with its part_key), in part
        order: one already indexed, or the next, indexed now in one transaction."""
        with self._lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                generation = _Build(db, snapshot, works, tombstones, self.reads).run(set(in_use))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            # The log into the file, and cut back to nothing: after a cold build it is as large as the index.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return generation


def _prepare(path: Path) -> sqlite3.Connection:
    """The indexer's connection to a writable index file of this schema: an empty file gets the
    schema; one that is damaged, of another schema or of another application is replaced. All of
    it under the write lock, so that two servers starting on one folder agree. Raises
    sqlite3.Error or OSError when the file cannot be written."""
    for attempt in range(2):
        db: sqlite3.Connection | None = None
        try:
            db = connect(path)
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the indexer
            db.execute("BEGIN IMMEDIATE")  # writable, or raises now rather than at the first publication
            identity = tuple(db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("application_id", "user_version"))
            if identity == (APPLICATION_ID, SCHEMA_VERSION):
                db.execute("COMMIT")
                return db
            if identity == (0, 0) and not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                for statement in filter(str.strip, SCHEMA.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                db.execute("COMMIT")
                return db
            db.execute("ROLLBACK")
            logger.warning("%s: not an OAI-PMH index of this version; rebuilding it", path)
        except sqlite3.DatabaseError as error:
            if not damaged(error):
                if db is not None:
                    db.close()
                raise
            logger.warning("%s: the OAI-PMH index is damaged (%s); rebuilding it", path, error)
        if db is not None:
            db.close()
        if attempt:
            break
        _remove(path)
    raise sqlite3.DatabaseError(f"{path}: cannot make an OAI-PMH index of it")


@dataclass
class _Latest:
    """The last generation indexed: what the live rows (died IS NULL) and `stamps` describe."""

    generation: int
    fallback: str
    works: list[str]
    tombstones: list[str]
    folded: list[str]


class _Build:
    """One snapshot indexed, inside the indexer's transaction: the shards and change sets not seen
    yet are read, the items they touch are settled, their sets counted, old rows collected."""

    def __init__(self, db: sqlite3.Connection, snapshot: Snapshot, works: list[tuple[str, BinaryIO]],
                 tombstones: list[tuple[str, BinaryIO]], reads: collections.Counter[str]) -> None:
        self.db = db
        self.snapshot = snapshot
        self.works = works
        self.tombstones = tombstones
        self.reads = reads
        self.numbers: dict[str, int] = {}  # shard key -> its number in `shards`, `lines` and `set_names`
        self.skipped = 0   # lines that are no record, a tombstone or a change
        self.settled = 0   # item rows born or dead
        self.fallback = dataset_stamp(snapshot.datapackage.get("updated")) or EPOCH
        self.listed = [run for run in snapshot.change_sets() if run]
        self.description = (snapshot.version, self.fallback, _json([key for key, _ in works]),
                            _json([key for key, _ in tombstones]), _json(self.listed))

    def run(self, in_use: set[int]) -> int:
        """The generation describing the snapshot: one indexed already, or the next, written now
        (the generations in `in_use` are read by requests and kept)."""
        started = time.perf_counter()
        db = self.db
        found = db.execute("SELECT generation FROM generations WHERE version = ? AND fallback = ? AND works = ? "
                           "AND tombstones = ? AND folded = ? ORDER BY generation DESC LIMIT 1",
                           self.description).fetchone()
        if found is not None:
            return int(found[0])
        latest = self._latest()
        generation = latest.generation + 1 if latest else 1
        self.numbers = {str(key): int(shard) for key, shard in db.execute("SELECT key, shard FROM shards")}
        db.execute("CREATE TEMP TABLE IF NOT EXISTS dirty (id TEXT PRIMARY KEY) WITHOUT ROWID")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS folded (id TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID")
        db.execute("DELETE FROM temp.dirty")
        before = self.reads.copy()
        self._fold(latest.folded if latest else None)
        replaced = {"works": _replaced(latest.works if latest else [], [key for key, _ in self.works]),
                    "tombstones": _replaced(latest.tombstones if latest else [], [key for key, _ in self.tombstones])}
        self._read_shards(replaced["works"])
        for old, new in [*replaced["works"].values(), *replaced["tombstones"].values()]:
            db.execute(_CHANGED_IDS, {"old": self._number(old), "new": self._number(new)})
        renamed = {spec for old, new in replaced["works"].values()
                   for (spec,) in db.execute(_RENAMED_SPECS, {"old": self._number(old), "new": self._number(new)})}
        if latest is not None and latest.fallback != self.fallback:
            db.execute("INSERT OR IGNORE INTO temp.dirty SELECT id FROM items WHERE stamped = 0 AND died IS NULL")
        deltas = self._settle(generation)
        self._count_sets(generation, deltas, renamed)
        db.execute("INSERT INTO generations VALUES (?, ?, ?, ?, ?, ?)", (generation, *self.description))
        self._collect(in_use | {generation})
        db.execute("DELETE FROM temp.dirty")
        db.execute("DELETE FROM temp.folded")
        read = self.reads - before
        logger.info("%s: OAI-PMH index generation %d (%s): %d works and %d tombstone shards of %d and %d read, "
                    "%d change sets, %d items settled, in %.2f s", self.snapshot.root, generation,
                    self.snapshot.version, read["works"], read["tombstones"], len(self.works), len(self.tombstones),
                    read["changes"], self.settled, time.perf_counter() - started)
        if self.skipped:
            logger.warning("%s: %d unreadable lines left out of the OAI-PMH index", self.snapshot.root, self.skipped)
        return generation

    def _number(self, key: str | None) -> int | None:
        return None if key is None else self.numbers.get(key)

    def _latest(self) -> _Latest | None:
        row = self.db.execute("SELECT generation, fallback, works, tombstones, folded FROM generations "
                              "ORDER BY generation DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return _Latest(int(row[0]), str(row[1]), *(list(orjson.loads(value)) for value in row[2:]))

    # --- datestamps ----------------------------------------------------------------------------------
    def _fold(self, folded: list[str] | None) -> None:
        """Fold the change sets not folded yet into `stamps` (all of them again when the snapshot's
        list does not continue the one folded); the ids whose datestamp changed are dirty."""
        db = self.db
        db.execute("DELETE FROM temp.folded")
        again = folded is None or self.listed[:len(folded)] != folded
        for run in self.listed if again else self.listed[len(folded or []):]:
            try:
                handle = open(self.snapshot.path(f"{CHANGES_DIR}/{run}.jsonl"), "rb")  # noqa: SIM115
            except FileNotFoundError:
                continue  # a run without a change set (as `published_runs` counts them)
            with handle:
                self.reads["changes"] += 1
                db.executemany("INSERT OR REPLACE INTO temp.folded VALUES (?, ?)", self._changes(handle))
        db.execute("INSERT OR IGNORE INTO temp.dirty SELECT f.id FROM temp.folded f LEFT JOIN stamps s ON s.id = f.id "
                   "WHERE s.at IS NOT f.at")
        if again:
            db.execute("INSERT OR IGNORE INTO temp.dirty SELECT id FROM stamps "
                       "WHERE id NOT IN (SELECT id FROM temp.folded)")
            db.execute("DELETE FROM stamps")
        db.execute("INSERT OR REPLACE INTO stamps SELECT id, at FROM temp.folded")

    def _changes(self, handle: BinaryIO) -> Iterator[tuple[str, str]]:
        for line in handle:
            change = _change(line)
            stamp = dataset_stamp(change.get("at")) if change else None
            if change and isinstance(change.get("id"), str) and stamp:
                yield change["id"], stamp
            else:
                self.skipped += 1

    # --- shards --------------------------------------------------------------------------------------
    def _read_shards(self, replaced: dict[int, tuple[str | None, str | None]]) -> None:
        """Read each shard no indexed snapshot had into `lines` (and a works shard's set names). A
        works line the shard it replaces holds too is not parsed again: only changed records are."""
        db = self.db
        for kind, parts in (("works", self.works), ("tombstones", self.tombstones)):
            for position, (key, handle) in enumerate(parts):
                if key in self.numbers:
                    continue
                shard = self.numbers[key] = int(db.execute("INSERT INTO shards (key) VALUES (?) RETURNING shard",
                                                           (key,)).fetchone()[0])
                self.reads[kind] += 1
                names: dict[str, str] = {}
                handle.seek(0)
                if kind == "works":
                    previous = self._number(replaced[position][0]) if position in replaced else None
                    before = {row[0]: row[1:] for row in db.execute(
                        "SELECT digest, id, specs, names FROM lines WHERE shard = ?", (previous,))}
                    db.executemany(_LINE, self._works(shard, handle, names, before))
                else:
                    db.executemany(_LINE, self._tombstones(shard, handle))
                db.executemany("INSERT INTO set_names VALUES (?, ?, ?)", [(spec, shard, name)
                                                                          for spec, name in names.items()])

    def _works(self, key: int, handle: BinaryIO, names: dict[str, str],
               before: dict[bytes, tuple[str, str, str]]) -> Iterator[tuple[Any, ...]]:
        """The rows of a works shard's lines, each line `before` holds (by digest) as it held it."""
        offset = 0
        for line in handle:
            digest = _digest(line)
            work = before.get(digest) or _parsed_work(line)
            if work is None:
                self.skipped += 1
            else:
                record_id, specs, own = work
                if any(spec not in names for spec in specs.split() if ":" in spec):
                    for spec, name in orjson.loads(own):
                        names.setdefault(spec, name)  # a set is named by the first work of it
                yield key, offset, record_id, len(line), digest, specs, own, None
            offset += len(line)

    def _tombstones(self, key: int, handle: BinaryIO) -> Iterator[tuple[Any, ...]]:
        offset = 0
        for line in handle:
            tombstone = json_object(line)
            if tombstone is None:
                self.skipped += 1
            else:
                record_id = tombstone.get("id")  # None for a removed page that never had an id
                if isinstance(record_id, str) and record_id:
                    yield key, offset, record_id, len(line), None, "", None, dataset_stamp(tombstone.get("removed_at"))
            offset += len(line)

    # --- items ---------------------------------------------------------------------------------------
    def _settle(self, generation: int) -> collections.Counter[str]:
        """Each dirty id's item as this snapshot has it, against the live one: a row that differs
        dies and its successor is born. Returns the change in size of each set (TOTAL: all)."""
        db = self.db
        works = {self.numbers[key]: position for position, (key, _) in enumerate(self.works)}
        tombstones = {self.numbers[key]: position for position, (key, _) in enumerate(self.tombstones)}
        # The winning line of an id: a work over a tombstone, then the later shard, then the later line.
        # (CROSS JOIN: the few dirty ids lead, each looked up, rather than every line scanned.)
        best: dict[str, tuple[tuple[int, int, int], bytes | None, str, str | None]] = {}
        for record_id, shard, offset, digest, specs, removed in db.execute(
                "SELECT l.id, l.shard, l.offset, l.digest, l.specs, l.removed FROM temp.dirty d "
                "CROSS JOIN lines l ON l.id = d.id"):
            if shard in works:
                rank = (1, works[shard], offset)
            elif shard in tombstones:
                rank = (0, tombstones[shard], offset)
            else:
                continue
            if record_id not in best or rank > best[record_id][0]:
                best[record_id] = (rank, digest, specs, removed)
        stamps = dict(db.execute("SELECT d.id, s.at FROM temp.dirty d CROSS JOIN stamps s ON s.id = d.id"))
        live = {row[1]: row for row in db.execute(
            "SELECT i.item, i.id, i.datestamp, i.stamped, i.digest, i.specs FROM temp.dirty d "
            "CROSS JOIN items i ON i.id = d.id WHERE i.died IS NULL")}
        deltas: collections.Counter[str] = collections.Counter()
        deaths: list[tuple[Any, ...]] = []
        births: list[tuple[Any, ...]] = []
        for record_id in best.keys() | live.keys():
            wanted: tuple[str, int, bytes | None, str] | None = None
            if record_id in best:
                (kind, _, _), digest, specs, removed = best[record_id]
                at = stamps.get(record_id) if kind else removed
                wanted = (at or self.fallback, int(at is not None), digest, specs)
            now = live.get(record_id)
            if now is not None and now[2:] == wanted:
                continue
            if now is not None:
                deaths.append(now)
                for spec in (TOTAL, *now[5].split()):
                    deltas[spec] -= 1
            if wanted is not None:
                births.append((record_id, *wanted))
                for spec in (TOTAL, *wanted[3].split()):
                    deltas[spec] += 1
        self.settled = len(deaths) + len(births)
        first = int(db.execute("SELECT coalesce(max(item), 0) FROM items").fetchone()[0]) + 1
        births.sort(key=lambda birth: (birth[1], birth[0]))
        born = [(first + n, *birth, generation) for n, birth in enumerate(births)]
        db.executemany("UPDATE items SET died = ? WHERE item = ?", [(generation, row[0]) for row in deaths])
        db.executemany("UPDATE memberships SET died = ? WHERE spec = ? AND datestamp = ? AND id = ? AND item = ?",
                       [(generation, spec, row[2], row[1], row[0]) for row in deaths for spec in row[5].split()])
        db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", born)
        db.executemany("INSERT INTO memberships VALUES (?, ?, ?, ?, ?, NULL)",
                       sorted((spec, row[2], row[1], row[0], generation) for row in born for spec in row[5].split()))
        return deltas

    def _count_sets(self, generation: int, deltas: collections.Counter[str], renamed: set[str]) -> None:
        """The size and name of each set whose members or naming shards changed."""
        db = self.db
        works = {self.numbers[key]: position for position, (key, _) in enumerate(self.works)}
        for spec in sorted({spec for spec, delta in deltas.items() if delta} | renamed):
            row = db.execute("SELECT rowid, name, size FROM sets WHERE spec = ? AND died IS NULL", (spec,)).fetchone()
            size = (row[2] if row else 0) + deltas.get(spec, 0)
            if spec == TOTAL or spec in PARENT_SETS:
                name: str | None = PARENT_SETS.get(spec, "")
            else:
                named = [(works[shard], name) for shard, name in
                         db.execute("SELECT shard, name FROM set_names WHERE spec = ?", (spec,)) if shard in works]
                name = min(named)[1] if named else None
            if row is not None and (row[1], row[2]) == (name, size):
                continue
            if row is not None:
                db.execute("UPDATE sets SET died = ? WHERE rowid = ?", (generation, row[0]))
            if name is not None or size:
                db.execute("INSERT INTO sets VALUES (?, ?, ?, ?, NULL)", (spec, name or spec, size, generation))

    def _collect(self, keep: set[int]) -> None:
        """Drop the generations neither recent nor in use, the rows none of the rest can see, and
        the shards none of them lists."""
        db = self.db
        numbers = [int(g) for (g,) in db.execute("SELECT generation FROM generations ORDER BY generation DESC")]
        kept = set(numbers[:KEEP_INDEXED]) | (keep & set(numbers))
        db.executemany("DELETE FROM generations WHERE generation = ?", [(g,) for g in numbers if g not in kept])
        oldest = min(kept)
        dead = db.execute("SELECT item, id, datestamp, specs FROM items WHERE died <= ?", (oldest,)).fetchall()
        db.executemany("DELETE FROM memberships WHERE spec = ? AND datestamp = ? AND id = ? AND item = ?",
                       [(spec, stamp, record_id, item) for item, record_id, stamp, specs in dead
                        for spec in specs.split()])
        db.executemany("DELETE FROM items WHERE item = ?", [(row[0],) for row in dead])
        db.execute("DELETE FROM sets WHERE died <= ?", (oldest,))
        listed: set[str] = set()
        for works, tombstones in db.execute("SELECT works, tombstones FROM generations"):
            listed.update(orjson.loads(works), orjson.loads(tombstones))
        for shard, key in db.execute("SELECT shard, key FROM shards").fetchall():
            if key not in listed:
                db.execute("DELETE FROM lines WHERE shard = ?", (shard,))
                db.execute("DELETE FROM set_names WHERE shard = ?", (shard,))
                db.execute("DELETE FROM shards WHERE shard = ?", (shard,))


def _change(line: bytes) -> dict[str, Any] | None:
    """A change, as far as datestamps need it. Its record comes last (models.Change) and is most of
    the line: what precedes it is parsed alone when it is an object holding the id and time."""
    cut = line.find(_RECORD_KEY)
    change = json_object(line[:cut] + b"}") if cut > 0 else None
    return change if change is not None and "id" in change and "at" in change else json_object(line)


def _parsed_work(line: bytes) -> tuple[str, str, str] | None:
    """A works line's id, its sets (space-separated) and the names of its own sets (JSON); None
    when it is no work."""
    record = json_object(line)
    record_id = record.get("id") if record else None
    if record is None or not isinstance(record_id, str) or not record_id:
        return None
    specs, names = record_sets(record)
    return record_id, " ".join(specs), orjson.dumps(list(names.items())).decode()


def _json(value: list[str]) -> str:
    return orjson.dumps(value).decode()


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line, digest_size=16).digest()


def _replaced(old: list[str], new: list[str]) -> dict[int, tuple[str | None, str | None]]:
    """The places where two lists of shards differ: the shard each held there (None: none)."""
    places = range(max(len(old), len(new)))
    pairs = {place: (old[place] if place < len(old) else None, new[place] if place < len(new) else None)
             for place in places}
    return {place: pair for place, pair in pairs.items() if pair[0] != pair[1]}


def _differing(table: str, columns: str) -> str:
    """A query of the first of `columns` in the rows of `table` that differ between the shard now
    at a place (:new) and the one there before (:old); every other row is as it was."""
    first, one = columns.split(",")[0], f"SELECT {columns} FROM {table} WHERE shard = "
    return f"SELECT {first} FROM ({one}:new EXCEPT {one}:old) UNION SELECT {first} FROM ({one}:old EXCEPT {one}:new)"


_RECORD_KEY = b',"record":'
_LINE = "INSERT INTO lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_CHANGED_IDS = "INSERT OR IGNORE INTO temp.dirty " + _differing("lines", "id, digest, removed")
_RENAMED_SPECS = _differing("set_names", "spec, name")


# --- one generation, as requests read it --------------------------------------------------------------


def _close_all(handles: list[BinaryIO]) -> None:
    for handle in handles:
        handle.close()


@dataclass(eq=False)
class Index:
    """One snapshot, indexed: the generation its rows are read as, and its works shards held open
    (with their place), so that a record is read from this snapshot even after a
    publication replaced or removed it."""

    store: IndexStore
    snapshot: Snapshot
    generation: int
    works: dict[int, tuple[int, BinaryIO]]  # shard number -> its place and its open file
    sets: dict[str, str]           # spec -> name, the parents always
    sizes: dict[str, int]          # spec (TOTAL: the whole list) -> items in it
    earliest: str
    _memo: collections.OrderedDict[tuple[Any, ...], Any] = field(init=False, default_factory=collections.OrderedDict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        weakref.finalize(self, _close_all, [handle for _, handle in self.works.values()])

    @property
    def version(self) -> str:
        return self.snapshot.version

    def _params(self, **values: Any) -> dict[str, Any]:
        return {"g": self.generation, **values}

    def item(self, record_id: str) -> Item | None:
        with self.store.reading() as db:
            row = db.execute(f"SELECT id, datestamp, digest, specs FROM items WHERE id = :id AND {_ALIVE}",
                             self._params(id=record_id)).fetchone()
        return _item(row) if row else None

    def page(self, selection: Selection, after: tuple[str, str] | None, limit: int) -> list[Item]:
        """Up to `limit` items of the selection after the key `after` (datestamp, id), in order."""
        low = after or (selection.start or "", "")  # an id is never empty: ("d", "") precedes every item of d
        params = self._params(d=low[0], i=low[1], end=selection.end or END_OF_TIME, limit=limit, spec=selection.spec)
        if selection.spec is None:
            sql = (f"SELECT id, datestamp, digest, specs FROM items WHERE (datestamp, id) > (:d, :i) "
                   f"AND datestamp <= :end AND {_ALIVE} ORDER BY datestamp, id LIMIT :limit")
        else:
            sql = ("SELECT i.id, i.datestamp, i.digest, i.specs FROM memberships m JOIN items i ON i.item = m.item "
                   "WHERE m.spec = :spec AND (m.datestamp, m.id) > (:d, :i) AND m.datestamp <= :end "
                   "AND m.born <= :g AND (m.died IS NULL OR m.died > :g) ORDER BY m.datestamp, m.id LIMIT :limit")
        with self.store.reading() as db:
            return [_item(row) for row in db.execute(sql, params)]

    def size(self, selection: Selection) -> int:
        """How many items the selection holds: kept per set; counted once for a datestamp range."""
        if selection.start is None and selection.end is None:
            return self.sizes.get(TOTAL if selection.spec is None else selection.spec, 0)
        params = self._params(start=selection.start or "", end=selection.end or END_OF_TIME, spec=selection.spec)
        if selection.spec is None:
            sql = f"SELECT count(*) FROM items WHERE datestamp BETWEEN :start AND :end AND {_ALIVE}"
        else:
            sql = ("SELECT count(*) FROM memberships WHERE spec = :spec AND datestamp BETWEEN :start AND :end "
                   f"AND {_ALIVE}")
        return int(self._remember(("size", selection), lambda db: db.execute(sql, params).fetchone()[0]))

    def continues(self, version: str, selection: Selection) -> bool:
        """Whether a list issued on snapshot `version` continues on this one: that snapshot is
        indexed, and no item the selection holds was added, changed or removed in between."""
        if version == self.version:
            return True

        def unchanged(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT generation FROM generations WHERE version = ? ORDER BY generation DESC LIMIT 1",
                             (version,)).fetchone()
            if row is None:
                return False
            low, high = sorted((int(row[0]), self.generation))
            changed = db.execute("SELECT datestamp, specs FROM items WHERE born > :low AND born <= :high UNION ALL "
                                 "SELECT datestamp, specs FROM items WHERE died > :low AND died <= :high",
                                 {"low": low, "high": high})
            return not any(selection.holds(stamp, specs) for stamp, specs in changed)

        return bool(self._remember(("continues", version, selection), unchanged))

    def _remember(self, key: tuple[Any, ...], compute: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        with self.store.reading() as db:
            value = compute(db)
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > _MEMO:
                self._memo.popitem(last=False)
        return value

    def line(self, item: Item) -> bytes:
        """The record line of a live item, read from this snapshot's works shards."""
        if item.digest is None:
            raise ValueError(f"{item.id} is a deleted record: it has no line")
        with self.store.reading() as db:
            rows = db.execute("SELECT shard, offset, length FROM lines WHERE id = ? AND digest = ?",
                              (item.id, item.digest)).fetchall()
        held = [(self.works[shard][0], offset, length, shard) for shard, offset, length in rows if shard in self.works]
        if not held:
            raise ValueError(f"{item.id}: no works shard of this snapshot holds the record")
        _, offset, length, shard = max(held)
        return os.pread(self.works[shard][1].fileno(), length, offset)


def _item(row: tuple[Any, ...]) -> Item:
    return Item(row[0], row[1], row[2], tuple(row[3].split()))


def index_snapshot(store: IndexStore, snapshot: Snapshot, in_use: Iterable[int]) -> Index:
    """`snapshot` indexed in `store` (as far as it is not yet), its works shards held open. Raises
    OSError when one of its files cannot be read (it vanished), sqlite3.Error when the index cannot."""
    works: list[tuple[str, BinaryIO]] = []
    try:
        for part, path in zip(snapshot.parts("works.jsonl"), snapshot.part_paths("works.jsonl"), strict=True):
            handle = open(path, "rb")  # noqa: SIM115 - held by the Index, closed by it
            works.append((part_key("works", part, os.fstat(handle.fileno())), handle))
        with contextlib.ExitStack() as stack:
            tombstones: list[tuple[str, BinaryIO]] = []
            for part, path in zip(snapshot.parts("tombstones.jsonl"), snapshot.part_paths("tombstones.jsonl"),
                                  strict=True):
                handle = stack.enter_context(open(path, "rb"))
                tombstones.append((part_key("tombstones", part, os.fstat(handle.fileno())), handle))
            generation = store.build(snapshot, works, tombstones, in_use)
        with store.reading() as db:
            sets, sizes = dict(PARENT_SETS), {}
            for spec, name, size in db.execute(f"SELECT spec, name, size FROM sets WHERE {_ALIVE}", {"g": generation}):
                sizes[spec] = int(size)
                if spec != TOTAL:
                    sets[spec] = name
            first = db.execute(f"SELECT datestamp FROM items WHERE {_ALIVE} ORDER BY datestamp, id LIMIT 1",
                               {"g": generation}).fetchone()
            fallback = db.execute("SELECT fallback FROM generations WHERE generation = ?", (generation,)).fetchone()
            numbers = {str(key): int(shard) for key, shard in db.execute(
                "SELECT key, shard FROM shards WHERE key IN (SELECT value FROM json_each(?))",
                (_json([key for key, _ in works]),))}
    except BaseException:
        _close_all([handle for _, handle in works])
        raise
    held = {numbers[key]: (position, handle) for position, (key, handle) in enumerate(works)}
    # Two shards of identical bytes hold the same lines; the one not kept is closed now.
    _close_all([handle for key, handle in works if held[numbers[key]][1] is not handle])
    return Index(store, snapshot, generation, held, sets, sizes, first[0] if first else str(fallback[0]))
