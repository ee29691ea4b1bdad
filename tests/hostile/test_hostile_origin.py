"""A crawl against a hostile origin with a canary beside it: the canary receives zero requests,
every hostile page ends in the dataset or in rejects.jsonl with its code, the crawl ends within its
limits, opens no listener and writes nothing outside its dataset folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.servers import PAGES, ROOT_PREFIX, gzip_check
from tests.support import REPO, dataset_bytes, read_jsonl

OFFSITE = "offsite_redirect"
# page -> the record it must become: ("work", None) or ("reject", codes accepted)
EXPECTED: dict[str, tuple[str, set[str] | None]] = {
    "plain.htm": ("work", None),
    "redirect-localhost.htm": ("reject", {OFFSITE}),
    "redirect-ip.htm": ("reject", {OFFSITE}),
    "redirect-protocol-relative.htm": ("reject", {OFFSITE}),
    "redirect-userinfo.htm": ("reject", {OFFSITE}),
    "redirect-ipv6.htm": ("reject", {OFFSITE}),
    "redirect-second-hop.htm": ("reject", {OFFSITE}),
    "redirect-outside-root.htm": ("reject", {OFFSITE}),
    "redirect-file.htm": ("reject", {OFFSITE}),
    "redirect-https.htm": ("reject", {OFFSITE}),
    "redirect-loop.htm": ("reject", {"redirect_limit"}),
    "redirect-unreadable.htm": ("reject", {OFFSITE}),
    "unreadable-links.htm": ("work", None),
    "meta-refresh.htm": ("reject", {OFFSITE}),
    "gzip-bomb.htm": ("reject", {"too_large"}),
    "deflate-bomb.htm": ("reject", {"too_large"}),
    "nested.htm": ("work-or-reject", {"body_lost", "too_deep"}),
    "controls.htm": ("work", None),
    "huge.htm": ("reject", {"too_large"}),
    "slow.htm": ("reject", {"timeout"}),
}
FORBIDDEN = {chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]}


def _listening_sockets(pid: int) -> list[str]:
    """The TCP sockets of a process that are listening (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                listening.append(fields[1])
    return listening


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[int, int]]:
    process = subprocess.Popen([sys.executable, "-m", "tests.hostile.servers"], cwd=REPO, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORTS "), line
        origin, canary = (int(x) for x in line.split()[1:])
        yield origin, canary
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def crawl(servers: tuple[int, int], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    origin, _ = servers
    base = tmp_path_factory.mktemp("hostile")
    out, home = base / "out", base / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_STATE_HOME": str(home / ".local/state"),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_CONFIG_HOME": str(home / ".config")}
    start = f"http://127.0.0.1:{origin}{ROOT_PREFIX}archive/hostile/index.htm"
    command = [sys.executable, "-m", "crawler.cli", "crawl", start, "--out", str(out), "--delay", "0",
               "--concurrency", "8", "--timeout", "3", "--retries", "0", "--max-time", "120", "--log-level", "ERROR"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=base, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)  # the slow page keeps the crawl alive for its 3 s timeout
    listening = _listening_sockets(process.pid) if process.poll() is None else []
    stdout, stderr = process.communicate(timeout=180)
    with urllib.request.urlopen(f"http://127.0.0.1:{origin}/_log", timeout=10) as response:
        log = json.loads(response.read())
    return {"code": process.returncode, "output": stdout + stderr, "seconds": time.monotonic() - started,
            "out": out, "home": home, "base": base, "log": log, "listening": listening}


def test_the_canary_receives_no_request(crawl: dict[str, Any]) -> None:
    assert crawl["log"]["canary"] == [], "requests left the archive"
    assert crawl["code"] in (0, 1), crawl["output"]


def test_the_crawl_ends_within_its_limits(crawl: dict[str, Any]) -> None:
    assert crawl["seconds"] < 120, crawl["seconds"]
    assert "Traceback" not in crawl["output"]


def _outcomes(out: Path) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    outcomes = {}
    for work in read_jsonl(out / "works.jsonl"):
        outcomes[work["id"].rsplit("/", 1)[-1]] = ("work", None, work)
    for reject in read_jsonl(out / "rejects.jsonl"):
        outcomes[reject["url"].rsplit("/", 1)[-1]] = ("reject", reject["code"], reject)
    return outcomes


@pytest.mark.parametrize("page", list(PAGES), ids=list(PAGES))
def test_every_hostile_page_is_a_record_or_a_reject_with_its_code(page: str, crawl: dict[str, Any]) -> None:
    outcomes = _outcomes(crawl["out"])
    assert page in outcomes, f"{page} vanished: neither a record nor a reject"
    kind, code, record = outcomes[page]
    want, codes = EXPECTED[page]
    if want == "work":
        assert kind == "work", record
    elif want == "reject":
        assert kind == "reject" and code in (codes or set()), record
        assert record["message"], record
    else:
        assert (kind == "work" and "hundred thousand" in record["text"]) or code in (codes or set()), record
    if code == OFFSITE:
        assert "outside the archive" in record["message"] and "to " in record["message"]


def test_no_record_holds_a_character_xml_forbids(crawl: dict[str, Any]) -> None:
    text = b"".join(dataset_bytes(crawl["out"], name) for name in ("works.jsonl", "rejects.jsonl")).decode("utf-8")
    decoded = json.loads("[" + ",".join(text.splitlines()) + "]")
    flat = json.dumps(decoded, ensure_ascii=False)
    assert not FORBIDDEN & set(flat)
    controls = next(w for w in read_jsonl(crawl["out"] / "works.jsonl") if w["id"].endswith("controls.htm"))
    assert controls["title"].startswith("Control Char")
    report = json.loads(next((crawl["out"] / "runs").glob("*.json")).read_text())
    assert report["counts"]["characters_removed"] >= 8  # counted in the run report


def test_links_that_are_not_pages_of_the_archive_are_never_requested(crawl: dict[str, Any]) -> None:
    requested = crawl["log"]["origin"]
    assert not [r for r in requested if "%0A" in r.upper() or "\n" in r or "passwd" in r or "elsewhere" in r]
    assert all(r.startswith(("GET /", "HEAD /")) for r in requested), requested  # no TLS hello, no other verb
    assert sum(r.endswith("/robots.txt") for r in requested) == 1  # once, from the archive's own host


def test_no_listener_and_nothing_written_outside_the_dataset(crawl: dict[str, Any]) -> None:
    assert crawl["listening"] == []
    assert list(crawl["home"].rglob("*")) == []
    assert sorted(p.name for p in crawl["base"].iterdir()) == ["home", "out"]


def test_the_bombs_are_real() -> None:
    gzip_check()
