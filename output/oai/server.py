"""The OAI-PMH server: waitress serving the repository, with a fixed pool of worker threads, idle
connections closed after a timeout, a deadline for a request to arrive whole, and a bounded number
of open connections."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from output.oai.repository import LOCAL_IDENTIFIER, MAX_BODY, Repository, http_error_answer, request_base_url

# A fixed pool answers requests; waiting requests queue in waitress, not in threads, and a
# connection that sends nothing holds a socket (closed after CHANNEL_TIMEOUT), never a thread.
THREADS = 8
CHANNEL_TIMEOUT = 30          # seconds an idle or half-sent connection is kept open
CONNECTION_LIMIT = 256        # open connections at most; more wait in the listen backlog
REQUEST_DEADLINE = 10.0       # seconds a request may take to arrive whole, however it trickles in


class _ProtocolErrorTask(ErrorTask):  # type: ignore[misc]
    """A request waitress cannot parse (a bad Content-Length, an oversized header or body, an unknown
    transfer coding), answered with its 4xx status and an OAI-PMH document rather than plain text."""

    def execute(self) -> None:
        error = self.request.error
        code, reason = int(error.code), str(error.reason)
        if code >= 500:
            # Only "not implemented" (a transfer coding) reaches here: the application answers every
            # request itself, so waitress never reports an application failure.
            code, reason = 400, "Bad Request"
        server = self.channel.server
        base_url = request_base_url(str(self.request.headers.get("HOST", "")), str(server.effective_host),
                             str(server.effective_port), "http")
        status, headers, body = http_error_answer(code, reason, str(error.body), base_url)
        self.status = status
        self.response_headers.extend(headers[:1])  # waitress adds Content-Length itself
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):  # type: ignore[misc]
    """waitress's connection, with a deadline for each request to arrive whole: a client that trickles
    a header line now and then (slowloris) is never idle long enough for `channel_timeout`, so it is
    closed when its request has taken longer than `request_deadline` to arrive."""

    error_task_class = _ProtocolErrorTask
    request_deadline: float = REQUEST_DEADLINE
    _request_started = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None:
            self._request_started = time.monotonic()
        result = bool(super().received(data))
        if self.request is not None and time.monotonic() - self._request_started > self.request_deadline:
            self.will_close = True  # closed by the event loop; the slot goes to another client
        return result


class Server:
    """waitress serving one WSGI application on one address: THREADS workers answer, idle and
    half-sent connections are closed after `channel_timeout`, at most `connection_limit` are open."""

    def __init__(self, application: Callable[..., Any], host: str, port: int, *, threads: int = THREADS,
                 channel_timeout: int = CHANNEL_TIMEOUT, connection_limit: int = CONNECTION_LIMIT,
                 request_deadline: float = REQUEST_DEADLINE) -> None:
        self._map: dict[int, Any] = {}
        self._server = create_server(
            application, map=self._map, host=host, port=port, threads=threads,
            channel_timeout=channel_timeout, cleanup_interval=max(1, min(30, channel_timeout // 2)),
            connection_limit=connection_limit, max_request_body_size=MAX_BODY, asyncore_use_poll=True,
            expose_tracebacks=False, ident="colophon")
        self._listeners = [d for d in self._map.values() if isinstance(d, BaseWSGIServer)]
        channel = type("Channel", (_Channel,), {"request_deadline": request_deadline})
        for listener in self._listeners:
            listener.channel_class = channel

    @property
    def port(self) -> int:
        return int(self._listeners[0].effective_port)

    def run(self) -> None:
        """Serve until close() or Ctrl-C (waitress stops its workers on KeyboardInterrupt)."""
        self._server.run()

    def close(self) -> None:
        """Stop serving; callable from any thread (the event loop closes its own sockets)."""
        self._listeners[0].trigger.pull_trigger(lambda: wasyncore.close_all(self._map, ignore_all=True))
        self._server.task_dispatcher.shutdown()


def serve(folder: Path, host: str, port: int, **options: Any) -> None:
    repository = Repository(folder, **options)
    repository.index()  # a folder that cannot be indexed fails here, before anything listens
    server = Server(repository, host, port)
    # Requests beyond THREADS wait in waitress's queue by design; it warns on every one of them.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    print(f"OAI-PMH repository for {folder} at http://{host}:{server.port}/oai "
          f"(identifiers oai:{repository.repository_id}:ID)", flush=True)
    if repository.repository_id == LOCAL_IDENTIFIER:
        print(f"colophon: warning: the records cite no domain name; identifiers use {LOCAL_IDENTIFIER} "
              "until --repository-identifier names yours", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
