"""Exit codes mean one thing each, with a one-line message and no traceback: bad arguments (2) create
nothing, a held folder is 75, a damaged state store 65 (tests/test_state_loss.py), and a machine that
refuses — a full disk, a read-only one — 74, on a real filesystem of that kind."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import synthetic
from tests.support import dataset_bytes, origin, read_jsonl, run_colophon

FAST = ("--delay", "0", "--concurrency", "4", "--log-level", "ERROR", "--scope", "site", "--revisit-min", "0")
EXIT_ENVIRONMENT = 74


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A small filesystem of its own (root only: skipped where mounting is not allowed)."""
    where.mkdir(parents=True)
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("colophon:")]
    assert len(errors) == 1, result.stderr


@pytest.mark.parametrize("args", [
    ("--max-pages", "-1"),
    ("--scope", "everywhere"),
    ("--revisit-min", "10", "--revisit-max", "5"),
], ids=["negative", "bad-choice", "inverted-bounds"])
def test_bad_arguments_exit_2_and_create_nothing(args: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_colophon("crawl", "http://127.0.0.1:9/archive/x/", "--out", str(out), *args)
    assert result.returncode == 2, result.stderr
    assert not out.exists()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ("http://127.0.0.1:9/archive/x/", "--root-url", "http://127.0.0.1:10/"),
    ("http:///archive/x/",),
    ("http://user:secret@127.0.0.1:9/archive/x/",),
], ids=["start-outside-root", "no-host", "userinfo"])
def test_a_start_url_that_cannot_be_crawled_exits_2_and_creates_nothing(args: tuple[str, ...],
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_colophon("crawl", *args, "--out", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert not out.exists()
    _one_line_error(result)


def test_a_start_that_is_not_an_archive_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_colophon("crawl", str(tmp_path / "no-such-folder"), "--out", str(out))
    assert result.returncode == 2 and "neither" in result.stderr
    assert not out.exists()
    _one_line_error(result)


def test_a_full_disk_exits_74_and_the_next_run_resumes(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=2, works=40)
    with origin(site) as base, tmpfs(tmp_path / "small", "400k") as small:
        out = small / "out"
        full = run_colophon("crawl", base, "--out", str(out), *FAST)
        assert full.returncode == EXIT_ENVIRONMENT, full.stdout + full.stderr
        assert "No space left on device" in full.stderr or "disk is full" in full.stderr, full.stderr
        _one_line_error(full)
        assert "Traceback" not in full.stdout + full.stderr
        moved = tmp_path / "moved"
        shutil.copytree(out, moved, symlinks=True)  # the operator moves the dataset to a larger disk
    with origin(site) as base:  # and the archive comes back on another port
        resumed = run_colophon("crawl", base, "--out", str(moved), *FAST)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert len(read_jsonl(moved / "works.jsonl")) > 80
    assert run_colophon("validate", str(moved)).returncode == 0


def test_a_read_only_disk_exits_74_naming_the_path(tmp_path: Path) -> None:
    site = synthetic.build(tmp_path / "site", authors=1, works=3)
    with origin(site) as base, tmpfs(tmp_path / "disk", "8m") as disk:
        out = disk / "out"
        assert run_colophon("crawl", base, "--out", str(out), *FAST).returncode == 0
        works = dataset_bytes(out, "works.jsonl")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = run_colophon("crawl", base, "--out", str(out), *FAST)
        assert result.returncode == EXIT_ENVIRONMENT, result.stdout + result.stderr
        assert str(out) in result.stderr and "Read-only file system" in result.stderr
        _one_line_error(result)
        assert dataset_bytes(out, "works.jsonl") == works
