"""Every core on one machine (`colophon crawl --workers N`): pages read in extraction processes
beside the crawl process give the dataset a single process gives; an extraction process that dies
is replaced and its pages read again; a page that stops a reader twice is a reject."""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.extract import Catalogue, Fetch, Harvest, harvest_page
from crawler.harvesters import Harvester
from models import Reject, Work
from output.warc import Exchange, Records, exchange_records
from tests import synthetic
from tests.support import (
    REPO,
    SAMPLE,
    origin,
    origin_stats,
    problems,
    published,
    read_jsonl,
    run_colophon,
    warc_captures,
)

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")
FATAL = b"<!-- stops the process that reads it -->"


def _fatal(body: bytes, url: str, page_id: str, catalogue: Catalogue, fetch: Fetch) -> Harvest:
    """A reader (run in an extraction process) that dies on a marked page, as a crash in native code would."""
    if FATAL in body:
        os._exit(70)
    return harvest_page(body, url, page_id, catalogue, fetch)


def _pool_processes(parent: int) -> list[int]:
    """The extraction processes a crawl process started."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"crawler.harvesters" in command:
            children.append(int(entry.name))
    return children


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A site of some 100 pages, served for the module, and what a single-process crawl of it publishes."""
    folder = tmp_path_factory.mktemp("workers")
    site = synthetic.build(folder / "site", authors=2, works=45)
    with origin(site) as base:
        single = folder / "single"
        result = run_colophon("crawl", base, "--out", str(single), *FAST, "--workers", "1")
        assert result.returncode == 0, result.stdout + result.stderr
        yield {"site": site, "base": base, "published": published(single), "single": single}


def test_the_records_kept_as_warc_are_those_one_process_keeps(reference: dict[str, object], tmp_path: Path) -> None:
    """Built in the extraction processes, written by the crawl process: the same records, each
    request beside its response, each page's provenance pointing at its own response."""
    out = tmp_path / "pool"
    result = run_colophon("crawl", str(reference["base"]), "--out", str(out), *FAST, "--workers", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    single, single_located, single_broken = warc_captures(Path(str(reference["single"])))
    pooled, located, broken = warc_captures(out)
    assert pooled == single
    assert broken == single_broken == []
    assert sum(1 for kind, *_ in pooled if kind == "response") > 95
    works = read_jsonl(out / "works.jsonl")
    assert works and len(located) == len(pooled) and len(single_located) == len(single)
    for work in works:
        warc = work["provenance"]["warc"]
        assert located[(warc["file"], warc["offset"])] == ("response", work["url"]), work["url"]


def test_readers_beside_the_crawl_publish_what_one_process_publishes(reference: dict[str, object],
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "pool"
    result = run_colophon("crawl", str(reference["base"]), "--out", str(out), *FAST, "--workers", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert published(out) == reference["published"]
    assert len(reference["published"]["works"]) > 95  # type: ignore[index]
    assert problems(out) == []


def test_a_reader_killed_mid_crawl_is_replaced_and_nothing_is_lost(reference: dict[str, object],
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "killed"
    base = str(reference["base"])
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(out), *FAST, "--workers", "2",
         "--log-level", "WARNING", "--delay", "0.01"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before = sum(origin_stats(base)["requests"].values())
    deadline = time.monotonic() + 60
    victims: list[int] = []
    while time.monotonic() < deadline and process.poll() is None:
        victims = _pool_processes(process.pid)
        if victims and sum(origin_stats(base)["requests"].values()) - before > 40:
            break  # in the middle of the crawl, the pool reading pages
        time.sleep(0.02)
    assert victims, "the crawl started no extraction process"
    os.kill(victims[0], signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stdout + stderr
    assert "an extraction process stopped (exit -9); starting another" in stderr
    assert published(out) == reference["published"]  # every page read, none twice, none rejected


def test_a_page_that_stops_its_reader_twice_is_a_reject_and_the_rest_is_read() -> None:
    page = (SAMPLE / "archive/baker/1944/02/jail.htm").read_bytes()
    fatal = page.replace(b"<body>", b"<body>" + FATAL, 1)
    fetch = Fetch(fetched_at="2026-01-01T00:00:00+00:00")

    async def read() -> tuple[Harvester, Harvest, Harvest]:
        harvester = Harvester(2, read="tests.test_workers:_fatal")
        harvester.start(Catalogue())
        try:
            bad = await harvester.harvest(fatal, "https://www.marxists.org/archive/baker/1944/02/fatal.htm",
                                          "archive/baker/1944/02/fatal.htm", fetch)
            # The readers stand again for the pages after.
            good = await harvester.harvest(page, "https://www.marxists.org/archive/baker/1944/02/jail.htm",
                                           "archive/baker/1944/02/jail.htm", fetch)
        finally:
            await harvester.close()
        return harvester, bad, good

    harvester, bad, good = asyncio.run(read())
    assert isinstance(bad.record, Reject) and bad.record.code == "extract_crashed"
    assert harvester.restarts == 2 and harvester.crashed == 1
    assert isinstance(good.record, Work) and good.record.title
    assert good == harvest_page(page, "https://www.marxists.org/archive/baker/1944/02/jail.htm",
                                "archive/baker/1944/02/jail.htm", Catalogue(), fetch)


def test_workers_must_be_a_positive_number() -> None:
    result = run_colophon("crawl", "--sample", "--workers", "0", timeout=60)
    assert result.returncode == 2 and "--workers must be at least 1" in result.stderr
    with pytest.raises(ValueError, match="COLOPHON_WORKERS"):
        Harvester(0)


def test_an_exchange_is_kept_by_the_readers_as_the_crawl_process_keeps_it() -> None:
    """The records an extraction process builds are those built here (but for their ids and dates);
    an exchange that cannot be built there is built here, where what fails says why, and no
    process is lost to it."""
    body = b"<html><head><title>A page</title></head><body><p>Text.</p></body></html>"
    exchange = Exchange("http://127.0.0.1:9/archive/x.htm", 200, "200 OK", "HTTP/1.1",
                        [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], body,
                        "GET /archive/x.htm HTTP/1.1", [("Host", "127.0.0.1:9"), ("Accept", "text/html")], b"", None)
    broken = exchange._replace(headers=None)

    async def keep() -> tuple[Harvester, Records, BaseException | None]:
        harvester = Harvester(2)
        harvester.start(Catalogue())
        try:
            records = await harvester.capture(exchange)
            try:
                await harvester.capture(broken)  # type: ignore[arg-type]
            except Exception as error:
                return harvester, records, error
            return harvester, records, None
        finally:
            await harvester.close()

    harvester, records, error = asyncio.run(keep())
    here = exchange_records(exchange)

    def stable(members: list[bytes]) -> list[bytes]:
        text = [gzip.decompress(member) for member in members]
        return [re.sub(rb"(WARC-Record-ID|WARC-Concurrent-To): <urn:uuid:[^>]+>|WARC-Date: \S+", b"", t) for t in text]

    assert (records.counted, records.location, records.digest) == (here.counted, "new", here.digest)
    assert len(records.members) == 2 and stable(records.members) == stable(here.members)
    assert isinstance(error, TypeError)
    assert harvester.restarts == 0


def test_a_broken_pool_keeps_the_exchange_and_leaves_the_verdict_to_reading() -> None:
    """Extraction processes that die before they are ready: an exchange is still kept (built here),
    and it is reading the page that says the pool is broken, which stops the crawl."""
    from crawler.harvesters import ExtractionBroken

    exchange = Exchange("http://127.0.0.1:9/p.htm", 200, "200 OK", "HTTP/1.1", [("Content-Type", "text/html")],
                        b"<html/>", "GET /p.htm HTTP/1.1", [("Host", "127.0.0.1:9")], b"", None)

    async def run() -> list[Records]:
        harvester = Harvester(2, read="crawler.no_such_module:read")
        harvester.start(Catalogue())
        kept = []
        try:
            with pytest.raises(ExtractionBroken, match="before they were ready"):
                for n in range(20):
                    kept.append(await harvester.capture(exchange))
                    await harvester.harvest(b"<html/>", f"http://127.0.0.1:9/p{n}.htm", f"p{n}.htm",
                                            Fetch(fetched_at="2026-01-01T00:00:00+00:00"))
            kept.append(await harvester.capture(exchange))  # broken for good: still kept
        finally:
            await harvester.close()
        return kept

    kept = asyncio.run(run())
    assert len(kept) >= 2 and all(r.counted == "records" and len(r.members) == 2 for r in kept)
