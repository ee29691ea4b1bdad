"""A deliberately altered extractor (COLOPHON_EXTRACTOR=tests.altered:harvest_page): the real one, with
a version of its own and one field changed, every work's title marked. A dataset it made is what an
older extractor with a fault would have left."""

from __future__ import annotations

from crawler.extract import Catalogue, Fetch, Harvest
from crawler.extract import harvest_page as real
from models import Work

EXTRACTOR_VERSION = "0.0.0-altered"
MARK = " [altered]"


def harvest_page(body: bytes, url: str, page_id: str, catalogue: Catalogue, fetch: Fetch) -> Harvest:
    harvest = real(body, url, page_id, catalogue, fetch)
    record = harvest.record
    if isinstance(record, Work):
        record.title += MARK
    provenance = getattr(record, "provenance", None)
    if provenance is not None:
        provenance.extractor_version = EXTRACTOR_VERSION
    return harvest
