"""`colophon serve` under load over loopback: a dataset of a few thousand records (the built-in
sample archive's records, multiplied, published as a run publishes them), 50 keep-alive clients for
20 seconds over a mix of verbs (Identify, first pages and follow-on pages of ListRecords and
ListIdentifiers, GetRecord). Requests/s, latency percentiles per request kind, errors (target 0),
and the server's RSS and thread count before and after.

    .venv/bin/python benchmarks/oai_load.py [--records 3000] [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _corpus import ROOT

from output.dataset import shard_count
from output.snapshot import Snapshot
from tests.test_oai_index import Publisher

AUTHORS = 40
PERIODICALS = 12
# How often each kind of request is made: weights, not counts.
MIX = {"Identify": 5, "ListRecords": 15, "ListRecords+token": 25, "ListIdentifiers": 10,
       "ListIdentifiers+token": 10, "GetRecord": 35}
_TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")


def sample_works(folder: Path) -> list[dict[str, Any]]:
    """The works of the built-in sample archive, crawled into `folder`: the models of synthetic ones."""
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--sample", "--out", str(folder),
                             "--log-level", "ERROR"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.exit(f"the sample crawl failed:\n{result.stderr[-3000:]}")
    return [json.loads(line) for line in Snapshot.open(folder).lines("works.jsonl")]


def synthetic_work(templates: list[dict[str, Any]], n: int, revision: int = 0) -> dict[str, Any]:
    """Work `n` of a synthetic archive: a sample work under another id, author and periodical."""
    work = dict(templates[n % len(templates)])
    author = n % AUTHORS
    work["id"] = f"archive/writer{author}/{1900 + n % 60}/w{n}.htm"
    work["url"] = f"https://www.marxists.org/{work['id']}"
    work["title"] = f"{work.get('title') or 'Untitled'} ({n})" + (f", revision {revision}" if revision else "")
    work["author"] = {**(work.get("author") or {}), "name": f"Writer{author} Example", "slug": f"writer{author}"}
    work["citation"] = {**(work.get("citation") or {}), "container_title": f"Paper {n % PERIODICALS}"}
    return work


def publisher_for(folder: Path, works: list[dict[str, Any]]) -> Publisher:
    """A publisher of `folder` with as many shards as a run would give these works."""
    return Publisher(folder, shards=shard_count(sum(len(json.dumps(work)) for work in works)))


def build_dataset(folder: Path, records: int) -> list[str]:
    """A dataset folder as runs publish it (output.publish's layout) with `records` works made from
    the sample archive's, added over 28 daily runs, and a tombstone for one in 30 more removed by
    a last run; returns the ids of the live works."""
    templates = sample_works(folder.parent / "sample")
    works = [synthetic_work(templates, n) for n in range(records)]
    gone = [{**synthetic_work(templates, n), "id": f"archive/gone/g{n}.htm"} for n in range(records // 30)]
    publisher = publisher_for(folder, works)
    for day in range(1, 29):
        publisher.publish(f"202501{day:02d}T000000000000Z", f"2025-01-{day:02d}T12:00:00+00:00",
                          [work for n, work in enumerate(works) if 1 + n * 28 // records == day]
                          + (gone if day == 1 else []))
    publisher.publish("20250131T000000000000Z", "2025-01-31T00:00:00+00:00", removed=[work["id"] for work in gone])
    return [work["id"] for work in works]


def process_status(pid: int) -> dict[str, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "threads": int(fields["Threads"])}


class Client(threading.Thread):
    """One keep-alive connection making requests from MIX until the deadline."""

    def __init__(self, port: int, ids: list[str], deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.ids, self.deadline = port, ids, deadline
        self.random = random.Random(seed)
        self.latencies: dict[str, list[float]] = {kind: [] for kind in MIX}
        self.errors: list[str] = []
        self.tokens: dict[str, bytes] = {}

    def query(self, kind: str) -> tuple[str, str]:
        verb = kind.split("+")[0]
        if kind.endswith("+token"):
            token = self.tokens.pop(verb, None)
            if token is not None:
                return kind, f"verb={verb}&resumptionToken={token.decode()}"
            kind = verb
        if verb == "Identify":
            return kind, "verb=Identify"
        prefix = self.random.choice(("oai_dc", "marc21"))
        if verb == "GetRecord":
            identifier = f"oai:colophon:{self.random.choice(self.ids)}"
            return kind, f"verb=GetRecord&metadataPrefix={prefix}&identifier={identifier}"
        narrowing = self.random.choice(("", f"&set=author:writer{self.random.randrange(AUTHORS)}",
                                        "&from=2025-01-10&until=2025-01-20", "&set=periodical"))
        return kind, f"verb={verb}&metadataPrefix={prefix}{narrowing}"

    def run(self) -> None:
        kinds, weights = list(MIX), list(MIX.values())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            while time.monotonic() < self.deadline:
                kind, query = self.query(self.random.choices(kinds, weights)[0])
                started = time.perf_counter()
                try:
                    connection.request("GET", f"/oai?{query}")
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    self.errors.append(f"{kind}: {error!r}")
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    continue
                self.latencies[kind].append(time.perf_counter() - started)
                if response.status != 200 or b"<error " in body:
                    self.errors.append(f"{kind}: HTTP {response.status} {body[:300]!r}")
                    continue
                found = _TOKEN.search(body)
                if found and kind.startswith("List"):
                    self.tokens[kind.split("+")[0]] = found.group(1)
        finally:
            connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dataset"
        folder.mkdir()
        ids = build_dataset(folder, args.records)
        log = open(Path(tmp) / "serve.log", "w+")  # noqa: SIM115 - read back after the server stops
        server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", str(folder), "--port", "0",
                                   "--page-size", "100"], cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            if " at http://" not in line:
                sys.exit(f"the server did not start: {line!r}")
            port = int(line.rsplit(":", 1)[1].split("/")[0])
            before = process_status(server.pid)
            deadline = time.monotonic() + args.seconds
            clients = [Client(port, ids, deadline, seed) for seed in range(args.clients)]
            started = time.perf_counter()
            for client in clients:
                client.start()
            for client in clients:
                client.join(timeout=args.seconds + 60)
            elapsed = time.perf_counter() - started
            after = process_status(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
            if server.stdout is not None:
                server.stdout.close()
        log.seek(0)
        server_log = log.read().splitlines()
        log.close()
    latencies = {kind: [value for client in clients for value in client.latencies[kind]] for kind in MIX}
    every = [value for values in latencies.values() for value in values]
    errors = [error for client in clients for error in client.errors]
    summary: dict[str, Any] = {
        "records": args.records, "clients": args.clients, "seconds": round(elapsed, 2),
        "requests": len(every), "requests_per_s": len(every) / elapsed,
        "p50_ms": percentile(every, 0.50) * 1000, "p99_ms": percentile(every, 0.99) * 1000,
        "errors": len(errors),
        "server_rss_mb_before": before["rss_mb"], "server_rss_mb_after": after["rss_mb"],
        "server_threads_before": before["threads"], "server_threads_after": after["threads"],
        "server_log_lines": len(server_log),
    }
    by_kind = {kind: {"requests": len(values), "p50_ms": percentile(values, 0.50) * 1000,
                      "p99_ms": percentile(values, 0.99) * 1000,
                      "mean_ms": statistics.fmean(values) * 1000 if values else 0.0}
               for kind, values in latencies.items()}
    out_file = ROOT / "benchmarks" / "results" / "oai_load.json"
    out_file.write_text(json.dumps({"summary": summary, "by_request": by_kind, "first_errors": errors[:10],
                                    "server_log": server_log[:10]}, indent=2) + "\n")
    for kind, figures in by_kind.items():
        print(f"{kind:<22} {figures['requests']:6d} requests  p50 {figures['p50_ms']:7.1f} ms  "
              f"p99 {figures['p99_ms']:7.1f} ms")
    print(f"{summary['requests']} requests in {elapsed:.1f} s: {summary['requests_per_s']:.0f} requests/s, "
          f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms, {len(errors)} errors (target 0)")
    print(f"server RSS {before['rss_mb']:.0f} MB before, {after['rss_mb']:.0f} MB after; "
          f"threads {before['threads']:.0f} before, {after['threads']:.0f} after")
    print(f"written to {out_file.relative_to(ROOT)}")
    if errors:
        print("first errors:", *errors[:5], sep="\n  ")


if __name__ == "__main__":
    main()
