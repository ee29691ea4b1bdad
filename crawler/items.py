"""What the spider hands to the pipelines: one page's record, where it links, how it was fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models import Index, OtherPage, Reject, Work


@dataclass
class PageItem:
    record: Work | Index | OtherPage | Reject
    page_id: str = ""
    links: list[str] = field(default_factory=list)  # the site's pages it links to, as ids
    frontier_id: str = ""
    fetch: dict[str, Any] = field(default_factory=dict)
