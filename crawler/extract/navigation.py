"""Where a page leads: every page it links to, and the contents page beside it that it belongs to
(`part_of`)."""

from __future__ import annotations

from urllib.parse import urldefrag

from crawler.extract.document import Page
from crawler.extract.header import Header
from crawler.extract.resolve import resolver
from crawler.extract.vocab import CONTENTS_LINK, FOLDER_INDEX, NOT_PAGE_LINKS
from models import PartOf


def page_links(page: Page) -> list[str]:
    """Every page the document links to (anchors, image-map areas, frames), absolute, defragmented."""
    resolve = resolver(page.url)
    links: dict[str, None] = {}
    for reference in page.references:
        href = reference.strip()
        if not href or href.startswith(NOT_PAGE_LINKS):
            continue
        absolute = resolve(href.replace("\\", "/"))
        if absolute is not None:
            links.setdefault(absolute, None)
    return list(links)


def contents_links(page: Page) -> tuple[str | None, str | None]:
    """The contents page beside this one that it links to: the first link named "Contents" or
    "Index", and the first link to the folder's index page."""
    folder = page.url.rsplit("/", 1)[0] + "/"
    here = urldefrag(page.url)[0]
    resolve = resolver(page.url)
    named: str | None = None
    index: str | None = None
    fragments_here: bool | None = None  # links to a fragment lead to this page (resolved once)
    for anchor in page.anchors:
        href = anchor.href or ""
        if "/" in href.split("#")[0] or not href:
            continue  # the contents page sits beside its chapters
        if href[0] == "#":
            if fragments_here is None:
                fragments_here = resolve("#f") == here and resolve("#") == here
            if fragments_here:
                continue
        absolute = resolve(href)
        if absolute is None or absolute == here or not absolute.startswith(folder) or "/" in absolute[len(folder):]:
            continue
        is_named = CONTENTS_LINK.match(anchor.text) is not None
        if not (is_named or href.lower().startswith("index.")):
            continue
        if is_named and named is None:
            named = absolute
        if index is None and FOLDER_INDEX.fullmatch(absolute[len(folder):]):
            index = absolute
        if named is not None and index is not None:
            break
    return named, index


def part_of(header: Header, contents: tuple[str | None, str | None]) -> PartOf | None:
    """The contents page a chapter belongs to: its own "Contents"/"Index" link or, under its book's
    title, its link to the folder's index page (see contents_links)."""
    named, index = contents
    url = named or (index if header.book_title is not None else None)
    return PartOf(title=header.book_title or header.pretitle, url=url) if url else None
