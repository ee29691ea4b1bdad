"""`colophon serve` at archive scale: a dataset of 100,000 works (the sample archive's records,
multiplied) published as runs publish it (shards fixed by a hash of the id, unchanged shards
hard-linked, a change set per run), measured over loopback:

- start-up, from `colophon serve` to listening: cold (no index file), warm (the index holds the
  snapshot), and after a publication that changed 10 records (the index holds the one before);
  beside them the floor, the same start-up on a dataset of one record;
- a running server re-indexing after such a publication: the first request after it;
- the first, a middle and the last page of ListRecords (and of ListIdentifiers), 100 records a
  page, cached and with nothing cached (the first requests of a server just started): a page's
  latency must not grow with its position in the list.

Every figure is the median of rounds that alternate the kinds (ten times as many for cached pages,
which are quick, three times as many for uncached ones, which vary most). Results in
benchmarks/results/oai_scale.json.

    .venv/bin/python benchmarks/oai_scale.py [--records 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _corpus import ROOT
from oai_load import publisher_for, sample_works, synthetic_work

from output.oai.index import INDEX_DIR
from tests.test_oai_index import Publisher

RESULTS = ROOT / "benchmarks" / "results" / "oai_scale.json"
PAGE_SIZE = 100
CHANGED = 10                  # records a publication changes between two start-ups
PAGE_ROUNDS = 10              # rounds of page requests for each round of start-ups: a page is quick
UNCACHED_ROUNDS = 3           # servers started for each round of start-ups, to request pages with nothing cached
_TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")


@contextmanager
def serving(folder: Path) -> Iterator[tuple[float, int]]:
    """`colophon serve` on the folder: the seconds it took to listen, and its port."""
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", str(folder), "--port", "0",
                               "--page-size", str(PAGE_SIZE)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        elapsed = time.perf_counter() - started
        if " at http://" not in line:
            sys.exit(f"the server did not start: {line!r}")
        yield elapsed, int(line.rsplit(":", 1)[1].split("/")[0])
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def start_up(folder: Path) -> float:
    with serving(folder) as (elapsed, _):
        return elapsed


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, query: str) -> tuple[float, bytes]:
        started = time.perf_counter()
        self.connection.request("GET", f"/oai?{query}")
        response = self.connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200 or b"<error " in body:
            sys.exit(f"{query}: HTTP {response.status} {body[:500]!r}")
        return elapsed, body


class History:
    """The dataset, and the runs that change it: each modifies CHANGED works, one hour after the last."""

    def __init__(self, folder: Path, records: int) -> None:
        self.templates = sample_works(folder.parent / "sample")
        works = [synthetic_work(self.templates, n) for n in range(records)]
        self.records = records
        self.publisher: Publisher = publisher_for(folder, works)
        self.publisher.publish("20250101T000000000000Z", "2025-01-01T00:00:00+00:00", works)
        self.runs = 0

    def change(self) -> None:
        self.runs += 1
        step = self.records // CHANGED
        changed = [synthetic_work(self.templates, n * step + self.runs, self.runs) for n in range(CHANGED)]
        day, hour = divmod(self.runs, 24)
        self.publisher.publish(f"202502{1 + day:02d}T{hour:02d}0000000000Z",
                               f"2025-02-{1 + day:02d}T{hour:02d}:00:00+00:00", changed)


def page_queries(client: Client) -> list[str]:
    """The query of every page of the whole ListIdentifiers list, found by harvesting it."""
    queries = ["verb=ListIdentifiers&metadataPrefix=oai_dc"]
    while True:
        _, body = client.get(queries[-1])
        match = _TOKEN.search(body)
        if not match:
            return queries
        queries.append(f"verb=ListIdentifiers&resumptionToken={match.group(1).decode()}")


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def measure_start_up(folder: Path, floor: Path, history: History, rounds: int) -> dict[str, Any]:
    kinds: dict[str, list[float]] = {"floor": [], "cold": [], "warm": [], "after_change": [], "reindex_running": []}
    for _ in range(rounds):
        shutil.rmtree(floor / INDEX_DIR, ignore_errors=True)
        kinds["floor"].append(start_up(floor))
        shutil.rmtree(folder / INDEX_DIR, ignore_errors=True)
        kinds["cold"].append(start_up(folder))
        kinds["warm"].append(start_up(folder))
        history.change()
        kinds["after_change"].append(start_up(folder))
        with serving(folder) as (_, port):
            client = Client(port)
            client.get("verb=Identify")
            history.change()
            kinds["reindex_running"].append(client.get("verb=Identify")[0])
    return {f"{kind}_s": round(statistics.median(values), 3) for kind, values in kinds.items()} | {
        "rounds": {kind: [round(v, 3) for v in values] for kind, values in kinds.items()}}


def measure_pages(folder: Path, rounds: int) -> dict[str, Any]:
    """The first, middle and last page of each list: cached (one server, alternated rounds), and
    with nothing cached (a server started for each round, its first requests)."""
    with serving(folder) as (_, port):
        client = Client(port)
        started = time.perf_counter()
        queries = page_queries(client)
        results: dict[str, Any] = {"pages": len(queries), "full_harvest_listidentifiers_s":
                                   round(time.perf_counter() - started, 2)}
        positions = {"first": 0, "middle": len(queries) // 2, "last": len(queries) - 1}
        targets = {(verb, name): queries[page].replace("ListIdentifiers", verb)
                   for verb in ("ListRecords", "ListIdentifiers") for name, page in positions.items()}
        cached: dict[tuple[str, str], list[float]] = {target: [] for target in targets}
        for round_number in range(rounds * PAGE_ROUNDS):
            for target in targets if round_number % 2 == 0 else reversed(targets):
                cached[target].append(client.get(targets[target])[0])
    uncached: dict[tuple[str, str], list[float]] = {target: [] for target in targets}
    for round_number in range(rounds * UNCACHED_ROUNDS):
        with serving(folder) as (_, port):
            client = Client(port)
            for target in targets if round_number % 2 == 0 else reversed(targets):
                uncached[target].append(client.get(targets[target])[0])
    for verb in ("ListRecords", "ListIdentifiers"):
        medians = {name: statistics.median(cached[verb, name]) for name in positions}
        results[verb] = {f"{name}_ms": round(value * 1000, 1) for name, value in medians.items()} | {
            f"{name}_uncached_ms": median_ms(uncached[verb, name]) for name in positions} | {
            "last_over_first": round(medians["last"] / medians["first"], 2),
            "uncached_rounds_ms": {name: [round(v * 1000, 1) for v in uncached[verb, name]] for name in positions}}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, floor = Path(tmp) / "dataset", Path(tmp) / "floor"
        built = time.perf_counter()
        history = History(folder, args.records)
        Publisher(floor).publish("20250101T000000000000Z", "2025-01-01T00:00:00+00:00",
                                 [synthetic_work(history.templates, 0)])
        print(f"{args.records} works published in {time.perf_counter() - built:.0f} s; measuring start-up", flush=True)
        dataset_bytes = sum(p.stat().st_size for p in folder.rglob("*.jsonl"))
        start = measure_start_up(folder, floor, history, args.rounds)
        print("measuring pages", flush=True)
        pages = measure_pages(folder, args.rounds)
        index_bytes = sum(p.stat().st_size for p in (folder / INDEX_DIR).iterdir())
    summary = {"records": args.records, "page_size": PAGE_SIZE, "changed_per_publication": CHANGED,
               "rounds": args.rounds, "dataset_mb": round(dataset_bytes / 1e6), "index_mb": round(index_bytes / 1e6),
               "start_up": start, "pages": pages}
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"start-up: floor {start['floor_s']} s, cold {start['cold_s']} s, warm {start['warm_s']} s, after "
          f"{CHANGED} changed records {start['after_change_s']} s; a running server re-indexes in "
          f"{start['reindex_running_s']} s")
    for verb in ("ListRecords", "ListIdentifiers"):
        figures = pages[verb]
        print(f"{verb}: first {figures['first_ms']} ms, middle {figures['middle_ms']} ms, last {figures['last_ms']} ms "
              f"(page {pages['pages']} of {pages['pages']}; last/first {figures['last_over_first']}); nothing cached: "
              f"{figures['first_uncached_ms']}, {figures['middle_uncached_ms']}, {figures['last_uncached_ms']} ms")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
