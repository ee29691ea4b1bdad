"""Crawling with more than one core: the same pages (the whole sample corpus, served by nginx on
loopback, politeness off) crawled by a bare link-following Scrapy spider (the baseline), by a
single-process Colophon crawl (`--workers 1`), by `--workers 2` (pages read by two extraction
processes beside the crawl process), and by a coordinator with two `colophon worker` processes on a
Redis of the benchmark's own (`redis2`). Rounds alternate the order of the contenders; medians over
rounds; pages/s as ratios against the bare spider measured in the same run; and the crawl
process's own CPU per page (with `--workers N` it fetches, navigates and stores while the readers
read; as a coordinator it navigates and stores while the workers fetch and read), which bounds how
many readers or workers one crawl process can feed.

    .venv/bin/python benchmarks/distributed.py [--rounds 3]

nginx comes from Debian (installed by benchmarks/scale.py's set-up when missing).
Target: `--workers 2` at least 1.5x the bare spider's pages/s. (The Redis workers' own CPU is not
counted in `readers_cpu_ms_per_page`: they are processes of their own, not the crawl's children.)
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _corpus import ROOT, corpus, page_paths, write_start_list
from scale import free_port, nginx

from crawler.errors import EXIT_OK, EXIT_PARTIAL

RESULTS = ROOT / "benchmarks" / "results" / "distributed.json"
CONCURRENCY = 16
HERE = Path(__file__).resolve().parent
CONTENDERS: dict[str, list[str]] = {"single": ["--workers", "1"], "workers2": ["--workers", "2"],
                                    "redis2": ["--redis", "{redis}", "--crawl-name", "{name}"]}
REDIS_WORKERS = 2


def _bare(start_list: Path) -> dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(HERE / "crawl.py"), "--child", "bare", str(start_list), "-"],
                            capture_output=True, text=True, cwd=ROOT, timeout=3600)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"bare spider failed:\n{result.stderr[-3000:]}")
    pages = json.loads(result.stdout.strip().splitlines()[-2])["pages"]
    return {"seconds": seconds, "pages": pages, "pages_per_s": pages / seconds}


def _colophon(name: str, start_list: Path, out: Path, redis: str) -> dict[str, Any]:
    cost = out.with_suffix(".cost.json")
    extra = [arg.format(redis=redis, name=out.name) for arg in CONTENDERS[name]]
    command = [sys.executable, str(HERE / "_measured.py"), str(cost), "crawl", "--start-list", str(start_list),
               "--scope", "site", "--out", str(out), "--delay", "0", "--concurrency", str(CONCURRENCY),
               "--log-level", "ERROR", "--progress-every", "0", *extra]
    workers = [subprocess.Popen([sys.executable, "-m", "crawler.cli", "worker", "--redis", redis, "--crawl-name",
                                 out.name, "--concurrency", str(CONCURRENCY)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(REDIS_WORKERS if "--redis" in extra else 0)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=3600)
    for worker in workers:
        worker.wait(timeout=60)
    if result.returncode not in (EXIT_OK, EXIT_PARTIAL):  # a corpus page or two is a reject
        sys.exit(f"{name} crawl failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    measured = json.loads(cost.read_text())
    package = json.loads((out / "datapackage.json").read_text())
    pages = package["runs"][-1]["counts"]["pages"]
    return {"seconds": measured["seconds"], "pages": pages, "pages_per_s": pages / measured["seconds"],
            "crawl_process_cpu_ms_per_page": 1000 * measured["cpu_seconds"] / pages,
            "readers_cpu_ms_per_page": 1000 * measured["children_cpu_seconds"] / pages,
            "peak_rss_mb": measured["peak_rss_mb"]}


def _redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A Redis of the benchmark's own on a loopback port (Debian's redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        subprocess.run(["apt-get", "install", "-y", "redis-server"], check=True, capture_output=True)
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = corpus()
    pages = page_paths(root)
    names = ["bare", *CONTENDERS]
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        server, base = nginx(root, Path(tmp) / "nginx")
        redis_server, redis = _redis(Path(tmp) / "redis")
        try:
            start_list = write_start_list(Path(tmp) / "starts.txt", base, pages)
            for round_number in range(args.rounds):
                # Each round starts with the next contender: none always runs on a warmer machine.
                order = names[round_number % len(names):] + names[:round_number % len(names)]
                for name in order:
                    out = Path(tmp) / f"{name}-{round_number}"
                    measured = _bare(start_list) if name == "bare" else _colophon(name, start_list, out, redis)
                    results[name].append(measured)
                    print(f"round {round_number + 1} {name:<9} {measured['pages']} pages "
                          f"{measured['pages_per_s']:7.1f} pages/s", flush=True)
        finally:
            for process in (server, redis_server):
                process.terminate()
                process.wait(timeout=10)
    summary: dict[str, Any] = {}
    bare_rate = statistics.median(r["pages_per_s"] for r in results["bare"])
    for name, runs in results.items():
        summary[name] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        summary[name]["ratio_to_bare"] = summary[name]["pages_per_s"] / bare_rate
    RESULTS.write_text(json.dumps({
        "machine": {"cores": len(__import__("os").sched_getaffinity(0)), "python": platform.python_version()},
        "corpus_pages": len(pages), "rounds": args.rounds, "concurrency": CONCURRENCY,
        "target": {"workers2_ratio_to_bare": 1.5}, "summary": summary, "runs": results}, indent=2) + "\n")
    for name in names:
        line = summary[name]
        extra = (f", crawl process {line['crawl_process_cpu_ms_per_page']:.2f} ms CPU/page, readers "
                 f"{line['readers_cpu_ms_per_page']:.2f} ms/page" if name != "bare" else "")
        print(f"{name:<9} {line['pages_per_s']:7.1f} pages/s  {line['ratio_to_bare']:.2f}x bare{extra}")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
