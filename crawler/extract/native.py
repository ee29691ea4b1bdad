"""The extraction modules compiled to C by mypyc, and when they are used.

`python -m crawler.extract.native` (run by `make`) compiles every module of this package but this one
and `__init__` into `_native/`, with a manifest of the sources it was built from: the interpreter's
tag and each source's sha256. The package puts `_native/` first on its path only while that manifest
matches the sources it would import (see `native_path`), so a module edited since the build is read
as Python, never the older compiled one; the two builds give equal records (the test suite runs the
extraction tests on both).

COLOPHON_EXTRACT_BUILD chooses: `native` requires the compiled build (an import error names what is
missing), `python` never uses it, unset uses it when it is there and current.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
BUILD = PACKAGE / "_native"
MANIFEST = "SOURCES"
CHOICE = "COLOPHON_EXTRACT_BUILD"
_NOT_COMPILED = frozenset({"__init__.py", "native.py"})


def compiled_sources() -> list[Path]:
    """The modules the compiled build holds: the package's, but its loader and this module."""
    return sorted(p for p in PACKAGE.glob("*.py") if p.name not in _NOT_COMPILED)


def manifest() -> str:
    """What a build is of: the interpreter it is for and each source's sha256, one per line."""
    lines = [f"python {sys.implementation.cache_tag} {sysconfig.get_config_var('EXT_SUFFIX')}"]
    lines += [f"{hashlib.sha256(p.read_bytes()).hexdigest()} {p.name}" for p in compiled_sources()]
    return "\n".join(lines) + "\n"


def native_path() -> list[str]:
    """The folder to search before the sources, when the compiled build is to be used: [] otherwise."""
    choice = os.environ.get(CHOICE, "")
    if choice not in ("", "native", "python"):
        raise ImportError(f"{CHOICE}={choice!r}: expected 'native', 'python' or unset")
    if choice == "python":
        return []
    try:
        current = (BUILD / MANIFEST).read_text(encoding="utf-8") == manifest()
    except OSError:
        current = False
    if current:
        return [str(BUILD)]
    if choice == "native":
        raise ImportError(f"{CHOICE}=native: the compiled extraction modules in {BUILD} are missing or older "
                          "than their sources (build them with `make native`)")
    return []


def build() -> None:
    """Compile the sources into BUILD, replacing the build that was there once the new one is whole."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    root = PACKAGE.parents[1]
    stamp = manifest()
    try:
        if (BUILD / MANIFEST).read_text(encoding="utf-8") == stamp:
            (BUILD / MANIFEST).touch()  # the sources were touched, not changed: the build stands
            return
    except OSError:
        pass
    with tempfile.TemporaryDirectory(prefix="colophon-native-") as work:
        previous = Path.cwd()
        os.chdir(root)  # mypyc names each module by its path from here
        try:
            extensions = mypycify([str(p.relative_to(root)) for p in compiled_sources()], opt_level="3",
                                  group_name="crawler.extract._native", target_dir=os.path.join(work, "c"))
            distribution = Distribution({"name": "colophon-native", "ext_modules": extensions})
            command = distribution.get_command_obj("build_ext")
            command.build_lib = os.path.join(work, "lib")
            command.build_temp = os.path.join(work, "tmp")
            distribution.run_command("build_ext")
        finally:
            os.chdir(previous)
        built = Path(work, "lib", "crawler", "extract")
        (built / MANIFEST).write_text(stamp, encoding="utf-8")
        staged = BUILD.with_name(BUILD.name + ".new")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(built, staged)
        shutil.rmtree(BUILD, ignore_errors=True)
        staged.rename(BUILD)


def main() -> None:
    if os.environ.get(CHOICE) == "python":
        print(f"{CHOICE}=python: the extraction modules are not compiled")
        return
    if shutil.which(sysconfig.get_config_var("CC").split()[0]) is None:
        message = "no C compiler: the extraction modules are read as Python (install gcc to compile them)"
        if os.environ.get(CHOICE) == "native":
            sys.exit(message)
        print(message)
        return
    build()
    print(f"compiled {len(compiled_sources())} extraction modules into {BUILD}")


if __name__ == "__main__":
    main()
