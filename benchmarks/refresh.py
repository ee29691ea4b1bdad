"""An unchanged refresh of the whole sample corpus against the full crawl it follows, in the same
session over loopback with politeness off: bytes transferred (headers and bodies, as the crawler
received them) and wall time, as ratios. Two refreshes are measured after each full crawl: the
scheduled refresh with the default revisit policy (index and contents pages revalidated, works
revisited when due) and a forced revalidation of every page (`--revalidate`: a conditional
request each). The forced revalidation is also measured on a copy of the dataset with `--no-warc`,
in alternated order: what keeping the 304s as WARC revisit records costs.

    .venv/bin/python benchmarks/refresh.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _corpus import ROOT, corpus, page_paths, write_start_list

from tests.support import origin, origin_stats

FAST = ["--delay", "0", "--concurrency", "16", "--log-level", "ERROR", "--scope", "site"]


def _crawl(start_list: Path, out: Path, base: str, *extra: str) -> dict[str, float]:
    urllib.request.urlopen(base + "_reset", timeout=10).read()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--start-list", str(start_list),
                             "--out", str(out), *FAST, *extra], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"crawl failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    stats = origin_stats(base)
    run = json.loads((out / "datapackage.json").read_text())["runs"][-1]
    # Bytes as the crawler received them (status lines, headers and bodies: Scrapy's
    # downloader/response_bytes), and the body bytes the origin sent.
    return {"seconds": seconds, "bytes": run["counts"]["bytes_received"], "body_bytes": stats["bytes"],
            "requests": sum(stats["requests"].values()),
            "changes": sum(run["changes"][op] for op in ("added", "modified", "removed"))}


def _warc_bytes(out: Path) -> int:
    return sum(path.stat().st_size for path in (out / "warc").glob("*.warc.gz"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = corpus()
    pages = page_paths(root)
    rounds: list[dict[str, dict[str, float]]] = []
    with origin(root) as base, tempfile.TemporaryDirectory() as tmp:
        start_list = write_start_list(Path(tmp) / "starts.txt", base, pages)
        for number in range(args.rounds):
            out = Path(tmp) / f"dataset-{number}"
            full = _crawl(start_list, out, base)
            refresh = _crawl(start_list, out, base)
            bare = Path(tmp) / f"dataset-{number}-no-warc"
            shutil.copytree(out, bare, symlinks=True)
            warc_before = _warc_bytes(out)
            if number % 2 == 0:
                revalidate = _crawl(start_list, out, base, "--revalidate")
                no_warc = _crawl(start_list, bare, base, "--revalidate", "--no-warc")
            else:
                no_warc = _crawl(start_list, bare, base, "--revalidate", "--no-warc")
                revalidate = _crawl(start_list, out, base, "--revalidate")
            revalidate["warc_bytes"] = _warc_bytes(out) - warc_before
            full["warc_bytes"] = warc_before
            rounds.append({"full": full, "refresh": refresh, "revalidate": revalidate, "revalidate_no_warc": no_warc})
            print(f"round {number + 1}: full {full['seconds']:.1f} s {full['bytes'] / 1e6:.1f} MB | "
                  f"refresh {refresh['seconds']:.1f} s {refresh['bytes'] / 1e3:.1f} kB, "
                  f"{refresh['changes']:.0f} changes | "
                  f"revalidate {revalidate['seconds']:.1f} s {revalidate['bytes'] / 1e3:.1f} kB", flush=True)

    def ratio(kind: str, key: str) -> float:
        return statistics.median(r[kind][key] / r["full"][key] for r in rounds)

    summary = {
        "rounds": args.rounds,
        "corpus_pages": len(pages),
        "full_seconds": statistics.median(r["full"]["seconds"] for r in rounds),
        "full_bytes": statistics.median(r["full"]["bytes"] for r in rounds),
        "refresh_bytes_ratio": ratio("refresh", "bytes"),
        "refresh_time_ratio": ratio("refresh", "seconds"),
        "revalidate_bytes_ratio": ratio("revalidate", "bytes"),
        "revalidate_time_ratio": ratio("revalidate", "seconds"),
        "revalidate_warc_cost": statistics.median(
            1 - r["revalidate_no_warc"]["seconds"] / r["revalidate"]["seconds"] for r in rounds),
        "full_warc_bytes": statistics.median(r["full"]["warc_bytes"] for r in rounds),
        "revalidate_warc_bytes": statistics.median(r["revalidate"]["warc_bytes"] for r in rounds),
        "refresh_changes": max(r["refresh"]["changes"] for r in rounds),
        "revalidate_changes": max(r["revalidate"]["changes"] for r in rounds),
    }
    out_file = ROOT / "benchmarks" / "results" / "refresh.json"
    out_file.write_text(json.dumps({"summary": summary, "rounds": rounds}, indent=2) + "\n")
    print(f"scheduled refresh: {summary['refresh_bytes_ratio']:.2%} of the bytes (target <= 5%), "
          f"{summary['refresh_time_ratio']:.0%} of the time (target <= 30%)")
    print(f"forced revalidation: {summary['revalidate_bytes_ratio']:.2%} of the bytes, "
          f"{summary['revalidate_time_ratio']:.0%} of the time")
    print(f"WARC kept by the forced revalidation: {summary['revalidate_warc_bytes'] / 1e3:.0f} kB of revisit records "
          f"(the full crawl's: {summary['full_warc_bytes'] / 1e6:.1f} MB); it costs "
          f"{summary['revalidate_warc_cost']:.1%} of the revalidation's time (target < 10%)")
    print(f"changes published by unchanged refreshes: {summary['refresh_changes']:.0f} and "
          f"{summary['revalidate_changes']:.0f} (expected 0)")
    print(f"written to {out_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
