"""The one place the crawl touches the dataset's state: the frontier and page memory a spider
navigates by (conditional requests, revisit plans, resumption). A thin adapter over output.state,
so spiders import navigation, not storage."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import utc_now
from output.publish import recover
from output.state import Policy, RunLocked, StateStore

__all__ = ["QUEUE_DIR", "CrawlRun", "Policy", "RunLocked", "StateStore", "open_run", "queue_dir"]

# Scrapy's disk queue of the requests waiting to be sent (its JOBDIR), inside the dataset folder:
# the crawl's memory does not grow with the number of pages queued. It only lives as long as one
# process (the frontier in the state store is what a resumed run starts from).
QUEUE_DIR = ".queue"


def queue_dir(out: str | Path) -> Path:
    return Path(out) / QUEUE_DIR


@dataclass
class CrawlRun:
    state: StateStore
    policy: Policy
    run_id: str
    started: str
    resumed: bool


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def open_run(settings: Any) -> CrawlRun:
    """Lock the dataset folder, finish any half-done publication, and resume the interrupted run
    or begin a new one. Raises RunLocked when another live process holds the folder."""
    policy = Policy(
        minimum=settings.getfloat("COLOPHON_REVISIT_MIN"),
        maximum=settings.getfloat("COLOPHON_REVISIT_MAX"),
        revalidate=settings.getbool("COLOPHON_REVALIDATE"),
    )
    if policy.minimum > policy.maximum:
        raise ValueError("COLOPHON_REVISIT_MIN must not exceed COLOPHON_REVISIT_MAX")
    state = StateStore.open(Path(settings.get("COLOPHON_OUT")))
    shutil.rmtree(queue_dir(state.folder), ignore_errors=True)  # a killed process's queue: the frontier has it
    recover(state)
    state.batching = True  # a crawl's pages commit in batches (StateStore.unit)
    interrupted = state.interrupted_run()
    run_id = interrupted or settings.get("COLOPHON_RUN_ID") or new_run_id()
    if not interrupted and run_id in {r["run"] for r in state.runs()}:
        # A fixed COLOPHON_RUN_ID (scrapyd's nightly job) names each run, never reuses one: a run's
        # change set and report are written once.
        run_id = f"{run_id}-{new_run_id()}"
    started = utc_now()
    state.begin_run(run_id, started, settings.getdict("COLOPHON_RUN_OPTIONS"))
    return CrawlRun(state, policy, run_id, started, interrupted is not None)
