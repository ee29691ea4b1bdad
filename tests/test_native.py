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


def _built(build: Path, manifest: str) -> None:
    """A build in ``build`` holding every module ``manifest`` names (empty files: never imported here)."""
    (build / native.MANIFEST).write_text(manifest, encoding="utf-8")
    for line in manifest.splitlines():
        if line.startswith("module "):
            (build / line.split(" ", 1)[1]).write_bytes(b"")


def _changed(manifest: str, starts: str) -> str:
    """The manifest with the first line that starts with ``starts`` changed."""
    lines = manifest.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith(starts))
    lines[index] = lines[index].replace(lines[index].split(" ")[1], "0" * 64, 1)
    return "".join(lines)


def test_a_build_of_the_sources_as_they_are_is_used(build: Path) -> None:
    _built(build, native.manifest())
    assert native.native_path() == [str(build)]


def test_a_build_of_other_sources_is_not_used(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _built(build, _changed(native.manifest(), "input "))  # one source changed since
    assert native.native_path() == []
    monkeypatch.setenv(native.CHOICE, "native")
    with pytest.raises(ImportError, match="older than their sources"):
        native.native_path()


def test_a_build_before_the_record_models_changed_is_not_used(build: Path) -> None:
    # The compiled code checks the types the models declare: a change there is a change of its own.
    manifest = native.manifest()
    assert "input " in manifest and " models/records.py\n" in manifest
    lines = [line if not line.endswith(" models/records.py") else "input " + "0" * 64 + " models/records.py"
             for line in manifest.splitlines()]
    _built(build, "\n".join(lines) + "\n")
    assert native.native_path() == []


def test_a_build_by_another_mypy_or_for_another_interpreter_is_not_used(build: Path) -> None:
    for starts in ("python ", "mypy "):
        lines = native.manifest().splitlines(keepends=True)
        lines = [line if not line.startswith(starts) else starts + "other\n" for line in lines]
        _built(build, "".join(lines))
        assert native.native_path() == [], starts


def test_a_build_missing_a_module_is_not_used(build: Path) -> None:
    # A build torn by a copy that did not finish: its manifest is current, a module is not there.
    manifest = native.manifest()
    _built(build, manifest)
    shared = next(line for line in manifest.splitlines() if line.startswith("module _native__mypyc"))
    (build / shared.split(" ", 1)[1]).unlink()
    assert native.native_path() == []


def test_no_build(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert native.native_path() == []
    monkeypatch.setenv(native.CHOICE, "native")
    with pytest.raises(ImportError, match="missing"):
        native.native_path()


def test_the_choice_python_never_uses_a_build(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _built(build, native.manifest())
    monkeypatch.setenv(native.CHOICE, "python")
    assert native.native_path() == []


def test_an_unknown_choice_is_refused(build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native.CHOICE, "fast")
    with pytest.raises(ImportError, match="expected 'native', 'python' or unset"):
        native.native_path()


def test_the_manifest_names_every_compiled_module_and_what_it_depends_on() -> None:
    lines = native.manifest().splitlines()
    modules = [line.split(" ", 1)[1] for line in lines if line.startswith("module ")]
    inputs = [line.split(" ", 2)[2] for line in lines if line.startswith("input ")]
    sources = sorted(p.name for p in native.PACKAGE.glob("*.py"))
    compiled = [name for name in sources if name not in ("__init__.py", "native.py")]
    assert modules[:-1] == [name[:-3] + native._EXTENSION for name in compiled]
    assert modules[-1].startswith("_native__mypyc.")
    assert inputs == ["pyproject.toml", "crawler/__init__.py", *(f"crawler/extract/{name}" for name in sources),
                      "models/__init__.py", "models/records.py"]


def test_a_build_that_fails_leaves_the_modules_read_as_python(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    def refused() -> bool:
        raise SystemExit("error: mypyc refused a module")

    monkeypatch.setattr(native, "build", refused)
    monkeypatch.delenv(native.CHOICE, raising=False)
    assert native.main() == 0
    assert "read as Python" in capsys.readouterr().err
    monkeypatch.setenv(native.CHOICE, "native")
    assert native.main() == 1
    assert "requires them" in capsys.readouterr().err


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
