"""Run one `colophon` command in this process and, when it exits, write what it cost to a JSON file:
bytes it wrote to storage (`write_bytes` of /proc/self/io, SQLite and every published file
included), bytes read, peak RSS (VmHWM), wall time, and CPU seconds: its own and its children's (the
extraction processes of `--workers N`, reaped before it exits).

    python benchmarks/_measured.py COST.json crawl --start-list FILE --out DIR ...
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
import time
from pathlib import Path


def _io() -> dict[str, int]:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return {key: int(value) for key, value in fields.items()}


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    cost_file, *command = sys.argv[1:]
    before = _io()
    started = time.perf_counter()

    def record() -> None:
        after = _io()
        status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
        Path(cost_file).write_text(json.dumps({
            "seconds": time.perf_counter() - started,
            "write_bytes": after["write_bytes"] - before["write_bytes"],
            "read_bytes": after["read_bytes"] - before["read_bytes"],
            "peak_rss_mb": int(status["VmHWM"].split()[0]) / 1024,
            "cpu_seconds": _cpu(resource.RUSAGE_SELF),
            "children_cpu_seconds": _cpu(resource.RUSAGE_CHILDREN),
        }))

    atexit.register(record)
    from crawler.cli.app import main as colophon

    sys.exit(colophon(command))


if __name__ == "__main__":
    main()
