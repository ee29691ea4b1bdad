"""The compiled build of the extraction modules: used only while it is of the sources as they are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import crawler.extract
from crawler.extract import native


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "_native"
    folder.mkdir()
    monkeypatch.setattr(native, "BUILD", folder)
    monkeypatch.delenv(native.CHOICE, raising=False)
    return folder


def test_a_build_of_the_sources_as_they_are_is_used(build: Path) -> None:
    (build / native.MANIFEST).write_text(native.manifest(), encoding="utf-8")
    assert native.native_path() == [str(build)]


def test_a_build_of_other_sources_is_not_used(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = native.manifest().splitlines(keepends=True)
    lines[1] = "0" * 64 + lines[1][64:]  # one module changed since
    (build / native.MANIFEST).write_text("".join(lines), encoding="utf-8")
    assert native.native_path() == []
    monkeypatch.setenv(native.CHOICE, "native")
    with pytest.raises(ImportError, match="older than their sources"):
        native.native_path()


def test_a_build_for_another_interpreter_is_not_used(build: Path) -> None:
    lines = native.manifest().splitlines(keepends=True)
    lines[0] = "python cpython-399 .cpython-399-x86_64-linux-gnu.so\n"
    (build / native.MANIFEST).write_text("".join(lines), encoding="utf-8")
    assert native.native_path() == []


def test_no_build(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert native.native_path() == []
    monkeypatch.setenv(native.CHOICE, "native")
    with pytest.raises(ImportError, match="missing"):
        native.native_path()


def test_the_choice_python_never_uses_a_build(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (build / native.MANIFEST).write_text(native.manifest(), encoding="utf-8")
    monkeypatch.setenv(native.CHOICE, "python")
    assert native.native_path() == []


def test_an_unknown_choice_is_refused(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native.CHOICE, "fast")
    with pytest.raises(ImportError, match="expected 'native', 'python' or unset"):
        native.native_path()


def test_the_manifest_names_every_compiled_module() -> None:
    names = [line.split(" ", 1)[1] for line in native.manifest().splitlines()[1:]]
    modules = sorted(p.name for p in native.PACKAGE.glob("*.py"))
    assert names == [name for name in modules if name not in ("__init__.py", "native.py")]
    assert "document.py" in names and "vocab.py" in names


@pytest.mark.skipif(os.environ.get(native.CHOICE) != "native", reason="the compiled build is not asked for")
def test_the_compiled_build_asked_for_is_the_one_in_use() -> None:
    assert crawler.extract.NATIVE
    assert crawler.extract.document.__file__ is not None
    assert Path(crawler.extract.document.__file__).parent == native.BUILD


def test_the_sources_are_read_when_asked() -> None:
    env = {**os.environ, native.CHOICE: "python"}
    shown = subprocess.run([sys.executable, "-c", "import crawler.extract as e; print(e.NATIVE, e.document.__file__)"],
                           capture_output=True, text=True, env=env, check=True).stdout.split()
    assert shown[0] == "False"
    assert shown[1] == str(native.PACKAGE / "document.py")
