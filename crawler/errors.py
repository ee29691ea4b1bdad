"""Errors the command line reports as a message and exit code, never as a traceback."""


class UsageError(Exception):
    """Bad arguments or configuration: the message names what was wrong."""
