"""Why a page could not be fetched: exception types raised by Colophon's own components, and the one
table that turns any download failure into a reject code (by exception type, never message text)."""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from twisted.internet import defer, error
from twisted.web import _newclient


class FetchRefused(IgnoreRequest):
    """A request Colophon refused or abandoned; `code` is its reject code."""

    code = "fetch_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OffsiteRedirect(FetchRefused):
    """A redirect hop that leaves the archive (another scheme, host or port, or outside its root)."""

    code = "offsite_redirect"


class OutOfScope(FetchRefused):
    """A request for an address outside the archive, refused before it was sent."""

    code = "out_of_scope"


class RedirectLimit(FetchRefused):
    """More redirects than REDIRECT_MAX_TIMES, or a redirect loop."""

    code = "redirect_limit"


class TooLarge(FetchRefused):
    """A body (as received, or once decompressed) larger than the size limit."""

    code = "too_large"


class OutsideRoot(FetchRefused):
    """A local path that resolves (through symlinks or `..`) outside the archive's root folder."""

    code = "outside_root"


class NotAFile(FetchRefused):
    """A local path that is not a regular file (a FIFO, a device, a socket, a folder)."""

    code = "not_a_file"


class LocalTimeout(FetchRefused):
    """A local file that could not be read within the download timeout."""

    code = "timeout"


class CaptureUnreadable(FetchRefused):
    """A page a WARC file holds a record of that cannot be replayed (torn, or without a status)."""

    code = "warc_unreadable"


class RobotsForbidden(IgnoreRequest):
    """A page robots.txt forbids: not fetched, counted, never a reject."""


class Abandoned(IgnoreRequest):
    """A request given up because the crawl is stopping before anyone fetched it: never a reject,
    the page left unvisited for the run that resumes this one."""


class NotCaptured(IgnoreRequest):
    """A page the WARC files a crawl reads from hold no response for: not fetched, counted, never a
    reject, and a page known before keeps its record (a capture's gap is not a removal)."""


def _errors(*names: str, fallback: tuple[type[BaseException], ...] = ()) -> tuple[type[BaseException], ...]:
    """Scrapy's own download errors (2.13+) with the Twisted ones older versions raise."""
    found = tuple(getattr(scrapy_errors, name) for name in names if hasattr(scrapy_errors, name))
    return found + fallback


# exception types -> reject code, most specific first
DOWNLOAD_FAILURES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    (_errors("DownloadCancelledError", fallback=(defer.CancelledError,)), "too_large"),
    (_errors("DownloadTimeoutError", fallback=(error.TimeoutError, error.TCPTimedOutError)), "timeout"),
    (_errors("ResponseDataLossError", fallback=(_newclient.ResponseFailed, error.ConnectionLost)), "truncated"),
    (_errors("DownloadConnectionRefusedError", "CannotResolveHostError",
             fallback=(error.DNSLookupError, error.ConnectionRefusedError)), "unreachable"),
)


def failure_code(exception: BaseException) -> str:
    """The reject code of a download failure."""
    if isinstance(exception, FetchRefused):
        return exception.code
    for types, code in DOWNLOAD_FAILURES:
        if isinstance(exception, types):
            return code
    return "fetch_error"
