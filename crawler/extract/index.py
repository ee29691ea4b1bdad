"""Pages that list other pages: the entries of an index (each link with its date and note), how many
pages of the site a text links to, and the chapter list of a contents page."""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit

from crawler.extract.colophon import split_lines
from crawler.extract.dates import find_date, find_reading
from crawler.extract.document import Block, Page, text_of
from crawler.extract.resolve import is_same_site, resolver
from crawler.extract.vocab import (
    CHAPTER_LINE_LEAD,
    CHAPTER_LIST_MIN,
    CHAPTER_LIST_SKIP_CLASSES,
    CONTINUED,
    CONTINUED_FROM,
    ENTRY_NOTE,
    HTML_LINK,
    INDEX_SKIP_CLASSES,
    NOT_ENTRY_LINKS,
    NOT_PAGE_FILES,
    SCHEME_CHARS,
)
from models import DateValue, IndexEntry


def index_entries(page: Page) -> list[IndexEntry]:
    """Every page of the site the index links to, once, with the date and the bracketed note
    printed on its line (or the date of its table row, or of the line above that printed only a
    date)."""
    entries: list[IndexEntry] = []
    resolve = resolver(page.url)
    here = urldefrag(page.url)[0]
    seen: set[str] = set()
    for block in page.blocks:
        # A block without links lists no page (each link of its lines is one of its anchors).
        if not block.anchors or block.tag == "hr" or not block.classes.isdisjoint(INDEX_SKIP_CLASSES):
            continue
        lines = split_lines(block.el, label_tags=False)
        context_date: DateValue | None = None
        cell_date: DateValue | None = None  # the date of the block's table row, read once
        cell_read = False
        for line in lines:
            rest = line.text
            for _, link_text in line.links:
                if link_text:
                    rest = rest.replace(link_text, " ")
            date = find_date(rest, page.language) if rest.strip() else None
            if date is None:
                if not cell_read:
                    cell_date, cell_read = _cell_date(block, page.language), True
                date = cell_date or context_date
            else:
                context_date = date if not line.links else context_date
            notes = [m for m in ENTRY_NOTE.findall(rest) if find_reading(m) is None]
            for href, link_text in line.links:
                absolute = resolve(href.strip())
                if absolute is None or not link_text or href.startswith(NOT_ENTRY_LINKS):
                    continue
                path = resolve.site_path(absolute)
                if path is None:  # another site, a query, or a link urljoin had to read
                    if not is_same_site(absolute, page.url):
                        continue
                    path = urlsplit(absolute).path
                if NOT_PAGE_FILES.search(path):
                    continue
                if absolute in seen or absolute == here:
                    continue
                seen.add(absolute)
                entries.append(IndexEntry(url=absolute, title=link_text, date=date,
                                          note=" ".join(notes) or None))
    return entries


def _cell_date(block: Block, language: str) -> DateValue | None:
    """The date in the table cell before the block's own (an index laid out as date | title)."""
    cell = next(block.el.iterancestors("td"), None)
    if cell is None and block.el.tag == "td":
        cell = block.el
    if cell is None:
        return None
    previous = cell.getprevious()
    if previous is not None and previous.tag == "td":
        return find_date(text_of(previous), language)
    return None


def count_entries(blocks: list[Block]) -> int:
    """How many distinct pages of the site the blocks link to (navigation aside)."""
    seen = set()
    for block in blocks:
        if not block.anchors or block.tag == "hr" or not block.classes.isdisjoint(INDEX_SKIP_CLASSES):
            continue
        for anchor in block.anchors:
            href = (anchor.href or "").strip()
            if not href or href.startswith(NOT_ENTRY_LINKS) or "://" in href[:SCHEME_CHARS]:
                continue
            target = href.split("#")[0]
            if NOT_PAGE_FILES.search(target):
                continue
            seen.add(target)
    return len(seen)


def chapter_list(page: Page, blocks: list[Block]) -> int:
    """How many pages beside this one the text lists one to a line, each line opening with its
    link: the chapter list of a contents page, wherever it stands among the page's other text."""
    name = page.id.rsplit("/", 1)[-1].lower()

    def sibling(href: str | None) -> str | None:
        target = (href or "").strip().split("#")[0].lower()
        if not target or "/" in target or ":" in target or target == name or "." not in target \
                or not HTML_LINK.search(target):
            return None  # only a page of the same folder is a chapter
        return target

    # Most pages link to fewer sibling pages than a list needs: settle them before reading lines.
    if len({sibling(anchor.href) for anchor in page.anchors} - {None}) < CHAPTER_LIST_MIN:
        return 0
    holding = [block for block in blocks if block.tag != "hr" and block.text
               and block.classes.isdisjoint(CHAPTER_LIST_SKIP_CLASSES)
               and any(sibling(anchor.href) for anchor in block.anchors)]
    listed: set[str] = set()
    for block in holding:
        for line in split_lines(block.el, label_tags=False):
            if not line.links:
                continue
            href, link_text = line.links[0]
            target = sibling(href)
            if not link_text or target is None:
                continue
            text = line.text
            lead = text.find(link_text)
            if lead < 0 or not CHAPTER_LINE_LEAD.match(text[:lead]) or CONTINUED.search(text) \
                    or CONTINUED_FROM.search(text):
                continue
            listed.add(target)
    return len(listed)
