"""A whole crawl of the sample corpus over loopback, politeness off: Colophon's full crawl
(extraction, validation, dataset) against a bare Scrapy spider that only follows links, over the
same pages, served by the same local origin, in the same session.  Medians over rounds, the
ratio of pages/s, and each crawler's peak RSS.

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


def colophon(start_list: str, out: str) -> None:
    from crawler.cli import main

    code = main(["crawl", "--start-list", start_list, "--scope", "site", "--out", out, "--delay", "0",
                 "--concurrency", str(CONCURRENCY), "--log-level", "ERROR"])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "STARTS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, start_list, out = args.child
        bare_spider(start_list) if mode == "bare" else colophon(start_list, out)
        print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return
    root = corpus()
    pages = page_paths(root)
    results: dict[str, list[dict[str, float]]] = {"colophon": [], "bare": []}
    with origin(root) as base, tempfile.TemporaryDirectory() as tmp:
        start_list = write_start_list(Path(tmp) / "starts.txt", base, pages)
        for round_number in range(args.rounds):
            # Alternate the order so neither crawler always runs on a warmer machine.
            for mode in (("bare", "colophon") if round_number % 2 == 0 else ("colophon", "bare")):
                out = Path(tmp) / f"out-{mode}-{round_number}"
                results[mode].append(_child(mode, str(start_list), str(out)))
                print(f"round {round_number + 1} {mode:<8} {results[mode][-1]['pages']:.0f} pages "
                      f"{results[mode][-1]['pages_per_s']:7.1f} pages/s  rss {results[mode][-1]['max_rss_mb']:.0f} MB",
                      flush=True)
    summary = {
        mode: {
            "pages": statistics.median(r["pages"] for r in runs),
            "pages_per_s": statistics.median(r["pages_per_s"] for r in runs),
            "max_rss_mb": max(r["max_rss_mb"] for r in runs),
        }
        for mode, runs in results.items()
    }
    summary["ratio_colophon_to_bare"] = summary["colophon"]["pages_per_s"] / summary["bare"]["pages_per_s"]  # type: ignore[index]
    summary["rounds"] = args.rounds  # type: ignore[assignment]
    summary["concurrency"] = CONCURRENCY  # type: ignore[assignment]
    summary["corpus_pages"] = len(pages)  # type: ignore[assignment]
    out_file = ROOT / "benchmarks" / "results" / "crawl.json"
    out_file.write_text(json.dumps({"summary": summary, "runs": results}, indent=2) + "\n")
    colophon_rate = summary["colophon"]["pages_per_s"]  # type: ignore[index]
    print(f"colophon {colophon_rate:.1f} pages/s, bare scrapy "
          f"{summary['bare']['pages_per_s']:.1f} pages/s: "  # type: ignore[index]
          f"ratio {summary['ratio_colophon_to_bare']:.2f} (target >= 0.7)")
    print(f"peak RSS: colophon {summary['colophon']['max_rss_mb']:.0f} MB (target < 300), "  # type: ignore[index]
          f"bare {summary['bare']['max_rss_mb']:.0f} MB")
    print(f"written to {out_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
