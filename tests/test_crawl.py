"""End-to-end crawls: the real spider in a real process against origins on 127.0.0.1."""

from __future__ import annotations

import collections
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import lxml.html
import pytest

from crawler.cli.crawl import SAMPLE
from tests.support import REPO, origin, origin_stats, problems, read_jsonl, run_colophon

pytestmark = pytest.mark.long

FAST = ("--delay", "0", "--concurrency", "16", "--log-level", "ERROR")


def _dataset(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: read_jsonl(out / f"{name}.jsonl") for name in ("works", "indexes", "other", "rejects")}


def _run_counts(out: Path) -> dict[str, Any]:
    package = json.loads((out / "datapackage.json").read_text())
    counts: dict[str, Any] = package["runs"][-1]["counts"]
    return counts


def _ids(data: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [r["id"] for name in ("works", "indexes", "other") for r in data[name]]


def test_sample_archive_crawl(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = run_colophon("crawl", "--sample", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dataset:" in result.stdout and "works" in result.stdout
    data = _dataset(out)
    works = {w["id"]: w for w in data["works"]}
    assert set(works) == {
        "archive/ashdown/1947/04/mill1.html", "archive/ashdown/1947/05/mill2.html",
        "archive/ashdown/1947/05/mill3.html", "archive/baker/1943/xx/war.htm",
        "archive/baker/1944/02/jail.htm", "archive/weber/1925/farmers/index.htm",
        "archive/weber/1925/farmers/ch01.htm", "archive/weber/1925/farmers/ch02.htm",
        "archive/weber/1925/farmers/ch03.htm",
    }
    assert len(_ids(data)) == len(set(_ids(data)))
    # Chapters inherit from their contents page and link to it.
    toc = works["archive/weber/1925/farmers/index.htm"]
    chapter = works["archive/weber/1925/farmers/ch02.htm"]
    assert toc["kind"] == "toc"
    assert chapter["part_of"]["url"] == toc["url"]
    assert chapter["citation"] == toc["citation"]
    assert chapter["licence"]["status"] == "copyleft"
    assert {"role": "translation", "name": "Eden Paul", "year": None,
            "raw": "Translated by Eden Paul."} in chapter["credits"]
    # Series parts link to each other both ways.
    mill2 = works["archive/ashdown/1947/05/mill2.html"]["series"]
    assert mill2["previous_url"].endswith("/archive/ashdown/1947/04/mill1.html")
    assert mill2["next_url"].endswith("/archive/ashdown/1947/05/mill3.html")
    assert works["archive/ashdown/1947/05/mill3.html"]["series"]["concluded"] is True
    # Polite and bounded: robots.txt kept the volunteers page out, the PDF and picture were not
    # fetched, the article listed but absent was counted as missing.
    assert "admin/volunteers/list.htm" not in _ids(data)
    counts = _run_counts(out)
    assert counts["robots_forbidden"] == 1
    assert counts["duplicates"] == 1  # the root as "/" and as "/index.htm": one record
    assert counts["skipped_non_html"] == 2
    assert counts["missing"] >= 1
    assert data["rejects"] == []
    assert problems(out) == []


@pytest.mark.corpus
def test_corpus_crawl_from_author_pages(corpus_root: Path, tmp_path: Path) -> None:
    starts = ["archive/hansen/index.htm", "archive/grant/index.htm", "archive/bax/index.htm"]
    disallowed = "/archive/hansen/1946/"
    out = tmp_path / "corpus"
    with origin(corpus_root, robots=f"User-agent: *\nDisallow: {disallowed}\n") as base:
        result = run_colophon("crawl", *[base + s for s in starts], "--out", str(out), *FAST)
        requested = origin_stats(base)["requests"]
    assert result.returncode in (0, 1), result.stdout + result.stderr
    data = _dataset(out)
    ids = _ids(data) + [r["url"][len(base):] for r in data["rejects"]]
    assert len(ids) == len(set(ids)), "a page was harvested twice"
    assert all(n == 1 for path, n in requested.items() if path != "/robots.txt"), "a URL was fetched twice"
    harvested = set(ids)
    # Every page an author index links to, that is present and allowed, was harvested once.
    for start in starts:
        tree = lxml.html.fromstring((corpus_root / start).read_bytes())
        for href in tree.xpath("//a/@href"):
            target = urljoin(base + start, href.split("#")[0])
            if not target.startswith(base):
                continue
            path = target[len(base):]
            if not path.endswith((".htm", ".html")) or not (corpus_root / path).is_file():
                continue
            if ("/" + path).startswith(disallowed):
                continue
            assert path in harvested, f"{path} is linked from {start} and present but was not harvested"
    assert not any(i.startswith(disallowed.lstrip("/")) for i in harvested)
    assert not any(p.startswith(disallowed) for p in requested)
    counts = _run_counts(out)
    assert counts["robots_forbidden"] > 0
    assert counts["missing"] > 0, "the sample corpus lacks pages the indexes link to: they are counted"
    assert not [r for r in data["rejects"] if r["code"] == "unreachable"], "an off-site URL was requested"
    assert len(data["works"]) > 300
    check = run_colophon("validate", str(out))
    assert check.returncode == 0, check.stdout


def test_offsite_links_are_never_requested(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SAMPLE, site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "trap.htm").write_text("<html><body><h1>Trap</h1></body></html>")
    with origin(elsewhere) as other:
        page = site / "archive/ashdown/index.htm"
        port = other.rsplit(":", 1)[1]
        links = f'<p><a href="{other}trap.htm">Mirror copy</a> <a href="http://localhost:{port}">x</a></p>'
        page.write_text(page.read_text().replace("</body>", links + "</body>"))
        with origin(site) as base:
            result = run_colophon("crawl", base, "--scope", "site", "--out", str(tmp_path / "out"), *FAST)
        assert origin_stats(other)["requests"] == {}
    assert result.returncode == 0, result.stdout + result.stderr


def test_scope_folder_stays_in_folder_but_follows_listed_works(tmp_path: Path) -> None:
    with origin(SAMPLE) as base:
        result = run_colophon("crawl", base + "archive/ashdown/", "--out", str(tmp_path / "o"), *FAST)
        requested = origin_stats(base)["requests"]
    assert result.returncode == 0, result.stderr
    ids = _ids(_dataset(tmp_path / "o"))
    assert "archive/baker/1944/02/jail.htm" in ids  # listed by Ashdown's index, filed elsewhere
    assert "archive/baker/1943/xx/war.htm" not in ids  # not listed: out of scope
    assert "/archive/weber/index.htm" not in requested


def test_a_refresh_where_the_index_answers_304_keeps_the_works_it_lists_elsewhere(tmp_path: Path) -> None:
    """The index is revalidated (304) and the listed work is not due: it is followed from the
    index's stored record, so a complete refresh does not remove it."""
    out = tmp_path / "o"
    with origin(SAMPLE) as base:
        first = run_colophon("crawl", base + "archive/ashdown/", "--out", str(out), *FAST, "--revisit-min", "86400")
        again = run_colophon("crawl", base + "archive/ashdown/", "--out", str(out), *FAST, "--revisit-min", "86400")
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    run = json.loads((out / "datapackage.json").read_text())["runs"][-1]
    assert run["complete"] and run["counts"]["not_modified"] >= 1 and run["counts"]["not_due"] >= 1
    assert "archive/baker/1944/02/jail.htm" in _ids(_dataset(out))
    assert read_jsonl(out / "tombstones.jsonl") == []


def _fault_site(root: Path) -> None:
    links = ["flaky.htm", "500.htm", "slow.htm", "redirect.htm", "loop1.htm", "truncated.htm",
             "huge.htm?bytes=2000000", "binary.htm"]
    body = "".join(f'<p class="index"><a href="/_faults/{link}">{link}</a></p>' for link in links)
    (root / "archive/faulty").mkdir(parents=True)
    (root / "archive/faulty/index.htm").write_text(
        f"<html><head><title>Faulty</title></head><body><h1>Faulty Writer</h1>{body}"
        '<p class="index"><a href="good.htm">A good page</a></p></body></html>')
    (root / "archive/faulty/good.htm").write_text(
        "<html><body><h2>Faulty Writer</h2><h1>A Good Page</h1><h3>(2 May 1940)</h3>"
        "<p>This page is perfectly fine and must survive the faults around it.</p></body></html>")


def test_faults_are_retried_counted_and_never_fatal(tmp_path: Path) -> None:
    _fault_site(tmp_path / "site")
    out = tmp_path / "out"
    with origin(tmp_path / "site", slow=6.0) as base:
        result = run_colophon("crawl", base + "archive/faulty/index.htm", "--scope", "site", "--out", str(out),
                              "--timeout", "2", "--retries", "2", "--max-page-bytes", "1000000", *FAST)
        requested = origin_stats(base)["requests"]
    assert result.returncode == 1, result.stdout + result.stderr  # finished, with rejects
    data = _dataset(out)
    rejects = {r["url"].rsplit("/", 1)[1].split(".")[0]: r["code"] for r in data["rejects"]}
    assert rejects == {"500": "http_500", "slow": "timeout", "loop1": "redirect_limit",
                       "truncated": "truncated", "huge": "too_large", "binary": "not_html"}
    assert all(r["stage"] in ("fetch", "extract") for r in data["rejects"])
    ids = _ids(data)
    assert "_faults/flaky.htm" in ids            # 503 twice, then answered: retried, not lost
    assert "_faults/landing.htm" in ids          # the redirect's target
    assert "archive/faulty/good.htm" in ids
    assert requested["/_faults/500.htm"] == 3    # the first try and two retries
    assert problems(out) == []


def test_local_folder_file_url_and_http_give_the_same_ids(tmp_path: Path) -> None:
    runs = {}
    with origin(SAMPLE) as base:
        for name, start in [("http", base + "archive/weber/"), ("folder", str(SAMPLE / "archive/weber")),
                            ("file", (SAMPLE / "archive/weber/index.htm").as_uri())]:
            out = tmp_path / name
            result = run_colophon("crawl", start, "--out", str(out), *FAST)
            assert result.returncode == 0, result.stdout + result.stderr
            runs[name] = sorted(_ids(_dataset(out)))
    assert runs["http"] == runs["folder"] == runs["file"]
    assert "archive/weber/1925/farmers/ch03.htm" in runs["http"]


@pytest.mark.parametrize(("args", "message"), [
    (["crawl"], "at least one START"),
    (["crawl", "--sample", "http://127.0.0.1:9/"], "not both"),
    (["crawl", "/no/such/folder"], "neither an http(s)"),
    (["crawl", "--sample", "--delay", "-1"], "--delay must not be negative"),
    (["crawl", "--sample", "--max-pages", "many"], "--max-pages must be a number"),
    (["validate", "/no/such/dataset"], "is not a folder"),
])
def test_bad_arguments_stop_at_once(args: list[str], message: str) -> None:
    result = run_colophon(*args, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_scrapy_crawl_still_works(tmp_path: Path) -> None:
    out = tmp_path / "scrapy"
    with origin(SAMPLE) as base:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "archive", "-a", f"start={base}archive/baker/",
             "-s", f"COLOPHON_OUT={out}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
             "-s", "LOG_LEVEL=ERROR"],
            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    ids = collections.Counter(_ids(_dataset(out)))
    assert ids["archive/baker/1943/xx/war.htm"] == 1
    assert problems(out) == []


def test_progress_is_a_live_line_on_a_terminal_and_log_lines_otherwise(tmp_path: Path) -> None:
    import os
    import pty

    from tests import synthetic

    site = synthetic.build(tmp_path / "site", authors=2, works=40)
    with origin(site) as base:
        args = [sys.executable, "-m", "crawler.cli", "crawl", base, "--scope", "site", "--delay", "0",
                "--concurrency", "2", "--progress-every", "0.1"]
        primary, secondary = pty.openpty()
        process = subprocess.Popen([*args, "--out", str(tmp_path / "tty")], cwd=REPO, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=secondary)
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=120)
        os.close(primary)
        plain = subprocess.run([*args, "--out", str(tmp_path / "plain")], cwd=REPO, capture_output=True,
                               text=True, timeout=120)
        # A refresh knows the size of its walk: the share done and the time left.
        refresh = subprocess.run([*args, "--out", str(tmp_path / "plain"), "--revalidate"], cwd=REPO,
                                 capture_output=True, text=True, timeout=120)
    live = seen.decode("utf-8", "replace")
    assert "\r\x1b[K" in live and "pages/s" in live and "| queue " in live and "| rejects " in live
    lines = [line for line in plain.stderr.splitlines() if "pages/s" in line]
    assert lines and all("\r" not in line for line in lines)
    assert not [line for line in lines if "ETA" in line]  # a first crawl cannot know how far it has to go
    shares = [re.search(r"\| (\d+)% \| ETA (\d+s|\d+m\d\ds|\?)$", line) for line in refresh.stderr.splitlines()
              if "pages/s" in line]
    assert shares and all(shares), refresh.stderr
    percents = [int(found.group(1)) for found in shares if found]
    assert percents == sorted(percents) and all(0 <= p <= 99 for p in percents)
