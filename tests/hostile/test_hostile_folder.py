"""A crawl of a hostile local folder: symlinks out of the root, a symlink to `/`, a `..%2F` climb,
a symlink to /dev/zero and a FIFO. Nothing outside the root is read, each trap is a reject with its
code, and the crawl finishes (a FIFO used to hang it for ever while it held the dataset lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.support import REPO, dataset_bytes, read_jsonl

PAGE = """<html><head><meta charset="utf-8"><title>Folder Writer: {title}</title></head><body>
<h2>Folder Writer</h2><h1>{title}</h1><h3>(2 June 1941)</h3>
<p class="fst">{text}</p><p>Another paragraph of prose, long enough to be a work.</p></body></html>
"""
SECRET = "The secret text of a file outside the archive"
# link in the index -> the reject code it must give (None: a record; "missing": counted, no reject)
TRAPS: dict[str, str | None] = {
    "plain.htm": None,
    "outside-link.htm": "outside_root",
    "root-link/etc/passwd": "outside_root",
    "root-link/": "outside_root",
    "zero.htm": "outside_root",
    "fifo.htm": "not_a_file",
    "missing.htm": "missing",
}
CLIMB = "..%2F..%2F..%2Foutside%2Fsecret.htm"


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("folder")
    (base / "outside").mkdir()
    (base / "outside/secret.htm").write_text(PAGE.format(title="Secret", text=SECRET))
    folder = base / "root/archive/hostile"
    folder.mkdir(parents=True)
    links = "".join(f'<p class="toc"><a href="{link}">{link}</a></p>' for link in [*TRAPS, CLIMB])
    (folder / "index.htm").write_text("<html><head><title>Folder Writer</title></head><body><p class=\"title\">"
                                      f"Marxist Writers: Folder Writer</p><h1>Folder Writer</h1>{links}</body></html>")
    (folder / "plain.htm").write_text(PAGE.format(title="A Plain Work", text="An ordinary work in the folder."))
    (folder / "outside-link.htm").symlink_to(base / "outside/secret.htm")
    (folder / "root-link").symlink_to("/")
    (folder / "zero.htm").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.htm")
    out = base / "out"
    command = [sys.executable, "-m", "crawler.cli", "crawl", str(folder), "--out", str(out), "--scope", "site",
               "--delay", "0", "--max-time", "60", "--timeout", "5", "--log-level", "ERROR"]
    started = time.monotonic()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    return {"result": result, "seconds": time.monotonic() - started, "out": out}


def test_the_crawl_finishes(crawl: dict[str, Any]) -> None:
    result = crawl["result"]
    assert result.returncode == 1, result.stdout + result.stderr  # finished, with rejects
    assert crawl["seconds"] < 60
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("link", list(TRAPS), ids=list(TRAPS))
def test_each_trap_is_a_reject_with_its_code(link: str, crawl: dict[str, Any]) -> None:
    out = crawl["out"]
    rejects = {r["url"].split("/archive/hostile/", 1)[1]: r for r in read_jsonl(out / "rejects.jsonl")}
    works = {w["id"].removeprefix("archive/hostile/"): w for w in read_jsonl(out / "works.jsonl")}
    want = TRAPS[link]
    if want is None:
        assert link in works and link not in rejects
    elif want == "missing":
        assert link not in works and link not in rejects  # a missing page, the same as over HTTP
    else:
        assert link in rejects, sorted(rejects)
        assert rejects[link]["code"] == want, rejects[link]


def test_nothing_outside_the_root_was_read(crawl: dict[str, Any]) -> None:
    out = crawl["out"]
    for name in ("works.jsonl", "indexes.jsonl", "other.jsonl"):
        text = dataset_bytes(out, name).decode("utf-8")
        assert SECRET not in text and "root:x:0" not in text
    ids = {w["id"] for w in read_jsonl(out / "works.jsonl")}
    assert ids == {"archive/hostile/plain.htm"}
