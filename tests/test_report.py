"""`colophon report`: one self-contained HTML page, rendered by a real browser (headless Chromium,
Debian's `chromium`, installed by .ci/run): every plot that has data is drawn with bars of some size,
and the tables name the rejects by code with examples and the broken links with their linkers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from output.report import gather
from tests import synthetic
from tests.support import origin, read_jsonl, run_colophon

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--progress-every", "0")


def _rendered(page: Path, tmp_path: Path) -> str:
    """The page's DOM once the browser has laid it out (and run its script)."""
    assert CHROMIUM is not None
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.resolve().as_uri()],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian's chromium) renders the report")
def test_the_report_is_self_contained_and_a_browser_draws_every_plot(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=2, works=4)
    (site / "archive/writer0/big.htm").write_text("<html><body><h1>Big</h1>" + "<p>words</p>" * 5000 + "</body></html>")
    index = site / "archive/writer0/index.htm"
    index.write_text(index.read_text().replace("</h1>", '</h1><p class="toc"><a href="big.htm">Big</a></p>'))
    out = tmp_path / "out"
    with origin(site) as base:
        crawled = run_colophon("crawl", base, "--out", str(out), *FAST, "--max-page-bytes", "20000")
    assert crawled.returncode == 1, crawled.stdout + crawled.stderr  # the big page: a reject
    page = tmp_path / "report.html"
    made = run_colophon("report", str(out), "--out", str(page))
    assert made.returncode == 0, made.stderr
    html = page.read_text(encoding="utf-8")
    # Nothing to fetch to view it: no script, style sheet, image or font from anywhere.
    assert not re.search(r"<(script|img|iframe)[^>]+src=|<link\b|@import|url\(", html, re.IGNORECASE)

    expected = gather(out)
    with_data = [chart for chart in expected["charts"] if chart.bars]
    assert len(with_data) >= 7  # years, decades, precision, authors, periodicals, coverage, rejects, runs
    dom = _rendered(page, tmp_path)
    drawn = re.search(r'data-plots-drawn="(\d+)"', dom)
    assert drawn is not None and int(drawn.group(1)) == len(with_data)
    assert dom.count('class="bar"') >= sum(len(chart.bars) for chart in with_data)

    rejects = read_jsonl(out / "rejects.jsonl")
    assert rejects and all(r["code"] == "too_large" for r in rejects)
    assert "<td>too_large</td>" in dom and rejects[0]["url"] in dom
    broken = dict(expected["broken"])
    lost = base + "archive/ashdown/1948/01/lost.htm"
    assert broken[lost] == ["archive/ashdown/index.htm"] and lost in dom
    for run in expected["runs"]:
        assert run["id"] in dom


def test_a_folder_without_a_dataset_is_refused_in_one_line(tmp_path: Path) -> None:
    result = run_colophon("report", str(tmp_path), "--out", str(tmp_path / "report.html"))
    assert result.returncode == 2 and "not a readable dataset folder" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "report.html").exists()


def test_a_state_store_that_cannot_be_read_makes_broken_links_unknown_not_none(tmp_path: Path) -> None:
    from output.report import render

    site = synthetic.build(tmp_path / "site", authors=1, works=2)
    out = tmp_path / "out"
    with origin(site) as base:
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
    assert gather(out)["broken_count"] == 2  # the two links the sample archive leads nowhere with
    (out / "state.sqlite").write_bytes(b"not a database at all" * 100)
    for name in ("state.sqlite-wal", "state.sqlite-shm"):
        (out / name).unlink(missing_ok=True)
    assert gather(out)["broken_count"] is None
    assert "unknown: the folder's state store" in render(out)
