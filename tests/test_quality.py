"""The code standards of pyproject.toml hold: ruff's rules and mypy --strict over the package."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support import REPO


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "ruff", "check", "."],
    [sys.executable, "-m", "mypy", "crawler", "models", "output"],
], ids=["ruff", "mypy"])
def test_tool_passes(command: list[str]) -> None:
    module = command[2]
    if shutil.which(module) is None and subprocess.run([sys.executable, "-c", f"import {module}"],
                                                       capture_output=True).returncode:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
