"""The archive being crawled: its root, equivalent hosts, canonical URLs, page ids and scope."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

from crawler.extract.vocab import ENGLISH_ROOTS, SECTION_LANGUAGES

TOP_FOLDERS = ENGLISH_ROOTS | frozenset(SECTION_LANGUAGES)
TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|source)$", re.I)
NON_HTML = re.compile(
    r"\.(?:pdf|jpe?g|png|gif|svg|webp|bmp|tiff?|ico|mp3|mp4|m4a|ogg|oga|wav|flac|avi|mov|webm|"
    r"zip|gz|tgz|bz2|rar|7z|epub|mobi|azw3?|djvu|doc|docx|odt|rtf|xls|xlsx|ppt|pptx|txt|xml|css|js|json|"
    r"ps|tex|swf)$",
    re.I,
)

INDEX_PAGES = ("index.htm", "index.html")  # what a local folder URL stands for, first found

# Characters no page id may hold: C0, DEL, C1, and the two separators that str.splitlines() also
# breaks on. An id is written raw into line-oriented exports, where one of these forges a record.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")

_MISSING = object()
_CACHE_SIZE = 20_000  # canonical spellings and page ids remembered: navigation links repeat on every page
# A path of these alone (no escapes, no query, no dot segments, no empty segments) is canonical as
# it is spelled: what canonical() gives for it, without parsing (a plain path under an http root).
_PLAIN_PATH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~/.")


def _bare(host: str) -> str:
    return host.lower().removeprefix("www.")


def to_url(start: str) -> str:
    """A start argument as a URL: local folders and files become file:// URLs."""
    if re.match(r"^(?:https?|file)://", start, re.I):
        return start
    path = Path(start).expanduser().resolve()
    if not path.exists():
        raise ValueError(f"{start!r} is neither an http(s):// or file:// URL nor an existing path")
    uri = path.as_uri()
    return uri + "/" if path.is_dir() else uri


def base_url(text: str) -> str:
    """The archive's own address as records cite it (--base-url): an http(s) URL of a host, without
    a user, query or fragment, ending in "/"; a ValueError names what is wrong with it."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--base-url must be an http:// or https:// URL of a host, got {text!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"--base-url must have no user, password, query or fragment, got {text!r}")
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/") + "/", "", ""))


def detect_root(url: str) -> str:
    """The archive root of a start URL: the part before the site's first top-level folder."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    for i, segment in enumerate(segments):
        if i and segment.lower() in TOP_FOLDERS and i < len(segments) - 1:
            return urlunsplit((parts.scheme, parts.netloc, "/".join(segments[:i]) + "/", "", ""))
    if parts.scheme == "file":
        folder = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
        return urlunsplit(("file", "", folder, "", ""))
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


@dataclass
class Site:
    """Scope and identity rules for one crawl."""

    root: str
    folders: list[str] = field(default_factory=list)
    scope: str = "folder"
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _ids: dict[str, str | None] = field(default_factory=dict, repr=False)
    _plain_root: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        # Plain paths under the root are their own canonical spelling only under an http(s) root
        # that is spelled canonically itself.
        self._plain_root = self.root.startswith(("http://", "https://")) and self._canonical(self.root) == self.root

    @classmethod
    def for_starts(cls, starts: list[str], scope: str = "folder", root: str | None = None) -> Site:
        if not starts:
            raise ValueError("at least one start URL is needed")
        root_url = root or detect_root(starts[0])
        if not root_url.endswith("/"):
            root_url += "/"
        site = cls(root=root_url, scope=scope)
        for start in starts:
            canonical = site.canonical(start)
            if canonical is None:
                raise ValueError(f"start URL {start!r} is not under the archive root {root_url}")
            folder = canonical if canonical.endswith("/") else canonical.rsplit("/", 1)[0] + "/"
            site.folders.append(folder)
        return site

    def canonical(self, url: str) -> str | None:
        """The one spelling of a URL on this site, or None when it is off-site."""
        cached = self._cache.get(url, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        if self._plain_root and url.startswith(self.root) and _plain(url[len(self.root):]):
            result: str | None = url
        else:
            result = self._canonical(url)
        return _remembered(self._cache, url, result)

    def _canonical(self, url: str) -> str | None:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return None
        root = urlsplit(self.root)
        scheme = parts.scheme.lower()
        if root.scheme == "file":
            if scheme != "file":
                return None
        elif scheme not in ("http", "https") or _bare(parts.hostname or "") != _bare(root.hostname or "") \
                or (parts.port or None) != (root.port or None):
            return None
        path = urljoin("/", parts.path or "/")  # resolves dot segments
        rebuilt = urlunsplit((root.scheme, root.netloc, path, parts.query, ""))
        rebuilt = url_query_cleaner(rebuilt, [k for k in _query_keys(parts.query) if TRACKING.match(k)],
                                    remove=True) if parts.query else rebuilt
        canonical = canonicalize_url(rebuilt, keep_fragments=False)
        if not canonical.startswith(self.root) or not _sound_path(urlsplit(canonical).path):
            return None
        return canonical

    def page_id(self, url: str) -> str | None:
        cached = self._ids.get(url, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        canonical = self.canonical(url)
        if canonical is None:
            return _remembered(self._ids, url, None)
        rest = canonical[len(self.root):]
        path = rest if self._plain_root and _plain(rest) else unquote(urlsplit("/" + rest).path.lstrip("/"))
        if not path or path.endswith("/"):
            path += "index.htm"
        return _remembered(self._ids, url, path)

    def in_folder(self, url: str) -> bool:
        return self.scope == "site" or any(url.startswith(folder) for folder in self.folders)

    @staticmethod
    def is_non_html(url: str) -> bool:
        return bool(NON_HTML.search(urlsplit(url).path))


def _remembered(cache: dict[str, str | None], url: str, value: str | None) -> str | None:
    """``value``, kept in ``cache`` for ``url`` (emptied when full: what repeats comes back at once)."""
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[url] = value
    return value


def _plain(path: str) -> bool:
    """A relative path canonical() leaves as it is: plain characters, no empty, `.` or `..` segment."""
    if not _PLAIN_PATH.issuperset(path):
        return False
    segments = path.split("/")
    return all(segment not in ("", ".", "..") for segment in segments[:-1]) and segments[-1] not in (".", "..")


def _sound_path(path: str) -> bool:
    """Whether a canonical URL path, once percent-decoded, names the same segments it spells.

    Dot segments were already removed from the path as spelled (w3lib also decodes `%2E` first), so
    a `.` or `..` left after decoding came from an encoded slash (`..%2F`): a file handler or a
    server that decodes the path would climb where the URL does not seem to go. An encoded slash
    cannot name a file of the archive in any case, and a page id is the decoded path, so ids with
    control characters are refused here too rather than kept encoded: the spider turns an id back
    into a URL with quote(), which would make "%0A" into "%250A", another page. The rule reads only
    the path, so the same address gives the same answer over http and over file.
    """
    decoded = unquote(path)
    if decoded.count("/") != path.count("/") or CONTROL.search(decoded):
        return False
    return not any(segment in (".", "..") for segment in decoded.split("/"))


def is_inside(path: str, folder: str) -> bool:
    """Whether a resolved path is `folder` or below it (both already resolved with realpath)."""
    return os.path.commonpath((path, folder)) == folder


def _regular_inside(path: str, boundary: str) -> bool:
    try:
        real = os.path.realpath(path)
        return is_inside(real, boundary) and stat.S_ISREG(os.stat(real).st_mode)
    except (OSError, ValueError):
        return False


def file_folder_pages(url: str, root: str | None = None) -> list[str] | None:
    """For a file:// folder URL: its index page, or every HTML page below it; None for other URLs.

    Only regular files whose real path lies inside `root` (a file:// URL; None: the folder itself)
    are listed, and symlinked folders are never walked into: a link to `/` in a mirror is not a
    way into the rest of the disk. A folder outside the root lists nothing. The URLs keep the
    folder's own spelling, so they stay under a root whose path holds a symlink.
    """
    parts = urlsplit(url)
    if parts.scheme != "file" or not parts.path.endswith("/"):
        return None
    folder = Path(unquote(parts.path))
    try:
        real = os.path.realpath(folder)
        boundary = os.path.realpath(unquote(urlsplit(root).path)) if root else real
    except ValueError:  # a NUL in the path: no such folder can exist
        return []
    if not is_inside(real, boundary):
        return []
    for name in INDEX_PAGES:
        if _regular_inside(os.path.join(real, name), boundary):
            return [(folder / name).as_uri()]
    pages = []
    for here, _, files in os.walk(real, followlinks=False):
        for name in files:
            path = os.path.join(here, name)
            if os.path.splitext(name)[1].lower() in (".htm", ".html") and _regular_inside(path, boundary):
                pages.append((folder / os.path.relpath(path, real)).as_uri())
    return sorted(pages)


def _query_keys(query: str) -> list[str]:
    return [pair.split("=", 1)[0] for pair in query.split("&") if pair]
