"""The extraction modules compiled to C by mypyc, and when they are used.

`python crawler/extract/native.py` (run by `make native`, and by `make run` and `make test` before
they start) compiles every module of this package but this one and `__init__` into `_native/`, with
a manifest of what it was built from: the interpreter, mypy's version, and the sha256 of each file
the compiled code depends on (this package's modules, the record models whose types it checks,
`pyproject.toml`, which holds mypy's settings). The sources are copied first and the copies
compiled, so a file edited during a build is never taken for the one the build holds. The package
puts `_native/` first on its path only while that manifest matches the files as they are and every
module the manifest names is there (see `native_path`): a module edited since the build is read as
Python, never the older compiled one. The two builds give equal records (`make test` runs the
extraction's unit tests on both).

COLOPHON_EXTRACT_BUILD chooses: `native` requires the compiled build (the build fails rather than
fall back, and an import without a current build fails naming what is missing), `python` never
uses it, unset uses it when it is there and current.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    del sys.path[0]  # this folder, put first by running the file: its modules are not top-level ones

import hashlib
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parents[1]
BUILD = PACKAGE / "_native"
MANIFEST = "SOURCES"
CHOICE = "COLOPHON_EXTRACT_BUILD"
GROUP = "crawler.extract._native"  # the shared library of the compiled modules: _native__mypyc
_NOT_COMPILED = frozenset({"__init__.py", "native.py"})
_EXTENSION = EXTENSION_SUFFIXES[0]  # this interpreter's own: ".cpython-311-x86_64-linux-gnu.so"


def _modules(folder: Path) -> list[Path]:
    """The Python modules in ``folder``, in order (not an editor's lock file, `.#name.py`)."""
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("."))


def compiled_sources(root: Path = ROOT) -> list[Path]:
    """The modules the compiled build holds: the package's, but its loader and this module."""
    return [p for p in _modules(root / "crawler" / "extract") if p.name not in _NOT_COMPILED]


def _inputs(root: Path) -> list[Path]:
    """Every file a build depends on, under ``root``."""
    return [root / "pyproject.toml", root / "crawler" / "__init__.py", *_modules(root / "crawler" / "extract"),
            *_modules(root / "models")]


def manifest(root: Path = ROOT) -> str:
    """What a build is of: the interpreter, mypy, each input's sha256, and the modules it holds."""
    from importlib import metadata  # (already imported by pydantic; importing mypy itself costs 15 ms)

    try:
        mypy_version = metadata.version("mypy")
    except metadata.PackageNotFoundError:  # no mypy, no build to have been made by it
        mypy_version = "none"
    lines = [f"python {sys.implementation.cache_tag} {_EXTENSION}", f"mypy {mypy_version}"]
    lines += [f"input {hashlib.sha256(p.read_bytes()).hexdigest()} {p.relative_to(root).as_posix()}"
              for p in _inputs(root)]
    lines += [f"module {p.stem}{_EXTENSION}" for p in compiled_sources(root)]
    lines.append(f"module {GROUP.rsplit('.', 1)[1]}__mypyc{_EXTENSION}")
    return "\n".join(lines) + "\n"


def _current() -> bool:
    """The build in BUILD is of the files as they are, and whole."""
    try:
        built = (BUILD / MANIFEST).read_text(encoding="utf-8")
    except OSError:
        return False
    if built != manifest():
        return False
    return all((BUILD / line.split(" ", 1)[1]).is_file() for line in built.splitlines() if line.startswith("module "))


def native_path() -> list[str]:
    """The folder to search before the sources, when the compiled build is to be used: [] otherwise."""
    choice = os.environ.get(CHOICE, "")
    if choice not in ("", "native", "python"):
        raise ImportError(f"{CHOICE}={choice!r}: expected 'native', 'python' or unset")
    if choice == "python":
        return []
    if _current():
        return [str(BUILD)]
    if choice == "native":
        raise ImportError(f"{CHOICE}=native: the compiled extraction modules in {BUILD} are missing or older "
                          "than their sources (build them with `make native`)")
    return []


def build() -> bool:
    """Compile the sources into BUILD, replacing the build that was there once the new one is whole;
    False when the build there is current already. One build at a time (a lock beside BUILD)."""
    import fcntl  # (what only a build needs is imported here: every import of the package reads this module)
    import shutil
    import tempfile

    with open(PACKAGE / "_native.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _current():
            return False
        with tempfile.TemporaryDirectory(prefix="colophon-native-") as work:
            copy = Path(work, "src")
            for source in _inputs(ROOT):
                target = copy / source.relative_to(ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            stamp = manifest(copy)  # of the files compiled, whatever changes in the checkout meanwhile
            _compile(copy, Path(work, "lib"), Path(work, "tmp"))
            built = Path(work, "lib", "crawler", "extract")
            (built / MANIFEST).write_text(stamp, encoding="utf-8")
            for left in PACKAGE.glob("_native.*"):  # what a build killed midway left (the lock is a file)
                if left.is_dir():
                    shutil.rmtree(left, ignore_errors=True)
            staged = Path(tempfile.mkdtemp(prefix="_native.", dir=PACKAGE))
            retired = PACKAGE / f"_native.old.{os.getpid()}"
            try:
                shutil.copytree(built, staged, dirs_exist_ok=True)
                if BUILD.exists():
                    BUILD.rename(retired)
                staged.rename(BUILD)
            finally:
                shutil.rmtree(staged, ignore_errors=True)
                shutil.rmtree(retired, ignore_errors=True)
        return True


def _compile(root: Path, lib: Path, temp: Path) -> None:
    from mypyc.build import mypycify
    from setuptools import Distribution

    previous = Path.cwd()
    os.chdir(root)  # mypyc names each module by its path from here, and reads mypy's settings here
    try:
        extensions = mypycify([p.relative_to(root).as_posix() for p in compiled_sources(root)], opt_level="3",
                              group_name=GROUP, target_dir=str(temp / "c"))
        distribution = Distribution({"name": "colophon-native", "ext_modules": extensions})
        command = distribution.get_command_obj("build_ext")
        command.build_lib = str(lib)
        command.build_temp = str(temp)
        distribution.run_command("build_ext")
    finally:
        os.chdir(previous)


def main() -> int:
    choice = os.environ.get(CHOICE, "")
    if choice == "python":
        print(f"{CHOICE}=python: the extraction modules are read as Python")
        return 0
    try:
        built = build()
    except (Exception, SystemExit) as error:  # no compiler, no headers, no mypy, a module mypyc refuses
        message = f"the extraction modules could not be compiled ({type(error).__name__}: {error})"
        if choice == "native":
            print(f"{message}; {CHOICE}=native requires them", file=sys.stderr)
            return 1
        print(f"{message}: they are read as Python, which gives the same records more slowly", file=sys.stderr)
        return 0
    print(f"compiled {len(compiled_sources())} extraction modules into {BUILD}" if built
          else f"the compiled extraction modules in {BUILD} are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
