"""Where a page leads: every page it links to, the contents page beside it that it belongs to
(`part_of`), and the resolution of its links against its URL."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlparse, urlsplit

from crawler.extract.document import Page
from crawler.extract.header import Header
from crawler.extract.vocab import (
    CONTENTS_LINK,
    FOLDER_INDEX,
    NOT_PAGE_LINKS,
    URL_HOST_CHARACTERS,
    URL_PATH_CHARACTERS,
)
from models import PartOf


class Resolver:
    """The links of one page made absolute against its URL, fragments dropped: what
    `urldefrag(urljoin(url, href))[0]` gives, computed directly for a plain path (letters, digits,
    and the characters a URL path holds as they are) under an http(s) URL with a host, and by
    urljoin for anything else (schemes, hosts, queries, parameters, white space, other characters)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._prefix: str | None = None
        self._folder: list[str] = []
        self._here: tuple[str, str] | None = None
        parts = _plain_split(url)
        if parts is None:
            try:
                scheme, netloc, path, _, _, _ = urlparse(url)
            except ValueError:
                return  # every link then goes through urljoin, which raises as it would
        else:
            scheme, netloc, path = parts
            self._here = (url, url)  # urljoin writes a plain URL as it is
        if scheme in ("http", "https") and netloc:
            self._prefix = f"{scheme}://{netloc}"
            folder = path.split("/")
            if folder[-1] != "":
                del folder[-1]  # the last segment names the page, not a folder
            self._folder = folder

    def __call__(self, href: str) -> str:
        """The absolute URL ``href`` leads to, without its fragment."""
        if self._prefix is None:
            return urldefrag(urljoin(self.url, href))[0]
        if href[:1] == "#":
            # A link to a fragment of the page leads to the page, as urljoin writes it: the same for
            # every fragment but an empty one (urljoin drops tabs and line breaks first).
            if self._here is None:
                self._here = (urldefrag(urljoin(self.url, "#f"))[0], urldefrag(urljoin(self.url, "#"))[0])
            fragment = href[1:].replace("\t", "").replace("\n", "").replace("\r", "")
            return self._here[0] if fragment else self._here[1]
        path = href.split("#", 1)[0] if "#" in href else href
        if not path or path.strip(URL_PATH_CHARACTERS) or path.startswith("//"):
            return urldefrag(urljoin(self.url, href))[0]
        # RFC 3986 reference resolution as urljoin does it (redundant slashes dropped, "." and ".."
        # segments resolved, ".." never above the root).
        if path[0] == "/":
            segments = path.split("/")
        else:
            segments = self._folder + path.split("/")
            segments[1:-1] = filter(None, segments[1:-1])
        resolved: list[str] = []
        for segment in segments:
            if segment == "..":
                if resolved:
                    resolved.pop()
            elif segment != ".":
                resolved.append(segment)
        if segments[-1] in (".", ".."):
            resolved.append("")
        joined = "/".join(resolved) or "/"
        return self._prefix + (joined if joined[0] == "/" else "/" + joined)

    def site_path(self, absolute: str) -> str | None:
        """The path of a resolved link to this page's site (its host, over its scheme) when it is
        plain (no query, no fragment): what urlsplit reads as its path; None for any other link."""
        prefix = self._prefix
        if prefix is None or not absolute.startswith(prefix) or absolute[len(prefix):len(prefix) + 1] != "/" \
                or "?" in absolute or "#" in absolute:
            return None
        return absolute[len(prefix):]


def _plain_split(url: str) -> tuple[str, str, str] | None:
    """(scheme, host, path) of a plain http(s) URL, as urlparse reads it: lower-case scheme, an
    ASCII host without brackets, a path of URL characters and nothing after it; None for another."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        return None
    netloc, slash, path = rest.partition("/")
    path = slash + path
    if not netloc or netloc.strip(URL_HOST_CHARACTERS) or path.strip(URL_PATH_CHARACTERS):
        return None
    return scheme, netloc, path


@lru_cache(maxsize=8)
def resolver(url: str) -> Resolver:
    """The Resolver of a page's URL (the page's fields share it)."""
    return Resolver(url)


def page_links(page: Page) -> list[str]:
    """Every page the document links to (anchors, image-map areas, frames), absolute, defragmented."""
    resolve = resolver(page.url)
    links: dict[str, None] = {}
    for reference in page.references:
        href = reference.strip()
        if not href or href.startswith(NOT_PAGE_LINKS):
            continue
        try:
            absolute = resolve(href.replace("\\", "/"))
        except ValueError:
            continue
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
        if absolute == here or not absolute.startswith(folder) or "/" in absolute[len(folder):]:
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


def is_same_site(url: str, base: str) -> bool:
    """Both URLs name the same host (over http or https), or are both files."""
    a, b = urlsplit(url), urlsplit(base)
    if a.scheme == "file" or b.scheme == "file":
        return a.scheme == b.scheme
    return a.scheme in ("http", "https") and a.hostname == b.hostname
