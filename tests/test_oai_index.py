"""The persisted OAI-PMH index: a restart after a publication reads only the shards and change sets
it added, and lists exactly what the snapshot holds; a damaged or deleted index file is rebuilt; a
folder that cannot hold it gets a temporary one; a request keeps reading the snapshot it began
with; a resumption token continues across a publication that changed nothing it lists; every page
of a long list costs the same, whatever its position."""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree

from output.dataset import bucket, file_digest, part_path, shard_of
from output.oai import Repository, index
from output.oai.index import INDEX_DIR, INDEX_FILE, KEEP_INDEXED, dataset_stamp, record_sets
from output.snapshot import CHANGES_DIR, Snapshot
from tests import synthetic
from tests.support import origin, run_colophon
from tests.test_oai import CRAWL

OAI = "{http://www.openarchives.org/OAI/2.0/}"
BASE = "http://127.0.0.1/oai"
Header = tuple[str, bool, tuple[str, ...]]  # datestamp, deleted, sets


# --- a dataset published as output.publish lays it out ---------------------------------------------


class Publisher:
    """Publishes generations of a dataset folder from records held in memory, laid out as
    output.publish lays them out: shards chosen by a hash of the id, records in id order, a shard
    none of whose records changed hard-linked from the generation before, a change set per run,
    the `snapshot` link switched by one rename, older generations removed beyond `keep`."""

    def __init__(self, folder: Path, shards: int = 8, keep: int = 3) -> None:
        self.folder = folder
        self.shards = shards
        self.keep = keep
        self.records: dict[str, dict[str, dict[str, Any]]] = {"works": {}, "tombstones": {}}
        self.parts: dict[str, list[dict[str, Any]]] = {"works": [], "tombstones": []}  # as last published
        self.runs: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def generation(self) -> Path:
        return self.folder / ".snapshots" / self.runs[-1]

    def publish(self, run: str, at: str, works: Iterable[dict[str, Any]] = (), removed: Iterable[str] = ()) -> None:
        """One run: `works` added or modified, the works `removed` turned into tombstones, all at `at`."""
        changes: list[dict[str, Any]] = []
        touched: dict[str, set[int]] = {"works": set(), "tombstones": set()}
        for work in works:
            op = "modified" if work["id"] in self.records["works"] else "added"
            self.records["works"][work["id"]] = work
            touched["works"].add(shard_of(bucket(work["id"]), self.shards))
            changes.append({"op": op, "id": work["id"], "url": work["url"], "run": run, "at": at, "record": work})
        for record_id in removed:
            work = self.records["works"].pop(record_id)
            self.records["tombstones"][record_id] = {"id": record_id, "url": work["url"], "removed_run": run,
                                                     "removed_at": at}
            touched["works"].add(shard_of(bucket(record_id), self.shards))
            touched["tombstones"].add(shard_of(bucket(record_id), self.shards))
            changes.append({"op": "removed", "id": record_id, "url": work["url"], "run": run, "at": at})
        previous = self.generation if self.runs else None
        self.runs.append(run)
        (self.folder / CHANGES_DIR).mkdir(exist_ok=True)
        (self.folder / CHANGES_DIR / f"{run}.jsonl").write_bytes(b"".join(orjson.dumps(c) + b"\n" for c in changes))
        resources = [self._resource(name, previous, touched[name]) for name in ("works", "tombstones")]
        resources += [{"name": f"changes-{r}", "path": f"{CHANGES_DIR}/{r}.jsonl"} for r in self.runs]
        (self.generation / "datapackage.json").write_bytes(orjson.dumps(
            {"name": "colophon-dataset", "updated": at, "resources": resources}))
        os.symlink(f".snapshots/{run}", self.folder / "snapshot.tmp")
        os.replace(self.folder / "snapshot.tmp", self.folder / "snapshot")
        for name in ("works", "tombstones", "datapackage.json"):
            if not (self.folder / name).is_symlink():
                os.symlink(f"snapshot/{name}", self.folder / name)
        for old in self.runs[:-self.keep]:
            shutil.rmtree(self.folder / ".snapshots" / old, ignore_errors=True)

    def _resource(self, name: str, previous: Path | None, touched: set[int]) -> dict[str, Any]:
        by_shard: list[list[dict[str, Any]]] = [[] for _ in range(self.shards)]
        for record_id, record in self.records[name].items():
            by_shard[shard_of(bucket(record_id), self.shards)].append(record)
        parts = []
        for number, members in enumerate(by_shard):
            path = part_path(f"{name}.jsonl", number)
            target = self.generation / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if previous is not None and number not in touched:
                os.link(previous / path, target)
                parts.append(self.parts[name][number])
                continue
            members.sort(key=lambda record: str(record["id"]))
            target.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in members))
            size, sha, count = file_digest(target)
            parts.append({"path": path, "bytes": size, "hash": f"sha256:{sha}", "records": count})
        self.parts[name] = parts
        return {"name": name, "path": [part["path"] for part in parts], "parts": parts}


def work(n: int, authors: int = 4, revision: int = 0) -> dict[str, Any]:
    """Work `n`, by one of `authors` writers, in one of three periodicals."""
    author = n % authors
    return {"id": f"archive/writer{author}/w{n}.htm", "url": f"https://www.marxists.org/archive/writer{author}/w{n}.htm",
            "kind": "work", "title": f"Article {n}" + (f", revised {revision}" if revision else ""),
            "author": {"name": f"Writer{author} Example", "slug": f"writer{author}"},
            "citation": {"container_title": f"Paper {n % 3}"}}


def moment(day: int) -> str:
    """Midnight UTC, `day` days after 1 January 2025, as the dataset writes times."""
    return (dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)).isoformat()


@pytest.fixture
def published(tmp_path: Path) -> Publisher:
    """A folder of 120 works in 8 shards, published over three runs; the last removed two of them."""
    dataset = Publisher(tmp_path / "out")
    dataset.publish("run-1", moment(0), [work(n) for n in range(100)])
    dataset.publish("run-2", moment(1), [work(n) for n in range(100, 120)] + [work(3, revision=1)])
    dataset.publish("run-3", moment(2), removed=[work(7)["id"], work(8)["id"]])
    return dataset


# --- what the repository lists, and what it should -------------------------------------------------


def expected(folder: Path) -> dict[str, Header]:
    """The headers a full harvest should list, from the snapshot's files: a work's datestamp is
    the `at` of the last change set that touched it, else `updated`; a tombstone's its `removed_at`."""
    snapshot = Snapshot.open(folder)
    fallback = dataset_stamp(snapshot.datapackage.get("updated")) or "1970-01-01T00:00:00Z"
    touched: dict[str, str] = {}
    for run in snapshot.change_sets():
        path = snapshot.path(f"{CHANGES_DIR}/{run}.jsonl")
        for line in path.read_bytes().splitlines() if path.is_file() else []:
            change = orjson.loads(line)
            if stamp := dataset_stamp(change.get("at")):
                touched[change["id"]] = stamp
    headers: dict[str, Header] = {}
    for line in snapshot.lines("works.jsonl"):
        record = orjson.loads(line)
        headers[record["id"]] = (touched.get(record["id"], fallback), False, tuple(record_sets(record)[0]))
    for line in snapshot.lines("tombstones.jsonl"):
        tombstone = orjson.loads(line)
        if tombstone.get("id") and tombstone["id"] not in headers:
            headers[tombstone["id"]] = (dataset_stamp(tombstone["removed_at"]) or fallback, True, ())
    return headers


def pages(repository: Repository, query: str) -> Iterator[etree._Element]:
    """Every page of a list, following its resumption tokens."""
    while query:
        root = etree.fromstring(repository.respond(query.encode(), BASE))
        error = root.find(f"{OAI}error")
        assert error is None, (error.get("code"), error.text)
        yield root
        token = root.findtext(f".//{OAI}resumptionToken")
        query = f"verb={root[2].tag.removeprefix(OAI)}&resumptionToken={token}" if token else ""


def harvest(repository: Repository, arguments: str = "") -> dict[str, Header]:
    headers: dict[str, Header] = {}
    for root in pages(repository, f"verb=ListIdentifiers&metadataPrefix=oai_dc{arguments}"):
        for header in root.iter(f"{OAI}header"):
            identifier = (header.findtext(f"{OAI}identifier") or "").split(":", 2)[-1]
            assert identifier not in headers, f"{identifier} listed twice"
            headers[identifier] = (header.findtext(f"{OAI}datestamp") or "", header.get("status") == "deleted",
                                   tuple(s.text or "" for s in header.iter(f"{OAI}setSpec")))
    return headers


def reads(repository: Repository) -> dict[str, int]:
    """What indexing the folder's snapshot read: shards of each type and change sets."""
    repository.index()
    assert repository.store is not None
    return dict(repository.store.reads)


def answer(repository: Repository, query: str) -> etree._Element:
    return etree.fromstring(repository.respond(query.encode(), BASE))


def error_code(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None


def token_of(root: etree._Element) -> str:
    token = root.findtext(f".//{OAI}resumptionToken")
    assert token
    return str(token)


# --- a restart costs what a publication changed ----------------------------------------------------


def test_a_restart_after_each_publication_reads_only_what_it_added(tmp_path: Path) -> None:
    """Real crawls publish into a folder of many shards; after each, a server started on the
    folder reads the shards and change sets that publication added, and nothing else."""
    site = synthetic.build(tmp_path / "site", authors=3, works=30)
    out = tmp_path / "out"
    with origin(site) as base:
        def crawl() -> None:
            result = run_colophon("crawl", base, "--out", str(out), *CRAWL, "--shard-bytes", "4096")
            assert result.returncode == 0, result.stdout + result.stderr

        crawl()
        snapshot = Snapshot.open(out)
        shards = {index.part_key("works", part, path.stat())  # two empty shards may be one file's bytes
                  for part, path in zip(snapshot.parts("works.jsonl"), snapshot.part_paths("works.jsonl"), strict=True)}
        assert len(shards) >= 8
        first = Repository(out, page_size=7)
        assert reads(first) == {"works": len(shards), "tombstones": 1, "changes": 1}
        assert harvest(first) == expected(out)
        assert (out / INDEX_DIR / INDEX_FILE).is_file()
        first.close()

        page = site / synthetic.work_path("writer1", 4)
        page.write_text(page.read_text().replace("second paragraph", "corrected paragraph"))
        crawl()
        edited = Repository(out, page_size=7)
        assert reads(edited) == {"works": 1, "changes": 1}  # the edited work's shard and the run's change set
        assert harvest(edited) == expected(out)

        (site / synthetic.work_path("writer2", 9)).unlink()
        crawl()
        removed = Repository(out, page_size=7)
        assert reads(removed) == {"works": 1, "tombstones": 1, "changes": 1}
        assert harvest(removed) == expected(out)
        assert harvest(removed)[synthetic.work_path("writer2", 9)][1] is True

        crawl()  # nothing changed: every shard is linked from the snapshot before
        assert reads(Repository(out, page_size=7)) == {"changes": 1}
        assert reads(Repository(out, page_size=7)) == {}  # the same snapshot, already indexed


def test_a_running_server_indexes_each_publication_as_it_comes(published: Publisher) -> None:
    repository = Repository(published.folder, page_size=9)
    assert harvest(repository) == expected(published.folder)
    assert repository.store is not None
    before = repository.store.reads.copy()
    published.publish("run-4", moment(3), [work(5, revision=4), work(200)], removed=[work(9)["id"]])
    assert harvest(repository) == expected(published.folder)
    touched = {shard_of(bucket(work(n)["id"]), published.shards) for n in (5, 200, 9)}
    assert dict(repository.store.reads - before) == {"works": len(touched), "tombstones": 1, "changes": 1}
    assert len(harvest(repository, "&from=2025-01-04")) == 3


def test_change_sets_folded_away_give_their_records_the_datestamps_left(published: Publisher) -> None:
    """A snapshot whose change sets do not continue the ones indexed (an older one folded away):
    its records take the `at` of the last change set it still lists, else its `updated`."""
    repository = Repository(published.folder)
    assert harvest(repository) == expected(published.folder)
    published.publish("run-4", moment(3))
    package = orjson.loads((published.generation / "datapackage.json").read_bytes())
    package["resources"] = [r for r in package["resources"] if r["path"] != f"{CHANGES_DIR}/run-2.jsonl"]
    (published.generation / "datapackage.json").write_bytes(orjson.dumps(package))
    listed = harvest(repository)
    assert listed == expected(published.folder)
    assert listed[work(110)["id"]][0] == "2025-01-04T00:00:00Z"  # only run-2 touched it: `updated` now
    assert listed[work(3)["id"]][0] == "2025-01-01T00:00:00Z"    # back to run-1's `at`
    assert listed[work(50)["id"]][0] == "2025-01-01T00:00:00Z"


# --- the index file is a cache -----------------------------------------------------------------------


def _overwrite(start: int, length: int | None = None) -> Callable[[Path], None]:
    """Garbage written over the file from byte `start`, `length` bytes of it (None: to its end)."""
    def damage(path: Path) -> None:
        with open(path, "r+b") as handle:
            handle.seek(start)
            handle.write(b"\xa5" * (path.stat().st_size - start if length is None else length))
    return damage


def _other_schema(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")


@pytest.mark.parametrize("damage", [
    pytest.param(lambda path: path.unlink(), id="deleted"),
    pytest.param(lambda path: path.write_bytes(b""), id="emptied"),
    pytest.param(lambda path: path.write_bytes(b"not an index, only text\n" * 400), id="not-a-database"),
    pytest.param(_overwrite(0, 100), id="garbage-header"),
    pytest.param(_overwrite(4096), id="garbage-after-the-first-page"),
    pytest.param(lambda path: os.truncate(path, path.stat().st_size // 3), id="truncated"),
    pytest.param(_other_schema, id="another-schema"),
])
def test_a_damaged_index_file_is_rebuilt(published: Publisher, damage: Callable[[Path], None]) -> None:
    repository = Repository(published.folder)
    assert harvest(repository) == expected(published.folder)
    repository.close()
    path = published.folder / INDEX_DIR / INDEX_FILE
    assert not path.with_name(INDEX_FILE + "-wal").exists()  # closed: everything is in the file itself
    damage(path)
    again = Repository(published.folder)
    assert harvest(again) == expected(published.folder)
    assert again.store is not None and again.store.path == path  # rebuilt in its place
    assert again.store.reads["works"] == published.shards  # every shard read again


def test_an_index_file_damaged_under_a_running_server_is_rebuilt(published: Publisher) -> None:
    repository = Repository(published.folder, page_size=5)
    assert harvest(repository) == expected(published.folder)
    path = published.folder / INDEX_DIR / INDEX_FILE
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _overwrite(4096)(path)
    assert harvest(repository) == expected(published.folder)


def test_a_folder_that_cannot_hold_the_index_gets_a_temporary_one(published: Publisher) -> None:
    (published.folder / INDEX_DIR).write_text("a file where the index directory would be")
    repository = Repository(published.folder)
    assert harvest(repository) == expected(published.folder)
    assert repository.store is not None
    temporary = repository.store.path.parent
    assert published.folder not in repository.store.path.parents and temporary.is_dir()
    published.publish("run-4", moment(3), [work(300)])
    assert harvest(repository) == expected(published.folder)
    assert repository.store.reads["works"] == published.shards + 1  # the temporary index is kept up too
    repository.close()
    assert not temporary.exists()


# --- requests in flight, tokens across publications --------------------------------------------------


def test_a_request_in_flight_reads_the_snapshot_it_began_with(published: Publisher) -> None:
    published.keep = 1  # each publication removes the generation before at once
    repository = Repository(published.folder, page_size=10)
    held = repository.index()
    record_id = work(3)["id"]
    item = held.item(record_id)
    assert item is not None
    page = held.page(index.Selection(), None, 10)
    for n in range(KEEP_INDEXED + 3):
        published.publish(f"run-{4 + n}", moment(4 + n), [work(3, revision=10 + n)])
        assert repository.index() is not held
    assert not (published.folder / ".snapshots" / "run-3").exists()
    assert held.item(record_id) == item and held.page(index.Selection(), None, 10) == page
    assert orjson.loads(held.line(item))["title"] == "Article 3, revised 1"
    latest = repository.index().item(record_id)
    assert latest is not None and latest.datestamp > item.datestamp
    generation = held.generation
    del held
    gc.collect()
    published.publish("run-last", moment(30))
    repository.index()
    assert repository.store is not None
    with repository.store.reading() as db:
        assert db.execute("SELECT count(*) FROM generations WHERE generation = ?", (generation,)).fetchone()[0] == 0


def test_a_token_continues_across_a_publication_that_changed_nothing_it_lists(published: Publisher) -> None:
    repository = Repository(published.folder, page_size=5)
    in_set = "verb=ListIdentifiers&metadataPrefix=oai_dc&set=author:writer0"
    whole = "verb=ListRecords&metadataPrefix=marc21"
    set_token, whole_token = token_of(answer(repository, in_set)), token_of(answer(repository, whole))
    published.publish("run-4", moment(3))  # an unchanged refresh: a new snapshot, the same items
    set_root, whole_root = (answer(repository, f"verb={verb}&resumptionToken={token}") for verb, token in
                            (("ListIdentifiers", set_token), ("ListRecords", whole_token)))
    assert error_code(set_root) is None and error_code(whole_root) is None
    published.publish("run-5", moment(4), [work(1, revision=5)])  # writer1's: not in the set
    continued = answer(repository, f"verb=ListIdentifiers&resumptionToken={token_of(set_root)}")
    assert error_code(continued) is None
    stale = answer(repository, f"verb=ListRecords&resumptionToken={token_of(whole_root)}")
    assert error_code(stale) == "badResumptionToken"
    published.publish("run-6", moment(5), [work(4, revision=6)])  # writer0's
    assert error_code(answer(repository, f"verb=ListIdentifiers&resumptionToken={token_of(continued)}")) \
        == "badResumptionToken"


def test_a_list_continued_across_publications_is_the_list_of_one_snapshot(published: Publisher) -> None:
    repository = Repository(published.folder, page_size=4)
    before = expected(published.folder)
    seen: list[str] = []
    for number, root in enumerate(pages(repository, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=author:writer2")):
        seen += [(h.text or "").split(":", 2)[-1] for h in root.iter(f"{OAI}identifier")]
        published.publish(f"run-{10 + number}", moment(10 + number), [work(4 * number + 1, revision=number)])
    assert seen == sorted((record_id for record_id, header in before.items() if "author:writer2" in header[2]),
                          key=lambda record_id: (before[record_id][0], record_id))


# --- every page of a long list costs the same -----------------------------------------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """SQLite virtual machine steps run on every index connection."""
    steps = [0]
    real = index.connect

    def counting(path: Path) -> sqlite3.Connection:
        db = real(path)
        db.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 1)
        return db

    monkeypatch.setattr(index, "connect", counting)
    return steps


@pytest.mark.parametrize("arguments", ["", "&set=author:writer3", "&from=2025-01-03&until=2025-01-18"],
                         ids=["whole-list", "set", "datestamp-range"])
def test_every_page_of_a_long_list_costs_the_same(tmp_path: Path, counted: list[int], arguments: str) -> None:
    dataset = Publisher(tmp_path / "out", shards=4)
    for day in range(20):  # 4,000 works over 20 runs: each its own datestamp
        dataset.publish(f"run-{day:02d}", moment(day), [work(n, authors=5) for n in range(day * 200, day * 200 + 200)])
    repository = Repository(dataset.folder, page_size=10)
    repository.index()
    costs = []
    query = f"verb=ListIdentifiers&metadataPrefix=oai_dc{arguments}"
    while query:
        counted[0] = 0
        root = answer(repository, query)
        assert error_code(root) is None
        costs.append(counted[0])
        token = root.findtext(f".//{OAI}resumptionToken")
        query = f"verb=ListIdentifiers&resumptionToken={token}" if token else ""
    assert len(costs) >= 80
    following = costs[1:] if "from" in arguments else costs  # a range's first page also counts it, once
    # Pages differ by a few steps (where a page crosses from one datestamp to the next), not by position.
    assert max(following) <= 1.25 * min(following), following
    assert following[-1] <= 1.25 * following[0], (following[0], following[-1])
    counted[0] = 0
    repository.index().size(index.Selection(start="0000-01-01T00:00:00Z"))  # one pass over the whole list
    assert max(following) * 50 < counted[0]  # a page reads a page, not the list
