"""Pure extraction: (bytes, URL) -> a record of the dataset contract. No Scrapy, no I/O."""

from __future__ import annotations

from pydantic import ValidationError

from crawler.extract.catalogue import Catalogue
from crawler.extract.page import (
    EXTRACTOR_VERSION,
    ExtractError,
    Fetch,
    extract_page,
    page_links,
    parse_page,
)
from models import Index, OtherPage, Reject, Work, utc_now

Record = Work | Index | OtherPage

__all__ = ["EXTRACTOR_VERSION", "Catalogue", "ExtractError", "Fetch", "Record", "harvest", "harvest_links"]


def harvest(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
            fetch: Fetch | None = None) -> Record | Reject:
    """The page's record, or a Reject with a stable code: never an exception for bad input."""
    return harvest_links(body, url, page_id, catalogue, fetch)[0]


def harvest_links(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
                  fetch: Fetch | None = None) -> tuple[Record | Reject, list[str]]:
    """The page's record (or Reject) and every page it links to, from one parse."""
    fetch = fetch or Fetch()
    fetched_at = fetch.fetched_at or utc_now()
    links: list[str] = []
    try:
        page = parse_page(body, url, page_id, fetch.charset)
        links = page_links(page)
        return extract_page(page, catalogue, fetch), links
    except ExtractError as error:
        return Reject(url=url, stage="extract", code=error.code, message=error.message,
                      fetched_at=fetched_at), links
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Reject(url=url, stage="validate", code=first["type"].replace("-", "_"),
                      message=f"{where}: {first['msg']}", fetched_at=fetched_at), links
    except RecursionError:
        return Reject(url=url, stage="extract", code="too_deep",
                      message="the page nests elements too deeply to read", fetched_at=fetched_at), links
