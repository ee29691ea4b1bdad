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


def _part(record: dict[str, Any], key: str) -> dict[str, Any]:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _credited(work: dict[str, Any], role: str) -> bool:
    return any(isinstance(c, dict) and c.get("role") == role for c in work.get("credits") or [])


# What field coverage counts, in the order a record gives the fields.
COVERAGE: tuple[tuple[str, Any], ...] = (
    ("author", lambda w: _part(w, "author").get("name")),
    ("date", lambda w: _part(w, "date").get("value")),
    ("date exact to the day", lambda w: (issued(w) or {}).get("precision") == "day"),
    ("source", lambda w: w.get("citation")),
    ("periodical or book", lambda w: _part(w, "citation").get("container_title")),
    ("source date", lambda w: _part(_part(w, "citation"), "date").get("value")),
    ("transcriber", lambda w: _credited(w, "transcription")),
    ("translator", lambda w: _credited(w, "translation")),
    ("licence known", lambda w: _part(w, "licence").get("status") not in (None, "unknown")),
    ("series", lambda w: w.get("series")),
    ("contents page", lambda w: w.get("part_of")),
    ("notes", lambda w: w.get("notes")),
    ("last updated", lambda w: w.get("last_updated")),
)


def _broken(folder: Path) -> tuple[int | None, list[tuple[str, list[str]]]]:
    """Links to pages that answered 404 or 410, with the pages that link to them, from the state
    store (read only: a crawl may hold the folder meanwhile); their count None when there is no
    store to read them from."""
    path = folder / "state.sqlite"
    if not path.is_file():
        return None, []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None, []
    try:
        missing = {row[0]: row[1] for row in db.execute("SELECT id, url FROM pages WHERE status = 'missing'")}
        linkers: dict[str, list[str]] = collections.defaultdict(list)
        for page_id, links in db.execute("SELECT id, links FROM links"):
            for target in orjson.loads(links):
                if target in missing:
                    linkers[target].append(page_id)
    except (sqlite3.Error, orjson.JSONDecodeError, TypeError):  # unreadable: the report says it cannot tell
        return None, []
    finally:
        db.close()
    broken = sorted(((missing[target], sorted(pages)) for target, pages in linkers.items()),
                    key=lambda item: (-len(item[1]), item[0]))
    return len(broken), broken[:BROKEN_SHOWN]


def gather(folder: Path) -> dict[str, Any]:
    """What the report shows, from one snapshot of the dataset (and its state store, for links)."""
    snapshot = Snapshot.open(folder)
    years: collections.Counter[str] = collections.Counter()
    decades: collections.Counter[str] = collections.Counter()
    precision: collections.Counter[str] = collections.Counter()
    authors: collections.Counter[str] = collections.Counter()
    periodicals: collections.Counter[str] = collections.Counter()
    covered: collections.Counter[str] = collections.Counter()
    undated = works = 0
    for number, line in enumerate(snapshot.lines("works.jsonl"), start=1):  # one at a time: no text is kept
        try:
            work = orjson.loads(line)
            date = issued(work)
        except (orjson.JSONDecodeError, AttributeError, TypeError) as error:
            raise ValueError(f"line {number} of the works is no work record ({error}); `colophon validate` "
                             "lists what is wrong") from None
        works += 1
        precision[(date or {}).get("precision") or "none"] += 1
        start = edtf_bounds((date or {}).get("value"))[0]
        if start:
            years[start[:4]] += 1
            decades[start[:3] + "0s"] += 1
        else:
            undated += 1
        authors[str(_part(work, "author").get("name") or "(no author)")] += 1
        container = _part(work, "citation").get("container_title")
        if container:
            periodicals[str(container)] += 1
        covered.update(label for label, test in COVERAGE if test(work))
    rejects = [orjson.loads(line) for line in snapshot.lines("rejects.jsonl")]
    by_code: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for reject in rejects:
        by_code[str(reject.get("code"))].append(reject)
    runs = snapshot.runs()
    broken_count, broken = _broken(folder)
    order = ("day", "month", "season", "year", "range", "decade", "unknown", "none")
    return {
        "folder": str(folder.resolve()),
        "updated": snapshot.datapackage.get("updated"),
        "totals": {"works": works, "rejects": len(rejects), "indexes": sum(
            int(p.get("records") or 0) for p in snapshot.parts("indexes.jsonl")), "runs": len(runs)},
        "charts": [
            Bars("Works per year", sorted(years.items()), f"{undated} works without a date are not shown"),
            Bars("Works per decade", sorted(decades.items())),
            Bars("Date precision", [(name, precision[name]) for name in order if precision[name]],
                 "of the date each work appeared: its source's, else its own"),
            Bars(f"Authors (the {TOP} with most works)", _counted(authors, TOP)),
            Bars(f"Periodicals and books (the {TOP} with most works)", _counted(periodicals, TOP)),
            Bars("Field coverage (works that have it)", [(label, covered[label]) for label, _ in COVERAGE],
                 f"of {works} works"),
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


def link(url: Any) -> str:
    """A URL as a link target: only a web or file address (a page's text is never a script to run)."""
    text = str(url or "")
    return text if text.lower().startswith(("http://", "https://", "file://")) else "#"


def render(folder: Path) -> str:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("output", "templates"),
                                     autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True,
                                     lstrip_blocks=True)
    environment.filters["link"] = link
    return environment.get_template("report.html").render(**gather(folder))
