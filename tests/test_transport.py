"""The file:// download handler: only regular files inside the archive's root folder, never blocking."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.spidermiddlewares.httperror import HttpError, HttpErrorMiddleware
from scrapy.utils.test import get_crawler

import crawler.transport
from crawler.failures import failure_code
from crawler.transport import LocalFileHandler
from crawler.urls import Site

PAGE = b"<html><body><h1>Wage Labour</h1></body></html>"
SECRET = b"<html><body>not part of the archive</body></html>"
HANG = 5.0  # seconds before a fetch counts as hung; the test fails instead of waiting for ever


@dataclass
class Spider:
    """What the handler reads of the spider: the crawl's site."""

    site: Site


@dataclass
class Fetched:
    response: Response | None
    error: BaseException | None
    seconds: float

    @property
    def outcome(self) -> bytes | int | str:
        """The body of a 200, the status of any other answer, or the reject code of a failure."""
        if self.error is not None:
            return failure_code(self.error)
        assert self.response is not None
        return self.response.body if self.response.status == 200 else self.response.status


def handler(root: str, **settings: Any) -> LocalFileHandler:
    crawler = get_crawler(settings_dict=settings)
    crawler.spider = Spider(Site.for_starts([root], root=root))  # type: ignore[assignment]
    return LocalFileHandler.from_crawler(crawler)


def fetch(local: LocalFileHandler, url: str, **meta: Any) -> Fetched:
    """One download, in its own thread and event loop, abandoned after HANG seconds: a handler
    that blocks fails the test instead of hanging the run."""
    done: list[Fetched] = []

    def run() -> None:
        started = time.monotonic()
        try:
            response = asyncio.run(local.download_request(Request(url, meta=meta)))
        except Exception as exc:
            done.append(Fetched(None, exc, time.monotonic() - started))
        else:
            done.append(Fetched(response, None, time.monotonic() - started))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(HANG)
    assert done, f"fetching {url} hung for {HANG} s"
    return done[0]


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """An archive root folder and a folder beside it, outside the archive."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "archive" / "marx").mkdir(parents=True)
    outside.mkdir()
    (root / "archive" / "marx" / "wage.htm").write_bytes(PAGE)
    (outside / "secret.htm").write_bytes(SECRET)
    return root, outside


# Each case builds what it needs in (root, outside) and answers the URL to fetch, relative to the root.
Case = Callable[[Path, Path], str]


def _link(name: str, target: str, through: str = "") -> Case:
    """A symlink `name` to `target` at the root; the URL is the link's, followed by `through`."""
    def build(root: Path, outside: Path) -> str:
        (root / name).symlink_to(target.format(root=root, outside=outside))
        return name + through.format(root=root, outside=outside)
    return build


def _fifo(root: Path, outside: Path) -> str:
    os.mkfifo(root / "x.htm")
    return "x.htm"


def _big(root: Path, outside: Path) -> str:
    (root / "big.htm").write_bytes(b"x" * 1001)
    return "big.htm"


def _index(name: str) -> Case:
    def build(root: Path, outside: Path) -> str:
        (root / "archive" / "engels").mkdir()
        (root / "archive" / "engels" / name).write_bytes(PAGE)
        return "archive/engels/"
    return build


def _empty_folder(root: Path, outside: Path) -> str:
    (root / "archive" / "empty").mkdir()
    return "archive/empty/"


CASES: dict[str, tuple[Case, bytes | int | str]] = {
    "regular-file": (lambda root, outside: "archive/marx/wage.htm", PAGE),
    "symlink-inside": (_link("same.htm", "{root}/archive/marx/wage.htm"), PAGE),
    "relative-symlink-inside": (_link("rel.htm", "archive/marx/wage.htm"), PAGE),
    "symlink-outside": (_link("leak.htm", "{outside}/secret.htm"), "outside_root"),
    "symlink-to-slash": (_link("disk", "/", through="{outside}/secret.htm"), "outside_root"),
    "folder-symlink-outside": (_link("out", "{outside}", through="/secret.htm"), "outside_root"),
    "folder-symlink-inside": (_link("marx", "archive/marx", through="/wage.htm"), PAGE),
    "encoded-dotdot": (lambda root, outside: "..%2Foutside%2Fsecret.htm", "outside_root"),
    "plain-dotdot": (lambda root, outside: "archive/../../outside/secret.htm", "outside_root"),
    "missing-outside": (lambda root, outside: "../nowhere.htm", "outside_root"),
    "fifo": (_fifo, "not_a_file"),
    "symlink-to-dev-zero": (_link("zero.htm", "/dev/zero"), "outside_root"),
    "too-large": (_big, "too_large"),
    "missing": (lambda root, outside: "archive/marx/gone.htm", 404),
    "through-a-file": (lambda root, outside: "archive/marx/wage.htm/more.htm", 404),
    "folder-index-htm": (_index("index.htm"), PAGE),
    "folder-index-html": (_index("index.html"), PAGE),
    "folder-without-index": (_empty_folder, 404),
    "folder-without-slash": (lambda root, outside: "archive/marx", "not_a_file"),
    "root-folder": (lambda root, outside: "", 404),
    "nul": (lambda root, outside: "a%00b.htm", "not_a_file"),
}


@pytest.mark.parametrize(("build", "expected"), CASES.values(), ids=CASES.keys())
def test_local_file(tree: tuple[Path, Path], build: Case, expected: bytes | int | str) -> None:
    root, outside = tree
    base = root.as_uri() + "/"
    local = handler(base, DOWNLOAD_MAXSIZE=1000)
    assert fetch(local, base + build(root, outside)).outcome == expected


def test_a_page_is_answered_like_scrapy_answers_it(tree: tuple[Path, Path]) -> None:
    base = tree[0].as_uri() + "/"
    url = base + "archive/marx/wage.htm"
    response = fetch(handler(base), url).response
    assert isinstance(response, HtmlResponse)
    assert response.url == url
    assert b"Content-Type" not in response.headers  # the spider sniffs the body


def test_a_refusal_names_the_resolved_path(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    (root / "leak.htm").symlink_to(outside / "secret.htm")
    error = fetch(handler(root.as_uri() + "/"), root.as_uri() + "/leak.htm").error
    assert error is not None and str(outside / "secret.htm") in str(error)


def test_a_fifo_is_refused_at_once(tree: tuple[Path, Path]) -> None:
    root = tree[0]
    os.mkfifo(root / "x.htm")
    fetched = fetch(handler(root.as_uri() + "/"), root.as_uri() + "/x.htm")
    assert fetched.outcome == "not_a_file"
    assert fetched.seconds < 0.5


def test_a_device_inside_the_root_is_not_a_file() -> None:
    # Nobody but root can make a device node in a test folder: /dev itself serves as the root.
    assert fetch(handler("file:///dev/"), "file:///dev/zero").outcome == "not_a_file"


@pytest.mark.parametrize(("settings", "meta", "expected"), [
    ({"DOWNLOAD_MAXSIZE": 1000}, {}, "too_large"),
    ({"DOWNLOAD_MAXSIZE": 0}, {}, b"x" * 1001),
    ({"DOWNLOAD_MAXSIZE": 1001}, {}, b"x" * 1001),
    ({"DOWNLOAD_MAXSIZE": 0}, {"download_maxsize": 1000}, "too_large"),
    ({"DOWNLOAD_MAXSIZE": 1000}, {"download_maxsize": 2000}, b"x" * 1001),
], ids=["setting", "zero-is-no-limit", "exactly-the-limit", "meta-lowers", "meta-raises"])
def test_size_limit(tree: tuple[Path, Path], settings: dict[str, Any], meta: dict[str, Any],
                    expected: bytes | str) -> None:
    root = tree[0]
    (root / "big.htm").write_bytes(b"x" * 1001)
    assert fetch(handler(root.as_uri() + "/", **settings), root.as_uri() + "/big.htm", **meta).outcome == expected


def test_a_file_growing_past_the_limit_is_cut_off(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree[0]
    (root / "big.htm").write_bytes(b"x" * 1001)
    # As if the file had been small when it was checked: only the read itself sees its size.
    monkeypatch.setattr(crawler.transport, "_check", lambda info, path, maxsize: None)
    assert fetch(handler(root.as_uri() + "/", DOWNLOAD_MAXSIZE=1000), root.as_uri() + "/big.htm").outcome \
        == "too_large"


@pytest.mark.parametrize(("settings", "meta"), [
    ({"DOWNLOAD_TIMEOUT": 0.05}, {}),
    ({"DOWNLOAD_TIMEOUT": 60}, {"download_timeout": 0.05}),
], ids=["setting", "meta"])
def test_a_slow_read_times_out(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                               settings: dict[str, Any], meta: dict[str, Any]) -> None:
    root = tree[0]

    def slow(*args: Any) -> bytes:
        time.sleep(0.5)
        return PAGE

    monkeypatch.setattr(crawler.transport, "_read_inside", slow)
    fetched = fetch(handler(root.as_uri() + "/", **settings), root.as_uri() + "/archive/marx/wage.htm", **meta)
    assert fetched.outcome == "timeout"
    assert "within" in str(fetched.error)


def test_a_crawl_without_a_local_root_reads_no_file(tree: tuple[Path, Path]) -> None:
    page = tree[0] / "archive" / "marx" / "wage.htm"
    assert fetch(handler("https://www.marxists.org/"), page.as_uri()).outcome == "outside_root"


def test_a_missing_file_is_an_http_error_the_spider_counts_as_missing(tree: tuple[Path, Path]) -> None:
    base = tree[0].as_uri() + "/"
    response = fetch(handler(base), base + "archive/marx/gone.htm").response
    assert response is not None
    response.request = Request(response.url)  # as the engine ties it after the download
    crawler = get_crawler()
    with pytest.raises(HttpError) as raised:
        HttpErrorMiddleware.from_crawler(crawler).process_spider_input(response)
    assert raised.value.response.status == 404
