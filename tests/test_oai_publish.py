"""Harvesting with Sickle while crawls publish into the same folder: no error, and every harvest that
completes holds exactly the records of one published snapshot (never a mix, never a torn record)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sickle import Sickle
from sickle.oaiexceptions import BadResumptionToken

from output.snapshot import Snapshot
from tests import synthetic
from tests.support import origin, read_jsonl, run_colophon
from tests.test_oai import CRAWL, repository

OAI_ID = "oai:colophon.invalid:"


def _ids(out: Path) -> frozenset[str]:
    snapshot = Snapshot.open(out)
    return frozenset(w["id"] for w in read_jsonl(snapshot.path("works.jsonl")))


def test_harvests_while_crawls_publish(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=2, works=30)
    out = tmp_path / "out"
    snapshots: list[frozenset[str]] = []
    harvests: list[frozenset[str]] = []
    errors: list[str] = []
    restarts = 0
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *CRAWL).returncode == 0
        snapshots.append(_ids(out))
        with repository(out, page_size=10) as oai:
            stop = threading.Event()

            def harvest() -> None:
                nonlocal restarts
                sickle = Sickle(oai, max_retries=0, timeout=30)
                while not stop.is_set():
                    seen: list[str] = []
                    try:
                        for record in sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True):
                            assert record.metadata.get("title"), record.header.identifier
                            seen.append(record.header.identifier.removeprefix(OAI_ID))
                    except BadResumptionToken:
                        restarts += 1  # a publication between two pages: the protocol's way to say "start again"
                        continue
                    except Exception as error:  # anything else is a failure of the repository
                        errors.append(repr(error))
                        return
                    if len(seen) != len(set(seen)):
                        errors.append(f"a harvest listed a record twice ({len(seen)} items)")
                    harvests.append(frozenset(seen))

            thread = threading.Thread(target=harvest, daemon=True)
            thread.start()
            for cycle in range(4):
                # Each crawl publishes a change: one work edited, one removed.
                page = site / synthetic.work_path("writer0", cycle)
                page.write_text(page.read_text().replace("second paragraph", f"revised paragraph {cycle}"))
                (site / synthetic.work_path("writer1", cycle)).unlink()
                result = run_colophon("crawl", base, "--out", str(out), *CRAWL)
                assert result.returncode == 0, result.stdout + result.stderr
                snapshots.append(_ids(out))
            time.sleep(1.0)  # at least one harvest of the last snapshot
            stop.set()
            thread.join(timeout=60)
    assert not errors, errors
    assert harvests, "no harvest completed"
    assert len(set(snapshots)) == 5  # every crawl did publish a different snapshot
    for seen in harvests:
        assert seen in snapshots, "a harvest mixed two snapshots"
    assert harvests[-1] == snapshots[-1]
    assert len(set(harvests)) >= 3, "the harvests did not overlap the publications"


def test_the_harvest_loop_counts_what_it_should(tmp_path: Path) -> None:
    """The comparison above is meaningful: two snapshots of the loop differ in what a harvest sees."""
    site = synthetic.build(tmp_path / "site", authors=1, works=4)
    out = tmp_path / "out"
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *CRAWL).returncode == 0
        before = _ids(out)
        (site / synthetic.work_path("writer0", 1)).unlink()
        assert run_colophon("crawl", base, "--out", str(out), *CRAWL).returncode == 0
        with repository(out, page_size=2) as oai:
            seen: set[Any] = {r.header.identifier.removeprefix(OAI_ID)
                              for r in Sickle(oai).ListRecords(metadataPrefix="oai_dc", ignore_deleted=True)}
    assert seen == _ids(out) and seen != before
