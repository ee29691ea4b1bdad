"""Pipelines: validate, drop duplicates, write the dataset (streamed, then published atomically)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from itemadapter import ItemAdapter
from pydantic import BaseModel, ValidationError
from scrapy.exceptions import DropItem, NotConfigured

from crawler.extract import EXTRACTOR_VERSION
from crawler.items import PageItem
from models import Index, OtherPage, PartOf, Reject, Work
from output.atomic import publish
from output.dataset import FILES, write_datapackage
from output.jsonl import JsonLinesWriter

FILE_OF = {Work: "works.jsonl", Index: "indexes.jsonl", Reject: "rejects.jsonl", OtherPage: "other.jsonl"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ValidatePipeline:
    """Every record leaves as a model instance; anything else becomes a reject with a code."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> "ValidatePipeline":
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageItem):
            raise DropItem(f"unexpected item {type(item).__name__}")
        record = item.record
        if isinstance(record, BaseModel):
            return item
        data = ItemAdapter(record).asdict() if ItemAdapter.is_item(record) else {}
        model = {"work": Work, "toc": Work, "author_index": Index, "section_index": Index,
                 "other": OtherPage}.get(str(data.get("kind")), Reject)
        try:
            item.record = model.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            self.stats.inc_value("colophon/invalid")
            item.record = Reject(url=str(data.get("url", "")), stage="validate", code=first["type"],
                                 message=str(first["msg"]), fetched_at=_now())
        return item


class DedupePipeline:
    """One record per id (per URL for rejects); later duplicates are dropped and counted."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DedupePipeline":
        return cls(crawler.stats)

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        record = item.record
        key = f"reject:{record.url}" if isinstance(record, Reject) else record.id
        if key in self.seen:
            self.stats.inc_value("colophon/duplicates")
            raise DropItem(f"duplicate {key}")
        self.seen.add(key)
        return item


class DatasetPipeline:
    """Streams records to part files, then publishes each data file atomically with datapackage.json.

    Chapters inherit from their contents page at publication: the source, licence, translators
    and date a chapter does not state itself, and `part_of`; series parts get `previous_url`.
    """

    def __init__(self, out: Path, crawler: Any) -> None:
        self.out = out
        self.crawler = crawler
        self.stats = crawler.stats
        self.handles: dict[str, BinaryIO] = {}
        self.writers: dict[str, JsonLinesWriter] = {}
        self.tocs: dict[str, dict[str, Any]] = {}
        self.chapter_of: dict[str, str] = {}
        self.previous_of: dict[str, str] = {}
        self.started = _now()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DatasetPipeline":
        out = crawler.settings.get("COLOPHON_OUT")
        if not out:
            raise NotConfigured("COLOPHON_OUT is not set")
        return cls(Path(out), crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            path = self.out / f".{name}.part"
            self.handles[name] = open(path, "wb")  # noqa: SIM115 - closed in close_spider
            self.writers[name] = JsonLinesWriter(self.handles[name])

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        record = item.record
        name = FILE_OF[type(record)]
        self.writers[name].write(record)
        self.stats.inc_value(f"colophon/records/{name.removesuffix('.jsonl')}")
        if isinstance(record, Work):
            if record.kind == "toc":
                folder = record.url.rsplit("/", 1)[0] + "/"
                self.tocs[record.url] = {
                    "title": record.title, "citation": record.citation, "licence": record.licence,
                    "date": record.date, "translators": [c for c in record.credits if c.role == "translation"],
                }
                for link in item.links:
                    if link.startswith(folder) and link != record.url:
                        self.chapter_of.setdefault(link, record.url)
            if record.series and record.series.next_url:
                self.previous_of.setdefault(record.series.next_url, record.url)
        return item

    def close_spider(self, spider: Any = None) -> None:
        for handle in self.handles.values():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        published: dict[str, JsonLinesWriter] = {}
        for name in FILES:
            part = self.out / f".{name}.part"
            if name == "works.jsonl":
                published[name] = self._publish_works(part)
            elif self.writers[name].records or name == "rejects.jsonl":
                publish(part, self.out / name)
                published[name] = self.writers[name]
            else:
                part.unlink(missing_ok=True)
                (self.out / name).unlink(missing_ok=True)
        stats = self.stats.get_stats()
        run = {
            "id": self.crawler.settings.get("COLOPHON_RUN_ID") or self.started.replace(":", "").replace("-", ""),
            "started": self.started,
            "finished": _now(),
            "finish_reason": stats.get("finish_reason"),
            "colophon_version": EXTRACTOR_VERSION,
            "options": self.crawler.settings.getdict("COLOPHON_RUN_OPTIONS"),
            "counts": {
                "pages": stats.get("response_received_count", 0),
                **{name.removesuffix(".jsonl"): writer.records for name, writer in published.items()},
                "duplicates": stats.get("colophon/duplicates", 0),
                "missing": stats.get("colophon/missing", 0),
                "skipped_non_html": stats.get("colophon/skipped_non_html", 0),
                "robots_forbidden": stats.get("colophon/robots_forbidden", 0),
            },
        }
        write_datapackage(self.out, run, published)
        self.stats.set_value("colophon/run", run)

    def _publish_works(self, part: Path) -> JsonLinesWriter:
        """Second pass over the streamed works: apply inheritance, publish atomically."""
        target = self.out / "works.jsonl"
        temporary = self.out / ".works.jsonl.publishing"
        with open(part, "rb") as source, open(temporary, "wb") as sink:
            writer = JsonLinesWriter(sink)
            for line in source:
                if self.chapter_of or self.previous_of:
                    line = self._inherit(line)
                writer.write_line(line)
        publish(temporary, target)
        part.unlink(missing_ok=True)
        return writer

    def _inherit(self, line: bytes) -> bytes:
        data = orjson.loads(line)
        url = data["url"]
        changed = False
        toc = self.tocs.get(self.chapter_of.get(url, ""))
        if toc is not None and data["kind"] == "work":
            if data.get("part_of") is None:
                data["part_of"] = PartOf(title=toc["title"], url=self.chapter_of[url]).model_dump(mode="json")
            for key in ("citation", "date"):
                if data.get(key) is None and toc[key] is not None:
                    data[key] = toc[key].model_dump(mode="json")
            if data["licence"]["status"] == "unknown" and toc["licence"].status != "unknown":
                data["licence"] = toc["licence"].model_dump(mode="json")
            if toc["translators"] and not any(c["role"] == "translation" for c in data["credits"]):
                data["credits"] += [c.model_dump(mode="json") for c in toc["translators"]]
            changed = True
        previous = self.previous_of.get(url)
        if previous and data.get("series") and data["series"].get("previous_url") is None:
            data["series"]["previous_url"] = previous
            changed = True
        if not changed:
            return line
        return orjson.dumps(Work.model_validate(data).model_dump(mode="json")) + b"\n"
