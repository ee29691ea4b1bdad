"""`colophon rebuild-state`: a lost or damaged state store rebuilt from the published dataset."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crawler.errors import EXIT_OK, UsageError


def add_parser(sub: Any) -> None:
    rebuild = sub.add_parser(
        "rebuild-state", help="rebuild a lost or damaged state store from the published dataset",
        description="Write a new state.sqlite from the folder's published snapshot, tombstones, change sets and "
                    "run reports, so the next crawl reports only real changes. A damaged store is kept aside as "
                    "state.sqlite.damaged-TIME. The next crawl fetches every page again (unconditionally).")
    rebuild.add_argument("folder", help="the dataset folder")
    rebuild.add_argument("--force", action="store_true", help="rebuild even when the store looks sound")
    rebuild.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from output.rebuild import rebuild_state, set_aside
    from output.snapshot import BrokenDataset, NoDataset, has_dataset
    from output.state import StateStore, StateStoreError, lock_folder, release_folder

    folder = Path(args.folder)
    if not folder.is_dir() or not has_dataset(folder):
        raise UsageError(f"rebuild-state: {folder} holds no published dataset to rebuild from")
    lock = lock_folder(folder)  # held from the check to the rebuilt store: no run can start in between
    try:
        try:
            StateStore.open(folder, create=False, held=lock).close()
        except StateStoreError:
            pass  # missing or damaged: what this command is for
        else:
            if not args.force:
                raise UsageError(f"rebuild-state: the state store in {folder} is sound; --force to rebuild it anyway")
        kept = set_aside(folder)
        try:
            counts = rebuild_state(folder, held=lock)
        except (NoDataset, BrokenDataset) as error:
            raise UsageError(f"rebuild-state: {error}") from None
    finally:
        release_folder(lock)
    print(f"Rebuilt {folder / 'state.sqlite'}: {counts['records']} records, {counts['tombstones']} tombstones, "
          f"{counts['runs']} runs" + (f"; the old store is kept as {kept.name}" if kept else ""))
    print("The next crawl fetches every page again and reports only what really changed.")
    return EXIT_OK
