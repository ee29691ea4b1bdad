"""One page read -> its record: a Work, an Index or an OtherPage, each field a cascade of the
sources the page offers, most trusted first, with its provenance."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.extract.body import first_prose, last_updated, read_body
from crawler.extract.catalogue import Catalogue
from crawler.extract.colophon import Colophon, colophon_blocks, read_colophon
from crawler.extract.dates import url_date
from crawler.extract.document import Page, parse_page
from crawler.extract.header import Header, block_heading_text, read_header
from crawler.extract.index import index_entries
from crawler.extract.kind import page_kind
from crawler.extract.navigation import contents_links, part_of
from crawler.extract.series import page_series, read_marker
from crawler.extract.vocab import TITLE_PARAGRAPH_CLASS
from models import Author, DateValue, Index, Licence, OtherPage, Provenance, Work, WorkDates, utc_now

EXTRACTOR_VERSION = "1.0.0"


@dataclass(frozen=True)
class Fetch:
    """What the fetch knew about the page, for provenance."""

    fetched_at: str = ""
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    charset: str | None = None
    fetched_from: str | None = None  # where the bytes came from, when it is not the page's url

    def __reduce__(self) -> tuple[type[Fetch], tuple[str, int | None, str | None, str | None, str | None, str | None]]:
        # Pickled by its fields (to the extraction processes): a compiled frozen dataclass cannot be
        # unpickled attribute by attribute.
        return Fetch, (self.fetched_at, self.http_status, self.etag, self.last_modified, self.charset,
                       self.fetched_from)


def extract(body: bytes, url: str, page_id: str, catalogue: Catalogue | None = None,
            fetch: Fetch | None = None) -> Work | Index | OtherPage:
    """The record of one page; raises ExtractError with a stable code when there is none."""
    fetch = fetch or Fetch()
    return extract_page(parse_page(body, url, page_id, fetch.charset), catalogue, fetch)


def extract_page(page: Page, catalogue: Catalogue | None, fetch: Fetch) -> Work | Index | OtherPage:
    """The record of a page read."""
    catalogue = catalogue or Catalogue()
    url, page_id, blocks = page.url, page.id, page.blocks
    canonical, slug = catalogue.author_for(page_id)
    colophon_at = colophon_blocks(blocks)
    # A colophon printed after the text (source notes at the foot of a speech) is no header.
    above_text = bool(colophon_at) and first_prose(blocks) >= colophon_at[0]
    contents = contents_links(page)
    header = read_header(blocks, colophon_at[0] if above_text else None, canonical, page.page_title,
                         page.language, in_book=any(contents))
    colophon = read_colophon([blocks[i].el for i in colophon_at], url, header.title, page.language) \
        if colophon_at else None
    start = colophon_at[-1] + 1 if above_text else header.end
    body = read_body(page, start, frozenset(colophon_at))
    kind = page_kind(page, header, colophon, body, start)
    if kind == "other":
        return OtherPage(id=page_id, url=url, language=page.language,
                         title=header.title or page.page_title or None)
    if kind in ("author_index", "section_index"):
        title = index_title(page, header, kind)
        return Index(
            id=page_id, url=url, kind=kind, language=page.language, title=title,
            author=index_author(canonical, slug, title, kind),
            entries=index_entries(page), last_updated=last_updated(blocks), provenance=provenance(page, fetch),
        )
    title = header.title or page.page_title or page_id
    if body.series.marker is None and colophon is not None:
        read_marker(body.series, [line.text for line in colophon.lines if line.label is None])
    return Work(
        id=page_id,
        url=url,
        kind=kind,
        language=page.language,
        title=title,
        subtitle=header.subtitle,
        pretitle=header.pretitle if header.book_title is None else header.book_title,
        author=Author(name=canonical or header.byline, byline=header.byline, slug=slug),
        date=date(header, colophon, page_id),
        dates=colophon.dates if colophon else WorkDates(),
        citation=colophon.citation if colophon else None,
        credits=colophon.credits if colophon else [],
        licence=colophon.licence if colophon else Licence(),
        series=page_series(body.series, kind=kind, title=title, page_title=page.page_title,
                           subtitle=header.subtitle, sections=body.sections, text=body.text,
                           notes=[*body.editorial_notes, *(note.text for note in body.notes)],
                           page_id=page_id, url=url),
        part_of=part_of(header, contents),
        editorial_notes=body.editorial_notes,
        notes=body.notes,
        sections=body.sections,
        text="\n\n".join(body.text),
        word_count=body.words,
        last_updated=last_updated(blocks),
        provenance=provenance(page, fetch),
    )


def date(header: Header, colophon: Colophon | None, page_id: str) -> DateValue | None:
    """The work's date, most trusted first: the header's date line, when the colophon says it was
    written, delivered, first published, the date of the source it cites, the date of its folder."""
    dates = colophon.dates if colophon else None
    citation = colophon.citation if colophon else None
    return (header.date_line
            or (dates.written if dates else None)
            or (dates.delivered if dates else None)
            or (dates.first_published if dates else None)
            or (citation.date if citation else None)
            or url_date(page_id))


def index_title(page: Page, header: Header, kind: str) -> str:
    """An index's title: its header's (a section index's), its first h1, its title paragraph, the
    page's <title>, its id."""
    title = header.title
    if kind == "author_index" or title is None:
        h1 = next((b for b in page.blocks if b.tag == "h1" and b.text), None)
        title = block_heading_text(h1) if h1 is not None else title
    if title is None:
        paragraph = next((b for b in page.blocks if TITLE_PARAGRAPH_CLASS in b.classes and b.text), None)
        title = paragraph.text if paragraph is not None else (page.page_title or page.id)
    return title


def index_author(canonical: str | None, slug: str | None, title: str, kind: str) -> Author | None:
    """An index's author: the catalogue's for its folder; an author's index names its author."""
    name = canonical or (title if kind == "author_index" else None)
    return Author(name=name, byline=None, slug=slug) if name or slug else None


def provenance(page: Page, fetch: Fetch) -> Provenance:
    """Where the record came from: the fetch, the bytes read, the extractor that read them."""
    return Provenance(
        fetched_at=fetch.fetched_at or utc_now(),
        http_status=fetch.http_status,
        etag=fetch.etag,
        last_modified=fetch.last_modified,
        encoding=page.encoding,
        content_sha256=page.sha256,
        extractor_version=EXTRACTOR_VERSION,
        fetched_from=fetch.fetched_from,
    )
