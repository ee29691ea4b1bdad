"""Pure extraction: (bytes, URL) -> a record of the dataset contract. No Scrapy, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from crawler.extract.native import native_path
from models import Index, OtherPage, Reject, Work, utc_now

# The compiled build of the modules below, when it is there and current (see native), before their sources.
__path__[:0] = native_path()

from crawler.extract import document  # noqa: E402
from crawler.extract.catalogue import Catalogue  # noqa: E402
from crawler.extract.document import TOO_DEEP, ExtractError, Page, parse_page  # noqa: E402
from crawler.extract.navigation import page_links  # noqa: E402
from crawler.extract.record import EXTRACTOR_VERSION, Fetch, extract_page  # noqa: E402

Record = Work | Index | OtherPage

__all__ = ["EXTRACTOR_VERSION", "NATIVE", "Catalogue", "ExtractError", "Fetch", "Harvest", "Record", "harvest",
           "harvest_links", "harvest_page"]

NATIVE = not (document.__file__ or "").endswith(".py")
"""True when the compiled build is in use."""


@dataclass(frozen=True)
class Harvest:
    """What one page gave: its record (or a Reject), every page it links to, and how many
    characters XML 1.0 cannot carry were removed from it (0 for a page rejected before it was read)."""

    record: Record | Reject
    links: list[str]
    removed_characters: int


def harvest_page(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
                 fetch: Fetch | None = None) -> Harvest:
    """The page's record (or a Reject with a stable code) and its links, from one parse: never an
    exception for bad input."""
    return _harvest(body, url, page_id, catalogue, fetch, with_links=True)


def _harvest(body: bytes, url: str, page_id: str, catalogue: Catalogue | None, fetch: Fetch | None,
             with_links: bool) -> Harvest:
    """harvest_page, the links gathered only when ``with_links`` (a caller of harvest never reads them)."""
    fetch = fetch or Fetch()
    if not isinstance(body, bytes):  # a bytearray or memoryview: the compiled modules take bytes only
        body = bytes(body)
    page: Page | None = None
    links: list[str] = []
    try:
        page = parse_page(body, url, page_id, fetch.charset)
        if with_links:
            links = page_links(page)
        record: Record | Reject = extract_page(page, catalogue, fetch)
    except ExtractError as error:
        record = _reject(url, "extract", error.code, error.message, fetch)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        record = _reject(url, "validate", first["type"].replace("-", "_"), f"{where}: {first['msg']}", fetch)
    except RecursionError:
        # A walk over the tree deeper than the stack allows (WALK_MAX_DEPTH keeps them well short of
        # that when the walk starts from a shallow stack).
        record = _reject(url, "extract", "too_deep", TOO_DEEP, fetch)
    return Harvest(record, links, page.removed_characters if page is not None else 0)


def _reject(url: str, stage: Literal["extract", "validate"], code: str, message: str, fetch: Fetch) -> Reject:
    """The Reject of a page that gave no record (the clock read only then: most pages give one)."""
    return Reject(url=url, stage=stage, code=code, message=message, fetched_at=fetch.fetched_at or utc_now())


def harvest(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
            fetch: Fetch | None = None) -> Record | Reject:
    """The page's record, or a Reject with a stable code: never an exception for bad input."""
    return _harvest(body, url, page_id, catalogue, fetch, with_links=False).record


def harvest_links(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
                  fetch: Fetch | None = None) -> tuple[Record | Reject, list[str]]:
    """The page's record (or Reject) and every page it links to, from one parse."""
    result = harvest_page(body, url, page_id, catalogue, fetch)
    return result.record, result.links
