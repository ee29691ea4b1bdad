"""Named fault points: places where storing a page or publishing a run can be killed on purpose.

`COLOPHON_FAULT=NAME` (or `NAME:N`, the Nth time the point is reached) in the environment makes the
process SIGKILL itself at that point, so tests can prove that every step is crash-safe. Unset, a
point costs one comparison.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    # storing a page (output.state.StateStore.store), inside its transaction
    "store.begun", "store.written", "store.marked", "store.committed",
    # publishing a run (output.publish.publish), in order
    "publish.staging", "publish.staged", "publish.committing", "publish.committed",
    "publish.feed-renamed", "publish.generation-renamed", "publish.swapped", "publish.linked",
    # writing what a crawl fetched (output.warc.WarcWriter): inside a record, sealing a file
    "warc.appending", "warc.sealing", "warc.sealed",
    # compacting the change feed (output.compact.compact), in order
    "compact.staging", "compact.staged", "compact.committed",
)

_SPEC = os.environ.get("COLOPHON_FAULT", "")
_NAME, _, _NTH = _SPEC.partition(":")
_COUNT = int(_NTH) if _NTH.isdigit() else 1
if _NAME and _NAME not in POINTS:
    raise SystemExit(f"COLOPHON_FAULT: unknown fault point {_NAME!r}; one of {', '.join(POINTS)}")
_seen = 0


def armed(name: str) -> bool:
    """Whether the next pass at this point dies (to tear a write in two before it)."""
    return name == _NAME and _seen + 1 == _COUNT


def point(name: str) -> None:
    """Die here, as a kill -9 would, when this point was asked for."""
    global _seen
    if name != _NAME:
        return
    _seen += 1
    if _seen == _COUNT:
        os.kill(os.getpid(), signal.SIGKILL)
