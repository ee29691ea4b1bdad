"""Pipelines: validate each record, and keep it in the run's state store (crawler.run publishes the
run when it ends)."""

from __future__ import annotations

from typing import Any

import orjson
from itemadapter import ItemAdapter
from pydantic import BaseModel, ValidationError
from scrapy.exceptions import DropItem, NotConfigured

from crawler.environment import ENVIRONMENT_ERRORS, stop_for_environment
from crawler.errors import environment_message
from crawler.items import PageItem
from models import Index, OtherPage, Reject, Work, utc_now

FILE_OF = {Work: "works.jsonl", Index: "indexes.jsonl", Reject: "rejects.jsonl", OtherPage: "other.jsonl"}
# Duplicates need no pipeline of their own: the state store and the walk are keyed by page id,
# so a page reached under two URLs ("/" and "/index.htm") is fetched and kept once.


class ValidatePipeline:
    """Every record leaves as a model instance; anything else becomes a reject with a code."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ValidatePipeline:
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
                                 message=str(first["msg"]), fetched_at=utc_now())
        return item


class StatePipeline:
    """Keeps each record in the run's state store as it arrives (one unit per page, with its links
    and its mark as seen by the run)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> StatePipeline:
        if not crawler.settings.get("COLOPHON_OUT"):
            raise NotConfigured("COLOPHON_OUT is not set")
        return cls(crawler)

    def process_item(self, item: PageItem, spider: Any = None) -> PageItem:
        run = (spider or self.crawler.spider).run
        record = item.record
        name = FILE_OF[type(record)]
        data = record.model_dump(mode="json")
        line = orjson.dumps(data) + b"\n"
        page_id = getattr(record, "id", None) or item.page_id or record.url
        try:
            changed = run.state.store(
                run.run_id, page_id, record.url, line, data, name, item.links,
                item.fetch or {"fetched_at": utc_now()}, run.policy, run.state.now(), item.frontier_id or page_id)
        except ENVIRONMENT_ERRORS as error:
            # The machine refused (disk full, read-only, permissions): nothing more can be kept, so
            # the run stops now, unpublished, to resume once the machine is mended.
            stop_for_environment(self.crawler, error)
            raise DropItem(f"not stored: {environment_message(error)}") from None
        self.stats.inc_value(f"colophon/records/{name.removesuffix('.jsonl')}")
        self.stats.inc_value("colophon/changed" if changed else "colophon/unchanged")
        return item
