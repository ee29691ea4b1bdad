"""`colophon extract` and `colophon schema` as a user runs them."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.long

FIXTURES = Path(__file__).parent / "fixtures"


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=None)


def _archive(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "admin/js/data").mkdir(parents=True)
    shutil.copy(FIXTURES / "authors.json", root / "admin/js/data/authors.json")
    for case, path in [("labelled_series", "archive/ashdown/1947/05/mill3.html"),
                       ("author_index", "archive/ashdown/index.htm"),
                       ("placeholder", "italiano/404.htm")]:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "pages" / case / "page.html", target)
    (root / "archive/ashdown/empty.htm").write_bytes(b"")
    (root / "archive/ashdown/picture.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    return root


def test_extract_folder_one_line_per_page(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    result = _run("extract", str(root / "archive"), str(root / "italiano"), "--root", str(root),
                  "--base-url", "http://mirror.example/mia")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_url = {line["url"]: line for line in lines}
    assert len(lines) == 5
    work = by_url["http://mirror.example/mia/archive/ashdown/1947/05/mill3.html"]
    assert work["id"] == "archive/ashdown/1947/05/mill3.html"
    assert work["author"]["name"] == "Ruth Ashdown"  # from ROOT/admin/js/data/authors.json
    assert by_url["http://mirror.example/mia/archive/ashdown/index.htm"]["kind"] == "author_index"
    assert by_url["http://mirror.example/mia/italiano/404.htm"]["kind"] == "other"
    assert by_url["http://mirror.example/mia/archive/ashdown/empty.htm"]["code"] == "empty_body"
    assert by_url["http://mirror.example/mia/archive/ashdown/picture.html"]["code"] == "not_html"


def test_extract_default_root_is_cwd(tmp_path: Path) -> None:
    root = _archive(tmp_path)
    result = _run("extract", "archive/ashdown/1947/05/mill3.html", cwd=root)
    assert json.loads(result.stdout)["url"] == "https://www.marxists.org/archive/ashdown/1947/05/mill3.html"


def test_extract_bad_arguments_stop_with_a_message(tmp_path: Path) -> None:
    missing = _run("extract", str(tmp_path / "nope.html"), "--root", str(tmp_path))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    outside = _run("extract", str(FIXTURES / "authors.json"), "--root", str(tmp_path))
    assert outside.returncode == 2 and "not inside --root" in outside.stderr
    bad_url = _run("extract", str(tmp_path), "--root", str(tmp_path), "--base-url", "ftp://x")
    assert bad_url.returncode == 2 and "--base-url" in bad_url.stderr
    assert "Traceback" not in missing.stderr + outside.stderr + bad_url.stderr


RECORD_TYPES = {"works", "indexes", "rejects", "other", "tombstones", "changes"}


def test_schema_prints_every_record_type_or_one_as_it_is() -> None:
    result = _run("schema")
    assert result.returncode == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) == RECORD_TYPES
    one = _run("schema", "works")
    assert one.returncode == 0 and json.loads(one.stdout) == schemas["works"]  # not wrapped in {"works": ...}
    assert "id" in json.loads(one.stdout)["properties"]
    helped = _run("schema", "--help").stdout
    assert all(name in helped for name in RECORD_TYPES)
    bogus = _run("schema", "bogus")
    assert bogus.returncode == 2 and "invalid choice" in bogus.stderr


def test_version_names_the_program_the_extractor_and_the_schema() -> None:
    import tomllib

    from crawler.extract.record import EXTRACTOR_VERSION
    from models.records import SCHEMA_VERSION

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == (f"colophon {project['version']} (extractor {EXTRACTOR_VERSION}, "
                                     f"record schema {SCHEMA_VERSION})")


def test_a_local_folder_is_crawled_without_pauses_and_a_site_with_them(tmp_path: Path) -> None:
    from tests import synthetic
    from tests.support import origin

    root = synthetic.build(tmp_path / "site", authors=1, works=3)

    def recorded_delay(out: Path) -> float:
        (report,) = sorted((out / "runs").glob("*.json"))
        return float(json.loads(report.read_text())["options"]["delay"])

    local = _run("crawl", str(root / "archive"), "--out", str(tmp_path / "local"), "--progress-every", "0")
    assert local.returncode in (0, 1), local.stderr
    assert recorded_delay(tmp_path / "local") == 0.0
    with origin(root) as base:
        remote = _run("crawl", base, "--out", str(tmp_path / "remote"), "--progress-every", "0", "--max-pages", "1")
    assert remote.returncode in (0, 1), remote.stderr
    assert recorded_delay(tmp_path / "remote") == 1.0
    slow = _run("crawl", str(root / "archive"), "--out", str(tmp_path / "asked"), "--delay", "0.01",
                "--progress-every", "0")
    assert slow.returncode in (0, 1) and recorded_delay(tmp_path / "asked") == 0.01  # what was asked stands


@contextlib.contextmanager
def _crawling(tmp_path: Path, slow: bool = False) -> Iterator[subprocess.Popen[str]]:
    """A polite crawl of a small site of its own, once it has made three requests (``slow``: once it
    waits for a page that takes 20 s to come, so that a graceful stop cannot end before it)."""
    import time

    from tests import synthetic
    from tests.support import REPO, origin, origin_stats

    root = synthetic.build(tmp_path / "site", authors=1, works=20)
    if slow:
        home = root / "index.htm"
        home.write_text(home.read_text().replace("</body>", '<a href="/_faults/slow.htm">Slow</a></body>'))
    with origin(root, slow=20.0) as base:
        crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", base, "--out", str(tmp_path / "out"),
                                  "--delay", "0.3", "--scope", "site", "--progress-every", "0"], cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            requests = origin_stats(base)["requests"]
            if sum(requests.values()) >= 3 and (not slow or "/_faults/slow.htm" in requests):
                break
            time.sleep(0.05)
        yield crawl


def test_ctrl_c_is_answered_at_once(tmp_path: Path) -> None:
    import signal

    with _crawling(tmp_path) as crawl:
        crawl.send_signal(signal.SIGINT)
        stdout, stderr = crawl.communicate(timeout=120)
    assert crawl.returncode == 4, stdout + stderr
    assert "colophon: stopping: finishing the pages in flight (Ctrl-C again to stop now" in stderr
    assert "Crawl interrupted" in stdout


def test_a_second_ctrl_c_stops_at_once_and_the_run_is_interrupted(tmp_path: Path) -> None:
    import signal
    import time

    with _crawling(tmp_path, slow=True) as crawl:  # a page in flight for 20 s: the first stop waits for it
        crawl.send_signal(signal.SIGINT)
        time.sleep(0.1)
        crawl.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        stdout, stderr = crawl.communicate(timeout=120)
    assert time.monotonic() - stopped < 10
    assert crawl.returncode == 4, stdout + stderr
    assert "Crawl interrupted: the run will resume" in stdout and "crawl failed" not in stdout


def test_every_subcommand_has_help() -> None:
    from crawler.cli import build_parser

    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    for name in subcommands:
        result = _run(name, "--help")
        assert result.returncode == 0 and "usage:" in result.stdout, name


def test_the_summary_gives_this_runs_work_and_the_datasets_totals(tmp_path: Path) -> None:
    from tests import synthetic
    from tests.support import origin, read_jsonl

    root = synthetic.build(tmp_path / "site", authors=1, works=4)
    out = tmp_path / "out"
    fast = ("--delay", "0", "--scope", "site", "--progress-every", "0", "--revisit-min", "3600")
    with origin(root) as base:
        first = _run("crawl", base, "--out", str(out), *fast)
        again = _run("crawl", base, "--out", str(out), *fast)  # nothing due: nothing fetched
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    works = len(read_jsonl(out / "works.jsonl"))
    indexes = len(read_jsonl(out / "indexes.jsonl"))
    assert works > 4
    assert re.search(r"^  works +0$", again.stdout, re.M), again.stdout  # this run's own
    totals = f"  in all             {works} works, {indexes} indexes, "
    assert totals in first.stdout and totals in again.stdout, again.stdout  # the dataset's, after each run


def test_ctrl_c_while_a_stopped_crawl_exits_changes_nothing(tmp_path: Path) -> None:
    """Ctrl-C pressed again and again after the crawl stopped, while it says so and exits: the exit
    is still the interrupted run's (4), never a process killed by the signal."""
    import signal
    import time

    with _crawling(tmp_path) as crawl:
        crawl.send_signal(signal.SIGINT)
        assert crawl.stdout is not None
        said = [crawl.stdout.readline()]
        while "Crawl interrupted" not in said[-1] and said[-1]:
            said.append(crawl.stdout.readline())
        while crawl.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                crawl.send_signal(signal.SIGINT)
            time.sleep(0.001)
        _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 4, "".join(said) + stderr
    assert "Traceback" not in stderr
