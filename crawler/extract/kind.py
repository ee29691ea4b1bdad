"""The page's kind: a work, a contents page (`toc`), an author's or a section's index, or another
page (a placeholder, a gallery, an empty shell), read from its path, its header and how much of its
text is links."""

from __future__ import annotations

from crawler.extract.body import Body
from crawler.extract.catalogue import author_root
from crawler.extract.colophon import Colophon
from crawler.extract.document import Block, Page
from crawler.extract.header import Header
from crawler.extract.index import chapter_list, count_entries
from crawler.extract.vocab import (
    AUTHOR_INDEX_NAMES,
    AUTHOR_INDEX_PATHS,
    CHAPTER_LIST_MIN,
    EMPTY_PAGE_MAX_WORDS,
    GALLERY_MIN_IMAGES,
    GALLERY_WORDS_PER_IMAGE,
    LINK_LIST_LINK_SHARE,
    LINK_LIST_MAX_PROSE,
    LINK_LIST_MIN_ENTRIES,
    LINK_PAIR_MAX_PROSE,
    LINK_PAIR_MIN_ENTRIES,
    NAV_CLASSES,
    NON_WORK_PAGES,
    PLACEHOLDER_TITLES,
)


def page_kind(page: Page, header: Header, colophon: Colophon | None, body: Body, start: int) -> str:
    """The kind of the page whose text (``body``) is read from block ``start`` on: its path names an
    index; its text is mostly links (an index, or a contents page when it has a work's header); it
    lists its chapters under a work's header; it is a gallery or an empty shell; else a work."""
    path = page.id
    name = path.rsplit("/", 1)[-1].lower()
    title = header.title or page.page_title
    if PLACEHOLDER_TITLES.search(title or "") or PLACEHOLDER_TITLES.search(page.page_title):
        return "other"
    root = author_root(path)
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    if (AUTHOR_INDEX_NAMES.fullmatch(name) and root and folder in (root, f"{root}/works")) \
            or AUTHOR_INDEX_PATHS in path:
        return "author_index"
    text = page.blocks[start:]
    entries = count_entries(text)
    body_words, links = body.words, link_words(text)
    link_heavy = (entries >= LINK_LIST_MIN_ENTRIES and (
        links >= LINK_LIST_LINK_SHARE * max(body_words, 1) or body_words - links < LINK_LIST_MAX_PROSE)) or (
        entries >= LINK_PAIR_MIN_ENTRIES and body_words - links < LINK_PAIR_MAX_PROSE)
    if NON_WORK_PAGES.search(path) and not link_heavy:
        return "other"
    has_work_header = header.title is not None and (
        header.byline is not None or colophon is not None or header.date_line is not None)
    if link_heavy:
        return "toc" if has_work_header and root else "section_index"
    if has_work_header and chapter_list(page, text) >= CHAPTER_LIST_MIN:
        return "toc"  # a contents page with an introduction, a preface or synopses beside its list
    images = page.images
    if images >= GALLERY_MIN_IMAGES and body_words - links < GALLERY_WORDS_PER_IMAGE * images:
        return "other"
    if body_words < EMPTY_PAGE_MAX_WORDS and header.byline is None and colophon is None and header.date_line is None:
        return "other"  # an empty shell: no text and nothing that makes it a work
    return "work"


def link_words(blocks: list[Block]) -> int:
    """How many words of the blocks are the words of links to other pages (navigation aside)."""
    words = 0
    for block in blocks:
        if block.anchors and block.tag != "hr" and block.classes.isdisjoint(NAV_CLASSES):
            words += sum(anchor.words for anchor in block.anchors if not (anchor.href or "#").startswith("#"))
    return words
