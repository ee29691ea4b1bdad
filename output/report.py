"""`colophon report`: one self-contained HTML page about a dataset (no network needed to view it),
rendered with Jinja2: its plots are SVG drawn from the data, its tables plain HTML. Works per year
and per decade, per author and per periodical, date precision, field coverage, rejects by code with
examples, broken links with the pages that link to them, the history of runs and changes."""

from __future__ import annotations

import collections
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from output.exports import issued
from output.snapshot import Snapshot
from output.tables import edtf_bounds

TOP = 25           # authors, periodicals shown
EXAMPLES = 3       # rejects shown per code
BROKEN_SHOWN = 200  # broken links listed (their count is always given)


@dataclass
class Bars:
    """One bar chart: labels and counts, in the order shown."""

    title: str
    bars: list[tuple[str, int]]
    note: str = ""

    @property
    def highest(self) -> int:
        return max((count for _, count in self.bars), default=0) or 1


def _counted(counter: collections.Counter[str], top: int | None = None) -> list[tuple[str, int]]:
    return [(label, count) for label, count in counter.most_common(top)]


def _coverage(works: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """How many works have each field, in the order a record gives them."""
    checks = (
        ("author", lambda w: (w.get("author") or {}).get("name")),
        ("date", lambda w: (w.get("date") or {}).get("value")),
        ("date exact to the day", lambda w: (issued(w) or {}).get("precision") == "day"),
        ("source", lambda w: w.get("citation")),
        ("periodical or book", lambda w: (w.get("citation") or {}).get("container_title")),
        ("source date", lambda w: ((w.get("citation") or {}).get("date") or {}).get("value")),
        ("transcriber", lambda w: any(c.get("role") == "transcription" for c in w.get("credits") or [])),
        ("translator", lambda w: any(c.get("role") == "translation" for c in w.get("credits") or [])),
        ("licence known", lambda w: (w.get("licence") or {}).get("status") not in (None, "unknown")),
        ("series", lambda w: w.get("series")),
        ("contents page", lambda w: w.get("part_of")),
        ("notes", lambda w: w.get("notes")),
        ("last updated", lambda w: w.get("last_updated")),
    )
    return [(label, sum(1 for work in works if test(work))) for label, test in checks]


def _broken(folder: Path) -> tuple[int, list[tuple[str, list[str]]]]:
    """Links to pages that answered 404 or 410, with the pages that link to them, from the state
    store (read only: a crawl may hold the folder meanwhile). (0, []) without a store."""
    path = folder / "state.sqlite"
    if not path.is_file():
        return 0, []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        missing = {row[0]: row[1] for row in db.execute("SELECT id, url FROM pages WHERE status = 'missing'")}
        linkers: dict[str, list[str]] = collections.defaultdict(list)
        for page_id, links in db.execute("SELECT id, links FROM links"):
            for target in orjson.loads(links):
                if target in missing:
                    linkers[target].append(page_id)
    except sqlite3.DatabaseError:
        return 0, []
    finally:
        db.close()
    broken = sorted(((missing[target], sorted(pages)) for target, pages in linkers.items()),
                    key=lambda item: (-len(item[1]), item[0]))
    return len(broken), broken[:BROKEN_SHOWN]


def gather(folder: Path) -> dict[str, Any]:
    """What the report shows, from one snapshot of the dataset (and its state store, for links)."""
    snapshot = Snapshot.open(folder)
    works = [orjson.loads(line) for line in snapshot.lines("works.jsonl")]
    rejects = [orjson.loads(line) for line in snapshot.lines("rejects.jsonl")]
    years: collections.Counter[str] = collections.Counter()
    decades: collections.Counter[str] = collections.Counter()
    precision: collections.Counter[str] = collections.Counter()
    authors: collections.Counter[str] = collections.Counter()
    periodicals: collections.Counter[str] = collections.Counter()
    undated = 0
    for work in works:
        date = issued(work)
        precision[(date or {}).get("precision") or "none"] += 1
        start = edtf_bounds((date or {}).get("value"))[0]
        if start:
            years[start[:4]] += 1
            decades[start[:3] + "0s"] += 1
        else:
            undated += 1
        authors[(work.get("author") or {}).get("name") or "(no author)"] += 1
        container = (work.get("citation") or {}).get("container_title")
        if container:
            periodicals[container] += 1
    by_code: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for reject in rejects:
        by_code[str(reject.get("code"))].append(reject)
    runs = snapshot.runs()
    broken_count, broken = _broken(folder)
    order = ("day", "month", "season", "year", "range", "decade", "unknown", "none")
    return {
        "folder": str(folder.resolve()),
        "updated": snapshot.datapackage.get("updated"),
        "totals": {"works": len(works), "rejects": len(rejects), "indexes": sum(
            int(p.get("records") or 0) for p in snapshot.parts("indexes.jsonl")), "runs": len(runs)},
        "charts": [
            Bars("Works per year", sorted(years.items()), f"{undated} works without a date are not shown"),
            Bars("Works per decade", sorted(decades.items())),
            Bars("Date precision", [(name, precision[name]) for name in order if precision[name]],
                 "of the date each work appeared: its source's, else its own"),
            Bars(f"Authors (the {TOP} with most works)", _counted(authors, TOP)),
            Bars(f"Periodicals and books (the {TOP} with most works)", _counted(periodicals, TOP)),
            Bars("Field coverage (works that have it)", _coverage(works), f"of {len(works)} works"),
            Bars("Rejects by code", sorted(((code, len(items)) for code, items in by_code.items()),
                                           key=lambda item: -item[1])),
            Bars("Changes per run", [(str(run.get("id")), sum(int(v) for k, v in (run.get("changes") or {}).items()
                                                              if k in ("added", "modified", "removed")))
                                     for run in runs], "records added, modified or removed"),
        ],
        "rejects": sorted(((code, len(items), items[:EXAMPLES]) for code, items in by_code.items()),
                          key=lambda item: -item[1]),
        "broken_count": broken_count,
        "broken": broken,
        "runs": list(reversed(runs)),
    }


def render(folder: Path) -> str:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("output", "templates"),
                                     autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True,
                                     lstrip_blocks=True)
    return environment.get_template("report.html").render(**gather(folder))
