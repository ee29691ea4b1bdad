"""Errors the command line reports as a message and exit code, never as a traceback."""

from __future__ import annotations

import sqlite3


class UsageError(Exception):
    """Bad arguments or configuration: the message names what was wrong."""


class ServiceUnavailable(Exception):
    """A service the command needs (Redis) does not answer: the message names it."""


# Exit codes, one meaning each (see the README's table).
EXIT_OK = 0              # finished, nothing rejected
EXIT_PARTIAL = 1         # finished with rejects (see rejects.jsonl)
EXIT_USAGE = 2           # bad arguments or configuration
EXIT_FAILED = 3          # the crawl failed: nothing could be fetched, or the crawl itself broke
EXIT_INTERRUPTED = 4     # interrupted by a signal; the next run resumes it
EXIT_UNAVAILABLE = 69    # a service the command needs (Redis) does not answer (EX_UNAVAILABLE)
EXIT_STATE = 65          # the state store is missing beside a published dataset, or damaged (EX_DATAERR)
EXIT_ENVIRONMENT = 74    # the machine said no: permissions, a full or read-only disk (EX_IOERR)
EXIT_LOCKED = 75         # another run holds the dataset folder; try again later (EX_TEMPFAIL)


def environment_message(error: BaseException) -> str:
    """One line naming what the machine refused and where."""
    if isinstance(error, OSError):
        where = error.filename or ""
        what = error.strerror or str(error)
        return f"{where}: {what}" if where else what
    if isinstance(error, sqlite3.OperationalError):
        return f"the state store: {error}"
    return str(error)
