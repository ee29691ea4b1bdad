"""Local mirrors read safely: the download handler for file:// URLs, confined to the archive's root folder."""

from __future__ import annotations

import asyncio
import errno
import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, threads
from w3lib.url import file_uri_to_path

from crawler.failures import LocalTimeout, NotAFile, OutsideRoot, TooLarge
from crawler.urls import INDEX_PAGES, is_inside

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

_P = ParamSpec("_P")
_T = TypeVar("_T")

_CHUNK = 64 * 1024
# Never follow a link in the last step, never wait for a writer (a FIFO opened this way returns at once).
_OPEN_FILE = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class LocalFileHandler(BaseDownloadHandler):
    """file:// URLs as pages of a local mirror: only regular files inside the archive's root folder
    are read, within the size and time limits a page has over HTTP. A missing file answers 404,
    as a server would; a folder URL answers its index page."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self._root: str | None = None

    async def download_request(self, request: Request) -> Response:
        maxsize = int(request.meta.get("download_maxsize", self.maxsize))
        timeout = float(request.meta.get("download_timeout", self.timeout))
        path = file_uri_to_path(request.url)
        try:
            found = await _in_thread(timeout, self._read, path, maxsize)
        except (TimeoutError, defer.TimeoutError) as exc:
            raise LocalTimeout(f"{path} could not be read within {timeout:g} s") from exc
        if found is None:
            return Response(url=request.url, status=404)
        name, body = found
        respcls = responsetypes.from_args(filename=name, body=body)
        return respcls(url=request.url, body=body)

    def _root_folder(self) -> str | None:
        """The real path of the crawl's root folder, found at the first request: the spider sets
        its site once the crawl starts. None when the crawl's root is not a local folder."""
        if self._root is None:
            root = getattr(getattr(self.crawler.spider, "site", None), "root", None)
            if isinstance(root, str) and root.startswith("file:"):
                self._root = os.path.realpath(file_uri_to_path(root))
        return self._root

    def _read(self, path: str, maxsize: int) -> tuple[str, bytes] | None:
        """(the file read, its body) for a local path, or None when there is no such file."""
        root = self._root_folder()
        for candidate in [os.path.join(path, name) for name in INDEX_PAGES] if path.endswith("/") else [path]:
            try:
                real = os.path.realpath(candidate)
            except ValueError as exc:  # a NUL: no file can have that name
                raise NotAFile(f"{candidate!r} cannot name a file") from exc
            if root is None:
                raise OutsideRoot(f"{real}: this crawl has no local root folder")
            if not is_inside(real, root):
                raise OutsideRoot(f"{real} is outside the archive's root folder {root}")
            body = _read_inside(root, real, maxsize)
            if body is not None:
                return candidate, body
        return None


async def _in_thread(timeout: float, func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """func() in a thread, given up after `timeout` seconds (0: no limit). A thread held by the
    kernel cannot be stopped: it finishes on its own time while the crawl goes on."""
    if is_asyncio_available():
        return await asyncio.wait_for(asyncio.to_thread(func, *args, **kwargs), timeout or None)
    deferred = threads.deferToThread(func, *args, **kwargs)
    if timeout:
        from twisted.internet import reactor  # imported late: importing it installs the default reactor

        deferred.addTimeout(timeout, reactor)
    return await maybe_deferred_to_future(deferred)


def _read_inside(root: str, path: str, maxsize: int) -> bytes | None:
    """The body of the regular file at `path` (symlink-free, inside `root`), or None when it is missing.

    The path is opened one folder at a time from the root without following any symlink, and the
    file is checked before it is opened and again on its descriptor: a folder or file swapped for a
    link after `path` was resolved is refused, never followed, and a FIFO or device is not opened.
    """
    *folders, name = os.path.relpath(path, root).split(os.sep)
    parent = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for folder in folders:
            try:
                child = os.open(folder, _OPEN_FOLDER, dir_fd=parent)
            except (FileNotFoundError, NotADirectoryError):  # a file, or a link put there since
                return None
            os.close(parent)
            parent = child
        try:
            _check(os.stat(name, dir_fd=parent, follow_symlinks=False), path, maxsize)
            descriptor = os.open(name, _OPEN_FILE, dir_fd=parent)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a link put there between the two steps
                raise OutsideRoot(f"{path} was replaced by a symlink while it was read") from exc
            raise
    finally:
        os.close(parent)
    try:
        _check(os.fstat(descriptor), path, maxsize)
        return _read_at_most(descriptor, path, maxsize)
    finally:
        os.close(descriptor)


def _check(info: os.stat_result, path: str, maxsize: int) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise OutsideRoot(f"{path} was replaced by a symlink while it was read")
    if not stat.S_ISREG(info.st_mode):
        kind = next((kind for test, kind in _KINDS if test(info.st_mode)), "not a file")
        raise NotAFile(f"{path} is {kind}, not a regular file")
    if maxsize and info.st_size > maxsize:
        raise TooLarge(f"{path} holds {info.st_size} bytes, more than the limit of {maxsize}")


def _read_at_most(descriptor: int, path: str, maxsize: int) -> bytes:
    """The whole file, reading one byte past the limit at most: a file that grows is still bounded."""
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(descriptor, min(_CHUNK, maxsize + 1 - size) if maxsize else _CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if maxsize and size > maxsize:
            raise TooLarge(f"{path} grew past the limit of {maxsize} bytes while it was read")
    return b"".join(chunks)
