"""scrapyd, as the README shows it: a real scrapyd on 127.0.0.1, the project deployed with
`scrapyd-deploy` from a copy of the checkout, the `archive` spider scheduled against a local origin;
the job writes the dataset a `colophon crawl` writes, its log shows progress, its run report the
options it was given, and the deployment leaves nothing behind in the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import synthetic
from tests.support import REPO, free_port, origin, problems, published, run_colophon

BIN = Path(sys.executable).parent
SCRAPYD, DEPLOY = shutil.which("scrapyd", path=str(BIN)), shutil.which("scrapyd-deploy", path=str(BIN))
pytestmark = pytest.mark.skipif(SCRAPYD is None or DEPLOY is None,
                                reason="scrapyd and scrapyd-client are test dependencies (pyproject: test)")
CHECKOUT = ("crawler", "models", "output", "pyproject.toml", "setup.py", "scrapy.cfg", "README.md")


def _api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
    assert answer.get("status") == "ok", answer
    return answer


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A scrapyd of the module's own, on a free loopback port, keeping everything in its folder."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
        f"items_dir =\ndbs_dir = {home / 'dbs'}\nmax_proc = 1\npoll_interval = 0.2\n")
    # A deployed egg carries the extraction's sources, not their compiled build: its jobs read them as
    # Python, whatever build the tests themselves require.
    env = {name: value for name, value in os.environ.items() if name != "COLOPHON_EXTRACT_BUILD"}
    process = subprocess.Popen([str(SCRAPYD)], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            _api(base, "daemonstatus.json")
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("scrapyd did not start") from None
            time.sleep(0.2)
    try:
        yield {"base": base, "home": home}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_project_deploys_and_the_scheduled_job_writes_the_dataset(scrapyd: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in CHECKOUT:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, checkout / name)
    config = (checkout / "scrapy.cfg").read_text().replace("http://localhost:6800/", scrapyd["base"])
    (checkout / "scrapy.cfg").write_text(config)
    before = sorted(path.name for path in checkout.iterdir())
    deployed = subprocess.run([str(DEPLOY)], cwd=checkout, capture_output=True, text=True, timeout=300)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert '"status": "ok"' in deployed.stdout + deployed.stderr
    assert sorted(path.name for path in checkout.iterdir() if path.name not in ("build", "colophon.egg-info")) \
        == before  # no setup.py of its own left behind (build/ and the egg-info are ignored by git)

    site = synthetic.build(tmp_path / "site", authors=1, works=6)
    out, reference = tmp_path / "job", tmp_path / "reference"
    with origin(site) as base:
        job = _api(scrapyd["base"], "schedule.json", [
            ("project", "colophon"), ("spider", "archive"), ("start", base), ("scope", "site"),
            ("setting", f"COLOPHON_OUT={out}"), ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_ENABLED=0"), ("setting", "COLOPHON_PROGRESS_INTERVAL=0.05")])["jobid"]
        deadline = time.monotonic() + 240
        while not any(j["id"] == job for j in _api(scrapyd["base"], "listjobs.json?project=colophon")["finished"]):
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.3)
        made = run_colophon("crawl", base, "--out", str(reference), "--scope", "site", "--delay", "0",
                            "--log-level", "ERROR")
        assert made.returncode == 0, made.stdout + made.stderr
    assert problems(out) == []
    assert published(out) == published(reference)  # the job's dataset is a crawl's
    log = next((scrapyd["home"] / "logs" / "colophon" / "archive").glob(f"{job}.log")).read_text()
    assert "[colophon.progress] INFO: progress: pages " in log
    assert "Traceback" not in log
    report = json.loads((out / "runs" / f"{json.loads((out / 'datapackage.json').read_text())['runs'][-1]['id']}"
                                       ".json").read_text())
    options = report["options"]
    assert options["starts"]["count"] == 1 and options["scope"] == "site"
    assert options["settings"]["COLOPHON_OUT"] == str(out) and options["settings"]["DOWNLOAD_DELAY"] == "0"
