"""Extraction speed on one core: Colophon against the lxml parse floor and trafilatura's metadata
extraction, in the same process, rounds alternated (each round runs every contender, in a rotating
order), medians over rounds and ratios. trafilatura caches per content, so each of its rounds reads
pages it has not seen (a disjoint sample) with its caches cleared first; Colophon remembers the lines
it has read (crawler.extract.memo), so each of its runs starts with that memory cleared: a round
measures one pass over pages never read before, as a crawl reads them.

    .venv/bin/python benchmarks/extract.py [--rounds 5] [--peer-pages 200]

Targets: at least 1,000 pages/s over the whole corpus and at least 0.12 of the lxml parse floor.
It measures the build of the extraction modules in use: the compiled one (`make native`) when it is
current, written to results/extract.json; with COLOPHON_EXTRACT_BUILD=python the modules read as
Python, written to results/extract-python.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import time
import warnings
from collections.abc import Callable

from _corpus import ROOT, corpus, corpus_pages

from crawler.extract import NATIVE, Catalogue, harvest
from crawler.extract.memo import forget

Pages = list[tuple[str, bytes]]


def _rate(pages: Pages, work: Callable[[str, bytes], object]) -> float:
    start = time.perf_counter()
    for page_id, body in pages:
        work(page_id, body)
    return len(pages) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--peer-pages", type=int, default=200,
                        help="pages per round for the comparison with trafilatura (~30 ms a page)")
    args = parser.parse_args()
    root = corpus()
    catalogue = Catalogue.from_root(root)
    everything = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in corpus_pages(root)]
    # Disjoint samples spread over the corpus, one per round: no contender sees a sample twice.
    stride = max(1, len(everything) // (args.peer_pages * args.rounds))
    spread = everything[::stride]
    samples = [spread[r::args.rounds][: args.peer_pages] for r in range(args.rounds)]

    import lxml.html
    import trafilatura
    from trafilatura.meta import reset_caches

    def floor(page_id: str, body: bytes) -> object:
        return lxml.html.fromstring(body)

    def colophon(page_id: str, body: bytes) -> object:
        return harvest(body, "https://www.marxists.org/" + page_id, page_id, catalogue)

    def peer(page_id: str, body: bytes) -> object:
        return trafilatura.bare_extraction(body, url="https://www.marxists.org/" + page_id, with_metadata=True)

    warnings.simplefilter("ignore")
    colophon(*everything[0])  # imports and module-level set-up of every contender, outside the rounds
    floor(*everything[0])
    peer(*everything[0])
    rounds: list[dict[str, float]] = []
    for r in range(args.rounds):
        measured: dict[str, float] = {}
        sample = samples[r]

        def peer_unseen(sample: Pages = sample) -> float:
            reset_caches()
            try:
                return _rate(sample, peer)
            finally:
                reset_caches()  # nothing of its caches left behind for the next contender

        def colophon_sample(sample: Pages = sample) -> float:
            forget()
            return _rate(sample, colophon)

        def colophon_all() -> float:
            forget()
            return _rate(everything, colophon)

        contenders: list[tuple[str, Callable[[], float]]] = [
            ("colophon_all", colophon_all),
            ("lxml_all", lambda: _rate(everything, floor)),
            ("colophon_sample", colophon_sample),
            ("trafilatura_sample", peer_unseen),
        ]
        for name, run in contenders[r % len(contenders):] + contenders[: r % len(contenders)]:
            gc.collect()  # each contender starts with no garbage of another's to collect
            measured[name] = run()
        rounds.append(measured)
        print(f"  round {r + 1}: " + ", ".join(f"{k} {v:.0f}" for k, v in measured.items()), flush=True)

    def median(key: str) -> float:
        return statistics.median(m[key] for m in rounds)

    results = {
        "pages_total": len(everything),
        "pages_per_peer_round": len(samples[0]),
        "rounds": args.rounds,
        "colophon_all_pages_per_s": median("colophon_all"),
        "lxml_all_pages_per_s": median("lxml_all"),
        "colophon_pages_per_s": median("colophon_sample"),
        "trafilatura_pages_per_s": median("trafilatura_sample"),
        "share_of_lxml_floor": statistics.median(m["colophon_all"] / m["lxml_all"] for m in rounds),
        "speedup_vs_trafilatura": statistics.median(m["colophon_sample"] / m["trafilatura_sample"] for m in rounds),
        "targets": {"colophon_all_pages_per_s": 1000, "share_of_lxml_floor": 0.12},
        "per_round": rounds,
        "build": "native" if NATIVE else "python",
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    out = ROOT / "benchmarks" / "results" / ("extract.json" if NATIVE else "extract-python.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"extraction modules: {results['build']}")
    print(f"pages: {len(everything)}; {args.rounds} alternated rounds; trafilatura on {len(samples[0])} unseen "
          "pages a round, caches cleared")
    print(f"  colophon, all pages    {results['colophon_all_pages_per_s']:8.0f} pages/s   (target >= 1000)")
    print(f"  lxml parse floor       {results['lxml_all_pages_per_s']:8.0f} pages/s")
    print(f"  colophon / floor       {results['share_of_lxml_floor']:8.3f}        (target >= 0.12)")
    print(f"  colophon, samples      {results['colophon_pages_per_s']:8.0f} pages/s")
    print(f"  trafilatura, samples   {results['trafilatura_pages_per_s']:8.1f} pages/s")
    print(f"  colophon / trafilatura {results['speedup_vs_trafilatura']:7.1f}x")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
