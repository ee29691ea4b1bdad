"""Runs at archive scale: a synthetic archive of N pages (copies of the sample corpus, each copy's
folders renamed and its site-absolute links rewritten to stay inside it), served by nginx on
loopback, crawled in full, then refreshed unchanged (the scheduled run: pages not due are not
fetched), then refreshed after 10 pages changed (`--revalidate`: a conditional request for
every page). For each run: wall time, pages/s over time, RSS over time and peak, bytes written to
storage by the process (/proc/self/io: SQLite, the queue and every published file), against the
bytes of the dataset. Then `serve` start-up, the first and the last ListRecords page, and `export`.

    .venv/bin/python benchmarks/scale.py [--pages 100000]

nginx comes from Debian (`apt-get install -y nginx-light`, done here when it is missing).
Targets: an unchanged refresh writes under 1% of the dataset's bytes, a 10-page refresh under 5%,
peak RSS under 300 MB, an unchanged refresh takes under 5% of the full crawl's time; OAI-PMH page
latency does not grow with the position in the list.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _corpus import ROOT, corpus, corpus_pages

from output.snapshot import Snapshot

RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
CRAWL = ["--scope", "site", "--delay", "0", "--concurrency", "16", "--log-level", "ERROR", "--progress-every", "5"]
# A site-absolute or archive-absolute link's first folders: where a copy renames them.
_ABSOLUTE = re.compile(rb'((?:href|src)\s*=\s*["\']?)(?:https?://www\.marxists\.org)?/'
                       rb'((?:archive|reference)/[^/"\'#?]+|[^/"\'#?.]+)/', re.I)
_PROGRESS = re.compile(r"progress: pages (\d+) \| ([\d.]+) pages/s")


def _renamed(path: str, copy: int) -> str:
    """Copy `copy` of a page path: its author (or top) folder gets the copy's suffix."""
    if copy == 0:
        return path
    parts = path.split("/")
    at = 1 if parts[0] in ("archive", "reference") and len(parts) > 2 else 0
    if len(parts) <= at + 1:
        return f"c{copy}-{path}"
    parts[at] = f"{parts[at]}-c{copy}"
    return "/".join(parts)


def build_site(target: Path, pages: int) -> list[str]:
    """The synthetic archive; returns its page paths."""
    root = corpus()
    sample = [p.relative_to(root).as_posix() for p in corpus_pages(root)]
    shutil.copytree(root / "admin", target / "admin", dirs_exist_ok=True)  # the catalogues
    made: list[str] = []
    copy = 0
    while len(made) < pages:
        for path in sample:
            if len(made) >= pages:
                break
            body = (root / path).read_bytes()
            if copy:  # the folder a site-absolute link names is renamed as _renamed() renames it
                body = _ABSOLUTE.sub(lambda m, c=copy: m[1] + b"/" + m[2] + b"-c%d/" % c, body)
            new = _renamed(path, copy)
            (target / new).parent.mkdir(parents=True, exist_ok=True)
            (target / new).write_bytes(body)
            made.append(new)
        copy += 1
    return made


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx(site: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """nginx serving `site` on a loopback port (installed from Debian when missing)."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        subprocess.run(["apt-get", "install", "-y", "nginx-light"], check=True, capture_output=True)
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    (work / "nginx.conf").write_text(f"""
{user}
worker_processes 2;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    types {{ text/html htm html; application/json json; text/plain txt; }}
    default_type application/octet-stream;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{ listen 127.0.0.1:{port}; root {site}; index index.htm index.html; }}
}}
""")
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([binary, "-c", str(work / "nginx.conf"), "-p", str(work)])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit(f"nginx did not start: {(work / 'error.log').read_text()}")


class Sampler(threading.Thread):
    """RSS of a process every half second."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.started = time.monotonic()

    def run(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                rss = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmRSS"))
            except (OSError, StopIteration):
                return
            self.samples.append((round(time.monotonic() - self.started, 1), round(rss / 1024, 1)))
            time.sleep(0.5)


def measured(work: Path, name: str, *command: str) -> dict[str, Any]:
    """Run one colophon command, sampled; what it cost."""
    cost = work / f"{name}.cost.json"
    process = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "_measured.py"), str(cost), *command],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    out, err = process.communicate()
    sampler.join()
    if process.returncode not in (0, 1):
        sys.exit(f"{name} failed ({process.returncode}):\n{out[-2000:]}\n{err[-3000:]}")
    result = json.loads(cost.read_text())
    result["rss_mb_over_time"] = sampler.samples[:: max(1, len(sampler.samples) // 60)]
    result["pages_per_s_over_time"] = [(int(m[1]), float(m[2])) for m in _PROGRESS.finditer(err)]
    return result


def dataset_bytes(out: Path) -> int:
    snapshot = Snapshot.open(out)
    return sum(int(r.get("bytes") or 0) for r in snapshot.resources())


def _get(port: int, query: str) -> tuple[float, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", "/oai?" + query)
    body = connection.getresponse().read()
    connection.close()
    return time.perf_counter() - started, body


def oai(out: Path, work: Path) -> dict[str, Any]:
    """`serve` start-up (until it answers Identify), and the first and last ListRecords pages."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", str(out), "--port", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                _get(port, "verb=Identify")
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 600:
                    sys.exit("serve did not start")
                time.sleep(0.05)
        startup = time.perf_counter() - started
        first, body = _get(port, "verb=ListRecords&metadataPrefix=oai_dc")
        pages = 1
        last = first
        token = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
        while token:
            last, body = _get(port, f"verb=ListRecords&resumptionToken={token[1].decode()}")
            pages += 1
            token = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
        return {"startup_s": startup, "first_page_s": first, "last_page_s": last, "pages": pages}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--work", type=Path, help="keep the archive, the dataset and the costs in this (new) folder")
    args = parser.parse_args()
    if args.work is not None and args.work.exists():
        sys.exit(f"--work {args.work}: already exists")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        site = work / "site"
        pages = build_site(site, args.pages)
        server, base = nginx(site, work / "nginx")
        try:
            starts = work / "starts.txt"
            starts.write_text("".join(base + page + "\n" for page in pages))
            out = work / "dataset"
            crawl = ["crawl", "--start-list", str(starts), "--out", str(out), *CRAWL]
            full = measured(work, "full", *crawl)
            size = dataset_bytes(out)
            unchanged = measured(work, "unchanged", *crawl)
            works = [page for page in pages if page.startswith("archive/") and not page.endswith("index.htm")]
            for page in works[:: max(1, len(works) // 10)][:10]:
                path = site / page
                body = path.read_bytes()
                last = body.rfind(b"</p>")  # a corrected sentence at the end of the text's last paragraph
                path.write_bytes(body[:last] + b" A corrected sentence." + body[last:])
            ten = measured(work, "ten", *crawl, "--revalidate")
            ten_changes = Snapshot.open(out).runs()[-1]["changes"]
        finally:
            server.terminate()
            server.wait(timeout=30)
        listing = oai(out, work)
        export = measured(work, "export", "export", str(out), "--format", "csl", "--out", str(work / "csl.json"))
    runs = {"full": full, "unchanged": unchanged, "ten_changed": ten}
    result = {
        "pages": len(pages), "dataset_bytes": size, "machine": platform.machine(), "python": platform.python_version(),
        "runs": runs, "ten_changed_changes": ten_changes, "oai": listing,
        "export_s": export["seconds"], "export_peak_rss_mb": export["peak_rss_mb"],
        "ratios": {
            "unchanged_written_share": unchanged["write_bytes"] / size,
            "ten_changed_written_share": ten["write_bytes"] / size,
            "unchanged_time_share": unchanged["seconds"] / full["seconds"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs.values()),
            "last_over_first_page": listing["last_page_s"] / listing["first_page_s"],
        },
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{len(pages)} pages, dataset {size / 1e9:.2f} GB")
    for name, run in runs.items():
        print(f"{name:12s} {run['seconds']:8.1f} s  written {run['write_bytes'] / 1e6:9.1f} MB "
              f"({run['write_bytes'] / size:6.2%} of the dataset)  peak RSS {run['peak_rss_mb']:6.1f} MB")
    print(f"serve start-up {listing['startup_s']:.1f} s; ListRecords first page "
          f"{listing['first_page_s'] * 1000:.0f} ms, last ({listing['pages']}th) "
          f"{listing['last_page_s'] * 1000:.0f} ms; export {export['seconds']:.1f} s")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
