"""Links made absolute: a page's references resolved against its URL as urljoin resolves them,
computed directly for plain paths, and None for a reference no URL parser can read."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urldefrag, urljoin, urlparse, urlsplit

from crawler.extract.vocab import URL_HOST_CHARACTERS, URL_PATH_CHARACTERS


class Resolver:
    """The links of one page made absolute against its URL, fragments dropped: what
    `urldefrag(urljoin(url, href))[0]` gives, computed directly for a plain path (letters, digits,
    and the characters a URL path holds as they are) under an http(s) URL with a host, and by
    urljoin for anything else (schemes, hosts, queries, parameters, white space, other characters).
    A reference no URL parser can read (a host with an unbalanced "[", say) leads nowhere: None."""

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
                return  # every link then goes through urljoin
        else:
            scheme, netloc, path = parts
            self._here = (url, url)  # urljoin writes a plain URL as it is
        if scheme in ("http", "https") and netloc:
            self._prefix = f"{scheme}://{netloc}"
            folder = path.split("/")
            if folder[-1] != "":
                del folder[-1]  # the last segment names the page, not a folder
            self._folder = folder

    def __call__(self, href: str) -> str | None:
        """The absolute URL ``href`` leads to, without its fragment; None when it cannot be read."""
        if self._prefix is None:
            return _joined(self.url, href)
        if href[:1] == "#":
            # A link to a fragment of the page leads to the page, as urljoin writes it: the same for
            # every fragment but an empty one (urljoin drops tabs and line breaks first).
            if self._here is None:
                self._here = (urldefrag(urljoin(self.url, "#f"))[0], urldefrag(urljoin(self.url, "#"))[0])
            fragment = href[1:].replace("\t", "").replace("\n", "").replace("\r", "")
            return self._here[0] if fragment else self._here[1]
        path = href.split("#", 1)[0] if "#" in href else href
        if not path or path.strip(URL_PATH_CHARACTERS) or path.startswith("//"):
            return _joined(self.url, href)
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


def _joined(url: str, href: str) -> str | None:
    """urljoin's reading of ``href`` against ``url``, defragmented; None for a link it cannot read."""
    try:
        return urldefrag(urljoin(url, href))[0]
    except ValueError:
        return None


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



def is_same_site(url: str, base: str) -> bool:
    """Both URLs name the same host (over http or https), or are both files; False when either
    cannot be read."""
    try:
        a, b = urlsplit(url), urlsplit(base)
        if a.scheme == "file" or b.scheme == "file":
            return a.scheme == b.scheme
        return a.scheme in ("http", "https") and a.hostname == b.hostname
    except ValueError:
        return False
