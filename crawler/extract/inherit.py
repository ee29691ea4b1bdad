"""What a record takes from the pages around it, the one place it is decided: a chapter from its
book's contents page (where it was printed, its licence, translators and date, and `part_of`), and a
series part from the part before it (`previous_url`). Pure: records and link ids in, records out.
A crawl applies it when it publishes; `colophon extract` over a folder applies it the same way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from models import PartOf, Work


def _root(record: dict[str, Any]) -> str:
    """The archive root a record's URL was made under (its URL less its id, as reached)."""
    url, page_id = str(record["url"]), str(record["id"])
    return url[: len(url) - len(page_id)]


@dataclass
class Inheritance:
    chapter_of: dict[str, dict[str, Any]] = field(default_factory=dict)  # chapter id -> its contents page
    previous_of: dict[str, str] = field(default_factory=dict)            # part id -> URL of the part before

    @classmethod
    def build(cls, tocs: Iterable[tuple[dict[str, Any], list[str]]],
              parts: Iterable[tuple[str, str, str]]) -> Inheritance:
        """From contents pages with the ids they link to, and (id, url, next_url) of series parts."""
        inheritance = cls()
        for toc, links in tocs:
            toc_id = toc["id"]
            folder = toc_id.rsplit("/", 1)[0] + "/" if "/" in toc_id else ""
            for link in links:
                # A chapter is a page of the contents page's own folder that it links to.
                if link.startswith(folder) and "/" not in link[len(folder):] and link != toc_id:
                    inheritance.chapter_of.setdefault(link, toc)
        for page_id, url, next_url in parts:
            root = url[: len(url) - len(page_id)]
            if next_url.startswith(root):
                inheritance.previous_of.setdefault(unquote(next_url[len(root):]), url)
        return inheritance

    def apply(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The record with what it inherits, or None when it inherits nothing."""
        page_id = record.get("id")
        if record.get("kind") not in ("work", "toc") or page_id is None:
            return None
        toc = self.chapter_of.get(page_id)
        previous = self.previous_of.get(page_id)
        data = dict(record)
        changed = False
        if toc is not None and data["kind"] == "work":
            if data.get("part_of") is None:
                # The contents page as reached from this record's host.
                data["part_of"] = PartOf(title=toc["title"], url=_root(data) + toc["id"]).model_dump(mode="json")
            for key in ("citation", "date"):
                if data.get(key) is None and toc.get(key) is not None:
                    data[key] = toc[key]
            if data["licence"]["status"] == "unknown" and toc["licence"]["status"] != "unknown":
                data["licence"] = toc["licence"]
            translators = [c for c in toc["credits"] if c["role"] == "translation"]
            if translators and not any(c["role"] == "translation" for c in data["credits"]):
                data["credits"] = [*data["credits"], *translators]
            changed = True
        if previous and data.get("series") and data["series"].get("previous_url") is None:
            data["series"] = {**data["series"], "previous_url": previous}
            changed = True
        if not changed:
            return None
        return Work.model_validate(data).model_dump(mode="json")


def link_ids(links: Iterable[str], root: str) -> list[str]:
    """The ids of the pages under `root` that URLs point to (how a crawl keeps a page's links)."""
    ids = []
    for link in links:
        if link.startswith(root):
            path = unquote(link[len(root):].split("#", 1)[0].split("?", 1)[0])
            ids.append(path + "index.htm" if not path or path.endswith("/") else path)
    return list(dict.fromkeys(ids))
