"""What the spider hands to the pipelines: one page's record and where it links."""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Index, OtherPage, Reject, Work


@dataclass
class PageItem:
    record: Work | Index | OtherPage | Reject
    links: list[str] = field(default_factory=list)
