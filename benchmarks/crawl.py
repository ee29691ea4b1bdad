"""A whole crawl of the sample corpus over loopback, politeness off: Colophon's full crawl
(extraction, validation, dataset, WARC files) against a bare Scrapy spider that only follows links,
and against itself with `--no-warc`, over the same pages, served by the same local origin, in the
same session. Then `colophon reextract` of that dataset (from its WARC files, no network) against
`colophon extract` of the same pages from their files. Medians over alternated rounds, the ratios of
pages/s, and each crawler's peak RSS.

    .venv/bin/python benchmarks/crawl.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _corpus import ROOT, corpus, page_paths, write_start_list

from tests.support import origin

CONCURRENCY = 16


def bare_spider(start_list: str) -> None:
    """The baseline: follow every same-site link, parse nothing else."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    starts = Path(start_list).read_text().split()
    base = starts[0][: starts[0].index("/", 8) + 1]

    class Bare(scrapy.Spider):
        name = "bare"
        extractor = LinkExtractor()

        async def start(self):  # type: ignore[no-untyped-def]
            for url in starts:
                yield scrapy.Request(url)

        def parse(self, response):  # type: ignore[no-untyped-def]
            if not hasattr(response, "text"):
                return
            for link in self.extractor.extract_links(response):
                if link.url.startswith(base):  # same site (allow_domains cannot name a port)
                    yield response.follow(link.url)

    process = CrawlerProcess({
        "LOG_LEVEL": "ERROR", "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": CONCURRENCY,
        "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY, "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True, "CONCURRENT_ITEMS": 10, "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": True, "COOKIES_ENABLED": False, "WARN_ON_GENERATOR_RETURN_VALUE": False,
    })
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    print(json.dumps({"pages": crawler.stats.get_value("response_received_count", 0)}))


def colophon(start_list: str, out: str, *extra: str) -> None:
    from crawler.cli import main

    code = main(["crawl", "--start-list", start_list, "--scope", "site", "--out", out, "--delay", "0",
                 "--concurrency", str(CONCURRENCY), "--log-level", "ERROR", *extra])
    package = json.loads((Path(out) / "datapackage.json").read_text())
    print(json.dumps({"pages": package["runs"][-1]["counts"]["pages"], "exit": code}))


def _child(mode: str, start_list: str, out: str) -> dict[str, float]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, __file__, "--child", mode, start_list, out],
                            capture_output=True, text=True, cwd=ROOT, timeout=3600)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{mode} crawl failed:\n{result.stderr[-3000:]}")
    last = json.loads(result.stdout.strip().splitlines()[-2])
    rss = json.loads(result.stdout.strip().splitlines()[-1])["max_rss_mb"]
    return {"seconds": elapsed, "pages": last["pages"], "pages_per_s": last["pages"] / elapsed, "max_rss_mb": rss}


# A command of the CLI, its peak RSS printed last on stderr.
MEASURED = ("import resource, sys\nfrom crawler.cli import main\ncode = main(sys.argv[1:])\nsys.stdout.flush()\n"
            "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)\nsys.exit(code)")


def _report(round_number: int, mode: str, result: dict[str, float]) -> None:
    print(f"round {round_number + 1} {mode:<9} {result['pages']:.0f} pages {result['pages_per_s']:7.1f} pages/s  "
          f"rss {result['max_rss_mb']:.0f} MB", flush=True)


def _offline(mode: str, dataset: Path, root: Path, pages: list[str]) -> dict[str, float]:
    """`colophon reextract` of a dataset (one reading process, as extract has), or `colophon extract`
    of the same pages from the corpus folder; pages/s and peak RSS of the command."""
    if mode == "reextract":
        command = ["reextract", str(dataset), "--workers", "1", "--progress-every", "0"]
    else:
        command = ["extract", "--root", str(root), *(str(root / page) for page in pages)]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURED, *command],
                            stdout=subprocess.PIPE if mode == "reextract" else subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=3600)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"{mode} failed:\n{result.stderr[-3000:]}")
    rss = float(result.stderr.strip().splitlines()[-1].split()[1])
    if mode == "reextract":
        count = json.loads((dataset / "datapackage.json").read_text())["runs"][-1]["counts"]["pages"]
    else:
        count = len(pages)
    return {"seconds": elapsed, "pages": count, "pages_per_s": count / elapsed, "max_rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "STARTS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, start_list, out = args.child
        if mode == "bare":
            bare_spider(start_list)
        else:
            colophon(start_list, out, *(("--no-warc",) if mode == "no-warc" else ()))
        print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return
    root = corpus()
    pages = page_paths(root)
    modes = ("bare", "colophon", "no-warc")
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in (*modes, "reextract", "extract")}
    with tempfile.TemporaryDirectory() as tmp:
        with origin(root) as base:
            start_list = write_start_list(Path(tmp) / "starts.txt", base, pages)
            for round_number in range(args.rounds):
                # Rotate the order so no crawler always runs on a warmer machine.
                for mode in modes[round_number % 3:] + modes[: round_number % 3]:
                    out = Path(tmp) / f"out-{mode}-{round_number}"
                    results[mode].append(_child(mode, str(start_list), str(out)))
                    _report(round_number, mode, results[mode][-1])
        # The origin is down now: re-extraction reads the WARC files of the first Colophon crawl.
        dataset = Path(tmp) / "out-colophon-0"
        for round_number in range(args.rounds):
            for mode in (("reextract", "extract") if round_number % 2 == 0 else ("extract", "reextract")):
                results[mode].append(_offline(mode, dataset, root, pages))
                _report(round_number, mode, results[mode][-1])
        warc_bytes = sum(path.stat().st_size for path in (dataset / "warc").glob("*.warc.gz"))
    summary = {
        mode: {
            "pages": statistics.median(r["pages"] for r in runs),
            "pages_per_s": statistics.median(r["pages_per_s"] for r in runs),
            "max_rss_mb": max(r["max_rss_mb"] for r in runs),
        }
        for mode, runs in results.items()
    }
    summary["ratio_colophon_to_bare"] = summary["colophon"]["pages_per_s"] / summary["bare"]["pages_per_s"]  # type: ignore[index]
    summary["warc_cost"] = 1 - summary["colophon"]["pages_per_s"] / summary["no-warc"]["pages_per_s"]  # type: ignore[index]
    summary["ratio_reextract_to_extract"] = (summary["reextract"]["pages_per_s"]  # type: ignore[index]
                                             / summary["extract"]["pages_per_s"])  # type: ignore[index]
    summary["warc_bytes"] = warc_bytes  # type: ignore[assignment]
    summary["rounds"] = args.rounds  # type: ignore[assignment]
    summary["concurrency"] = CONCURRENCY  # type: ignore[assignment]
    summary["corpus_pages"] = len(pages)  # type: ignore[assignment]
    out_file = ROOT / "benchmarks" / "results" / "crawl.json"
    out_file.write_text(json.dumps({"summary": summary, "runs": results}, indent=2) + "\n")
    colophon_rate = summary["colophon"]["pages_per_s"]  # type: ignore[index]
    print(f"colophon {colophon_rate:.1f} pages/s, bare scrapy "
          f"{summary['bare']['pages_per_s']:.1f} pages/s: "  # type: ignore[index]
          f"ratio {summary['ratio_colophon_to_bare']:.2f} (target >= 0.7)")
    print(f"WARC writing costs {summary['warc_cost']:.1%} of crawl throughput (target < 10%): "
          f"{summary['no-warc']['pages_per_s']:.1f} pages/s without it")  # type: ignore[index]
    print(f"reextract {summary['reextract']['pages_per_s']:.1f} pages/s from WARC, extract "  # type: ignore[index]
          f"{summary['extract']['pages_per_s']:.1f} pages/s from files: "  # type: ignore[index]
          f"ratio {summary['ratio_reextract_to_extract']:.2f}")
    print(f"peak RSS: colophon {summary['colophon']['max_rss_mb']:.0f} MB (target < 300), "  # type: ignore[index]
          f"bare {summary['bare']['max_rss_mb']:.0f} MB")
    print(f"written to {out_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
