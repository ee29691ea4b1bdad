"""Extraction speed on one core: Colophon against the lxml parse floor and trafilatura's metadata
extraction, on the same pages in the same process.  Reports medians over rounds and ratios.

    .venv/bin/python benchmarks/extract.py [--rounds 3] [--peer-pages 300]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from collections.abc import Callable

from _corpus import ROOT, corpus, corpus_pages

from crawler.extract import Catalogue, harvest


def _rate(pages: list[tuple[str, bytes]], work: Callable[[str, bytes], object], rounds: int) -> float:
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for page_id, body in pages:
            work(page_id, body)
        rates.append(len(pages) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer-pages", type=int, default=300,
                        help="pages for the three-way comparison (the peer takes ~30 ms a page)")
    args = parser.parse_args()
    root = corpus()
    catalogue = Catalogue.from_root(root)
    everything = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in corpus_pages(root)]
    step = max(1, len(everything) // args.peer_pages)
    sample = everything[::step][: args.peer_pages]

    import lxml.html
    import trafilatura

    def floor(page_id: str, body: bytes) -> object:
        return lxml.html.fromstring(body)

    def colophon(page_id: str, body: bytes) -> object:
        return harvest(body, "https://www.marxists.org/" + page_id, page_id, catalogue)

    def peer(page_id: str, body: bytes) -> object:
        return trafilatura.bare_extraction(body, url="https://www.marxists.org/" + page_id,
                                           with_metadata=True)

    warnings.simplefilter("ignore")
    colophon(*everything[0])  # warm up imports and caches for every contender
    peer(*everything[0])
    results = {
        "pages_total": len(everything),
        "pages_compared": len(sample),
        "rounds": args.rounds,
        "colophon_all_pages_per_s": _rate(everything, colophon, args.rounds),
        "lxml_all_pages_per_s": _rate(everything, floor, args.rounds),
        "colophon_pages_per_s": _rate(sample, colophon, args.rounds),
        "lxml_floor_pages_per_s": _rate(sample, floor, args.rounds),
        "trafilatura_pages_per_s": _rate(sample, peer, max(1, args.rounds - 2)),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    results["speedup_vs_trafilatura"] = results["colophon_pages_per_s"] / results["trafilatura_pages_per_s"]
    results["share_of_lxml_floor"] = results["colophon_all_pages_per_s"] / results["lxml_all_pages_per_s"]
    out = ROOT / "benchmarks" / "results" / "extract.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"pages: {len(everything)} (three-way comparison on {len(sample)}), median of {args.rounds} rounds")
    print(f"  colophon, all pages   {results['colophon_all_pages_per_s']:8.0f} pages/s   (target >= 300)")
    print(f"  lxml parse floor      {results['lxml_all_pages_per_s']:8.0f} pages/s")
    print(f"  colophon / floor      {results['share_of_lxml_floor']:8.3f}")
    print(f"  colophon, sample      {results['colophon_pages_per_s']:8.0f} pages/s")
    print(f"  trafilatura, sample   {results['trafilatura_pages_per_s']:8.1f} pages/s")
    print(f"  colophon / trafilatura {results['speedup_vs_trafilatura']:7.1f}x   (target >= 5x)")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
