"""Test support: the shared corpus (unpacked once per session) and the gold projection."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("COLOPHON_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
CORPUS_TAR = SHARED / "corpus" / "mia-sample.tar.gz"
GOLD = SHARED / "corpus" / "gold" / "gold-dev.jsonl"
SKIP_REASON = f"the shared corpus is not beside the checkout ({CORPUS_TAR} missing)"


def unpack_corpus(target: Path | None = None) -> Path:
    """The sample corpus unpacked in a temporary folder (reused while it exists)."""
    target = target or Path(tempfile.gettempdir()) / f"colophon-corpus-{os.getuid()}"
    marker = target / ".unpacked"
    stamp = str(CORPUS_TAR.stat().st_mtime)
    target.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # test processes running side by side unpack it once
        if marker.exists() and marker.read_text() == stamp:
            return target
        with tarfile.open(CORPUS_TAR) as tar:
            tar.extractall(target, filter="data")
        marker.write_text(stamp)
    return target


def corpus_pages(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in (".htm", ".html") and p.is_file())


def gold_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


GOLD_FIELDS = (
    "kind", "language", "title", "author_name", "author_byline", "date",
    "citation.container_title", "citation.volume", "citation.issue", "citation.pages",
    "citation.date_value", "transcription", "licence_status", "series", "last_updated",
)


def project(record: dict[str, Any]) -> dict[str, Any]:
    """A record in the gold file's shape."""
    author = record.get("author") or {}
    citation = record.get("citation")
    series = record.get("series")
    root = record["url"][: len(record["url"]) - len(record["id"])]
    date = record.get("date")
    last = record.get("last_updated")
    return {
        "kind": record["kind"],
        "language": record.get("language"),
        "title": record.get("title"),
        "author_name": author.get("name"),
        "author_byline": author.get("byline"),
        "date": {"raw": date["raw"], "value": date["value"], "precision": date["precision"]} if date else None,
        "citation.container_title": citation.get("container_title") if citation else None,
        "citation.volume": citation.get("volume") if citation else None,
        "citation.issue": citation.get("issue") if citation else None,
        "citation.pages": citation.get("pages") if citation else None,
        "citation.date_value": (citation.get("date") or {}).get("value") if citation else None,
        "transcription": sorted(c["name"] for c in record.get("credits", []) if c["role"] == "transcription")
        if "credits" in record else None,
        "licence_status": (record.get("licence") or {}).get("status") if "licence" in record else None,
        "series": {
            "position": series.get("position"),
            "continued": series.get("continued"),
            "next_path": series["next_url"][len(root):] if series.get("next_url") else None,
        } if series else None,
        "last_updated": last.get("value") if last else None,
    }


def expected(gold: dict[str, Any]) -> dict[str, Any]:
    date = gold.get("date")
    citation = gold.get("citation")
    return {
        "kind": gold["kind"],
        "language": gold["language"],
        "title": gold["title"],
        "author_name": gold["author_name"],
        "author_byline": gold["author_byline"],
        "date": {"raw": date["raw"], "value": date["value"], "precision": date["precision"]} if date else None,
        "citation.container_title": citation["container_title"] if citation else None,
        "citation.volume": citation["volume"] if citation else None,
        "citation.issue": citation["issue"] if citation else None,
        "citation.pages": citation["pages"] if citation else None,
        "citation.date_value": citation["date_value"] if citation else None,
        "transcription": sorted(gold["transcription"]) if gold["transcription"] is not None else None,
        "licence_status": gold["licence_status"],
        "series": gold["series"],
        "last_updated": gold["last_updated"],
    }


def scored_fields(gold: dict[str, Any]) -> list[str]:
    """The fields scored for one gold page: not those marked uncertain, not those that do not
    apply to its kind (the gold file says null for them)."""
    uncertain = set(gold.get("uncertain") or [])
    fields = []
    for name in GOLD_FIELDS:
        if name in uncertain or name.split(".")[0] in uncertain:
            continue
        if gold["kind"] not in ("work", "toc") and expected(gold)[name] is None and name not in (
                "kind", "title", "language", "author_name", "last_updated"):
            continue
        fields.append(name)
    return fields


REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "crawler" / "sample_archive"  # the archive `colophon crawl --sample` reads


class _Origins:
    """One `tests.origin --many` process for this test process: each origin() mounts a root on a
    port of its own and unmounts it after (the port then refuses connections, as a server that is
    down), without the start-up of a server per test."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None

    def _command(self, command: dict[str, Any]) -> str:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = subprocess.Popen([sys.executable, "-m", "tests.origin", "--many"], cwd=REPO,
                                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                atexit.register(self.close)
            assert self.process.stdin is not None and self.process.stdout is not None
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            return self.process.stdout.readline()

    def mount(self, root: Path, robots: str | None, slow: float) -> int:
        line = self._command({"mount": {"root": str(root), "robots": robots, "slow": slow}})
        if not line.startswith("PORT "):
            raise RuntimeError(f"origin did not start: {line!r}")
        return int(line.split()[1])

    def unmount(self, port: int) -> None:
        if self._command({"unmount": port}).strip() != "OK":
            raise RuntimeError(f"origin on port {port} did not stop")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_ORIGINS = _Origins()


@contextlib.contextmanager
def origin(root: Path, robots: str | None = None, slow: float = 5.0) -> Iterator[str]:
    """A static origin (tests/origin.py) serving ``root`` on 127.0.0.1; yields its base URL. Down
    (connections refused) once the block ends."""
    port = _ORIGINS.mount(root, robots, slow)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        _ORIGINS.unmount(port)


def origin_stats(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + "_stats", timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


# What a `colophon` command imports before it does anything (a second of a crawl's start-up): the
# fork server of this test process imports it once, and every command run_colophon() runs is a fork
# of it, a process of its own as `python -m crawler.cli` would be, without the imports. (Nothing it
# imports installs Twisted's reactor: each command installs its own, as it starts.)
PRELOAD = ["crawler.cli", "crawler.cli.crawl", "crawler.spiders.archive", "crawler.pipelines", "crawler.middlewares",
           "crawler.capture", "crawler.distributed", "crawler.run", "crawler.extensions", "crawler.incremental",
           "crawler.settings", "output.publish", "output.oai", "output.exports", "output.validate",
           "scrapy.crawler", "scrapy.core.engine", "scrapy.core.downloader.handlers.http11", "dateparser"]
_FORKS: Any = None


def _command(args: list[str], environment: dict[str, str | None], out: str, err: str) -> None:
    """A `colophon` command in a fork of the fork server: its own folder, environment and output."""
    import importlib

    os.chdir(REPO)
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for number, path in ((1, out), (2, err)):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(descriptor, number)
        os.close(descriptor)
    from output import faults

    importlib.reload(faults)  # COLOPHON_FAULT is read when the module is imported
    from crawler.cli import main

    code: Any = 0
    try:
        code = main(args)
    except SystemExit as stop:
        code = stop.code
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


def _forks() -> Any:
    global _FORKS
    if _FORKS is None:
        import multiprocessing

        _FORKS = multiprocessing.get_context("forkserver")
        _FORKS.set_forkserver_preload(PRELOAD)
    return _FORKS


def run_colophon(*args: str, timeout: float = 600,
                 env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m crawler.cli ARGS` in a process of its own (a fork of the fork server), its output
    captured; ``env``: variables set (or, None, removed) for it."""
    with tempfile.TemporaryDirectory(prefix="colophon-run-") as folder:
        out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
        process = _forks().Process(target=_command, args=(list(args), env or {}, out, err), daemon=True)
        process.start()
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(["colophon", *args], timeout)
        output = [Path(path).read_text(encoding="utf-8", errors="replace") if os.path.exists(path) else ""
                  for path in (out, err)]
        return subprocess.CompletedProcess(["colophon", *args], process.exitcode, *output)


def problems(folder: Path) -> list[str]:
    """What `colophon validate` finds wrong with a dataset folder (nothing: []), without the start-up
    of a process; the command itself is tested in tests/test_crawl.py and tests/test_exit_codes.py."""
    from output.validate import validate_dataset

    return validate_dataset(folder)


RECORD_FILES = ("works", "indexes", "other", "rejects", "tombstones")


def stable(record: dict[str, Any]) -> dict[str, Any]:
    """A record (or change) without what differs from one fetch of the same bytes to the next: when
    it was fetched or removed, and by which run."""
    record = {k: v for k, v in record.items() if k not in ("fetched_at", "removed_at", "removed_run", "at", "run")}
    if isinstance(record.get("provenance"), dict):  # and where its bytes were kept (the fetch's WARC file)
        record["provenance"] = {k: v for k, v in record["provenance"].items() if k not in ("fetched_at", "warc")}
    if isinstance(record.get("record"), dict):
        record["record"] = stable(record["record"])
    return record


def warc_captures(out: Path) -> tuple[list[tuple[str, ...]], dict[tuple[str, int], tuple[str, str]], list[str]]:
    """A dataset's WARC records as what they keep (type, URI, payload digest, HTTP status line,
    header names), sorted; each record's (file, offset) with its type and URI; and every way a
    record breaks the links between a request and its response."""
    from warcio.archiveiterator import ArchiveIterator

    kept: list[tuple[str, ...]] = []
    located: dict[tuple[str, int], tuple[str, str]] = {}
    broken: list[str] = []
    for path in sorted((out / "warc").glob("*.warc.gz")):
        ids: dict[str, str] = {}
        concurrent: list[str] = []
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream, check_digests=True)
            for record in records:
                headers = record.rec_headers
                kind, uri = record.rec_type, headers.get_header("WARC-Target-URI") or ""
                ids[headers.get_header("WARC-Record-ID")] = kind
                http = record.http_headers
                names = sorted(name.lower() for name, _ in http.headers if name.lower() != "date") if http else []
                kept.append((kind, uri, headers.get_header("WARC-Payload-Digest") or "",
                             http.statusline if http else "", ",".join(names)))
                if kind == "request":
                    concurrent.append(headers.get_header("WARC-Concurrent-To"))
                record.content_stream().read()  # the digests are checked as it is read
                located[(f"warc/{path.name}", records.get_record_offset())] = (kind, uri)
        broken += [f"{path.name}: a request concurrent to {target}" for target in concurrent
                   if ids.get(target) not in ("response", "revisit")]
    return sorted(kept), located, broken


def unresolved_captures(out: Path) -> list[str]:
    """The published records whose `provenance.warc` does not lead to the response they were read
    from: a record there for their URL (or where it was fetched from), whose payload has the sha256
    the provenance gives (its Content-Encoding undone)."""
    import hashlib

    from output.snapshot import Snapshot
    from output.warc import read_stored

    snapshot = Snapshot.open(out)
    wrong = []
    for name in ("works", "indexes"):  # (the other pages' records hold no provenance)
        for record in read_jsonl(snapshot.path(f"{name}.jsonl")):
            provenance = record["provenance"]
            location = provenance.get("warc")
            if location is None:
                wrong.append(f"{record['url']}: no warc in its provenance")
                continue
            try:
                stored = read_stored(out / location["file"], location["offset"], decoded=True)
            except Exception as error:
                wrong.append(f"{record['url']}: {location} unreadable ({error})")
                continue
            if stored.url not in (record["url"], provenance.get("fetched_from")):
                wrong.append(f"{record['url']}: {location} holds {stored.url}")
            elif hashlib.sha256(stored.body).hexdigest() != provenance["content_sha256"]:
                wrong.append(f"{record['url']}: {location} holds other bytes")
    return wrong


def published(out: Path) -> dict[str, list[str]]:
    """What one snapshot of a dataset holds, read through one resolution of it, without fetch times."""
    from output.snapshot import Snapshot

    snapshot = Snapshot.open(out)
    return {name: sorted(json.dumps(stable(r), sort_keys=True) for r in read_jsonl(snapshot.path(f"{name}.jsonl")))
            for name in RECORD_FILES}


def dataset_bytes(folder: Path, file: str) -> bytes:
    """A record file of a published dataset as one byte string: its shards, in the order its
    datapackage lists them."""
    from output.snapshot import Snapshot

    return b"".join(path.read_bytes() for path in Snapshot.open(folder).part_paths(file))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines file; for a dataset's record file (`out / "works.jsonl"`), the
    records of its shards (`out / "works" / "*.jsonl"`) in order."""
    shards = path.with_suffix("")
    if not path.is_file() and shards.is_dir():
        return [record for shard in sorted(shards.glob("*.jsonl")) for record in read_jsonl(shard)]
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(folder: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """A Redis server on a loopback port, keeping nothing on disk (a restart loses everything)."""
    assert REDIS_SERVER is not None
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder), *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
