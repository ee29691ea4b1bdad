"""The OAI-PMH server under hostile requests, over real HTTP: a table of malformed, forged and
oversized requests, each answered below 500 with a well-formed OAI-PMH document and the protocol's
error code; idle connections that hold no thread; publications, broken snapshots and records that
cannot be built while the server answers."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from lxml import etree

from output import exports, oai
from output.oai import repository as oai_repository
from output.snapshot import Snapshot, current_generation
from tests.support import dataset_bytes, read_jsonl, run_colophon

OAI = "{http://www.openarchives.org/OAI/2.0/}"
WORK = "archive/ashdown/1947/04/mill1.html"  # a work of the built-in sample archive
PAGE_SIZE = 2


# --- the dataset and the server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive crawled once: a dataset folder as a run publishes it (generations)."""
    out = tmp_path_factory.mktemp("oai-fuzz") / "out"
    result = run_colophon("crawl", "--sample", "--out", str(out), "--log-level", "ERROR")
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@dataclass
class Running:
    port: int
    repository: oai.Repository

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/oai"


@contextlib.contextmanager
def running(folder: Path, threads: int = 4, channel_timeout: int = 30, **limits: Any) -> Iterator[Running]:
    repository = oai.Repository(folder, page_size=PAGE_SIZE)
    server = oai.Server(repository, "127.0.0.1", 0, threads=threads, channel_timeout=channel_timeout, **limits)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Running(server.port, repository)
    finally:
        server.close()
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.fixture(scope="module")
def server(published: Path) -> Iterator[Running]:
    with running(published) as live:
        yield live


def exchange(port: int, raw: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 exchange (the client closes after it): status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((name.strip().lower(), value.strip()) for name, _, value in (h.partition(":") for h in lines[1:]))
    return int(lines[0].split()[1]), headers, body


def get(query: bytes | str, headers: bytes = b"") -> bytes:
    query = query.encode() if isinstance(query, str) else query
    return b"GET /oai?" + query + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + b"\r\n"


def post(body: bytes | str, length: str | None = None, headers: bytes = b"") -> bytes:
    body = body.encode() if isinstance(body, str) else body
    declared = (f"Content-Length: {len(body) if length is None else length}\r\n".encode()
                if length != "" else b"")
    return (b"POST /oai HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n" + declared + headers + b"\r\n" + body)


def oai_document(body: bytes) -> etree._Element:
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, recover=False))
    assert root.tag == f"{OAI}OAI-PMH", root.tag
    assert root.find(f"{OAI}responseDate") is not None and root.find(f"{OAI}request") is not None
    return root


def error_code(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None


# --- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    version: str
    token: dict[str, Any]  # the fields of a real first-page ListRecords token


def token(ctx: Context, drop: tuple[str, ...] = (), **fields: Any) -> str:
    data = {key: value for key, value in {**ctx.token, **fields}.items() if key not in drop}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def listing(ctx: Context, drop: tuple[str, ...] = (), verb: str = "ListRecords", **fields: Any) -> bytes:
    return get(f"verb={verb}&resumptionToken={token(ctx, drop, **fields)}")


def record(identifier: str, prefix: str = "oai_dc") -> str:
    return f"verb=GetRecord&metadataPrefix={prefix}&identifier={identifier}"


LIST = "verb=ListRecords&metadataPrefix=oai_dc"
Request = Callable[[Context], bytes]
CASES: list[tuple[str, Request, str | None, int]] = [
    # verbs
    ("no-arguments", lambda c: get(""), "badVerb", 200),
    ("unknown-verb", lambda c: get("verb=Explode"), "badVerb", 200),
    ("verb-repeated", lambda c: get("verb=Identify&verb=Identify"), "badVerb", 200),
    ("two-verbs", lambda c: get("verb=Identify&verb=ListSets"), "badVerb", 200),
    ("verb-empty", lambda c: get("verb="), "badVerb", 200),
    ("verb-lowercase", lambda c: get("verb=identify"), "badVerb", 200),
    ("verb-nul", lambda c: get("verb=%00"), "badVerb", 200),
    ("verb-trailing-nul", lambda c: get("verb=Identify%00"), "badVerb", 200),
    ("verb-trailing-space", lambda c: get("verb=Identify+"), "badVerb", 200),
    ("verb-semicolon", lambda c: get("verb=Identify;metadataPrefix=oai_dc"), "badVerb", 200),
    ("verb-bad-escape", lambda c: get("verb=%G1"), "badVerb", 200),
    ("verb-not-utf8", lambda c: get("verb=%FF"), "badArgument", 200),
    ("verb-raw-latin1", lambda c: get(b"verb=Identify\xe9"), "badArgument", 400),  # not even HTTP
    ("empty-segments", lambda c: get("verb=Identify&&&"), None, 200),
    ("identify", lambda c: get("verb=Identify"), None, 200),
    # arguments a verb does not take
    ("identify-extra", lambda c: get("verb=Identify&extra=1"), "badArgument", 200),
    ("identify-identifier", lambda c: get(f"verb=Identify&identifier=oai:colophon.invalid:{WORK}"), "badArgument", 200),
    ("argument-name-nul", lambda c: get("verb=Identify&%00=1"), "badArgument", 200),
    ("argument-name-unicode", lambda c: get("verb=Identify&" + quote("ключ") + "=" + quote("значение")),
     "badArgument", 200),
    ("argument-value-not-utf8", lambda c: get("verb=Identify&x=%FF"), "badArgument", 200),
    ("too-many-arguments", lambda c: get("verb=Identify" + "&a=1" * 40), "badArgument", 200),
    # GetRecord and identifiers
    ("identifier-nul", lambda c: get(record("%00")), "badArgument", 200),
    ("identifier-nul-inside", lambda c: get(record(f"oai:colophon.invalid:{WORK}%00")), "badArgument", 200),
    ("identifier-empty", lambda c: get(record("")), "badArgument", 200),
    ("identifier-missing", lambda c: get("verb=GetRecord&metadataPrefix=oai_dc"), "badArgument", 200),
    ("identifier-repeated",
     lambda c: get(record(f"oai:colophon.invalid:{WORK}") + f"&identifier=oai:colophon.invalid:{WORK}"),
     "badArgument", 200),
    ("identifier-tab", lambda c: get(record("oai:colophon.invalid:a%09b")), "badArgument", 200),
    ("identifier-del", lambda c: get(record("oai:colophon.invalid:a%7Fb")), "badArgument", 200),
    ("identifier-c1-control", lambda c: get(record("oai:colophon.invalid:a%C2%85b")), "badArgument", 200),
    ("identifier-noncharacter", lambda c: get(record("oai:colophon.invalid:a%EF%BF%BEb")), "badArgument", 200),
    ("identifier-surrogate", lambda c: get(record("oai:colophon.invalid:a%ED%A0%80b")), "badArgument", 200),
    ("identifier-overlong-utf8", lambda c: get(record("oai:colophon.invalid:%C0%AF")), "badArgument", 200),
    ("identifier-path-traversal", lambda c: get(record("oai:colophon.invalid:../../../../etc/passwd")),
     "idDoesNotExist", 200),
    ("identifier-traversal-encoded", lambda c: get(record("oai:colophon.invalid:%2E%2E%2F%2E%2E%2Fstate.sqlite")),
     "idDoesNotExist", 200),
    ("identifier-unicode", lambda c: get(record(quote("oai:colophon.invalid:archive/ü/日本.htm"))),
     "idDoesNotExist", 200),
    ("identifier-raw-utf8", lambda c: get(record("oai:colophon.invalid:").encode() + "ü日本".encode()),
     "badArgument", 400),
    ("identifier-line-separator", lambda c: get(record("oai:colophon.invalid:a%E2%80%A8b")), "idDoesNotExist", 200),
    ("identifier-other-repository", lambda c: get(record(f"oai:elsewhere:{WORK}")), "idDoesNotExist", 200),
    ("identifier-huge", lambda c: get(record("oai:colophon.invalid:" + "x" * 200_000)), "idDoesNotExist", 200),
    ("identifier-markup", lambda c: get(record(quote("oai:colophon.invalid:<x>&amp;]]>\"'"))), "idDoesNotExist", 200),
    ("getrecord-unknown-format", lambda c: get(record(f"oai:colophon.invalid:{WORK}", "mods")),
     "cannotDisseminateFormat", 200),
    ("getrecord-prefix-control", lambda c: get(record(f"oai:colophon.invalid:{WORK}", "%01")), "badArgument", 200),
    ("getrecord-prefix-space", lambda c: get(record(f"oai:colophon.invalid:{WORK}", "oai+dc")), "badArgument", 200),
    ("getrecord-oai-dc", lambda c: get(record(f"oai:colophon.invalid:{WORK}")), None, 200),
    ("getrecord-marc21", lambda c: get(record(f"oai:colophon.invalid:{WORK}", "marc21")), None, 200),
    ("formats-unknown-identifier", lambda c: get("verb=ListMetadataFormats&identifier=oai:colophon.invalid:nope"),
     "idDoesNotExist", 200),
    ("formats", lambda c: get("verb=ListMetadataFormats"), None, 200),
    # ListRecords arguments
    ("list-no-prefix", lambda c: get("verb=ListRecords"), "badArgument", 200),
    ("list-prefix-control", lambda c: get("verb=ListRecords&metadataPrefix=%01"), "badArgument", 200),
    ("list-prefix-unknown", lambda c: get("verb=ListRecords&metadataPrefix=mods"), "cannotDisseminateFormat", 200),
    ("from-control", lambda c: get(f"{LIST}&from=%01"), "badArgument", 200),
    ("from-impossible", lambda c: get(f"{LIST}&from=2020-13-45T25:61:61Z"), "badArgument", 200),
    ("from-zero-date", lambda c: get(f"{LIST}&from=0000-00-00"), "badArgument", 200),
    ("from-year-0000", lambda c: get(f"{LIST}&from=0000-01-01"), "badArgument", 200),
    ("from-year-99999", lambda c: get(f"{LIST}&from=99999-01-01"), "badArgument", 200),
    ("from-not-a-leap-day", lambda c: get(f"{LIST}&from=2023-02-29"), "badArgument", 200),
    ("from-leap-day", lambda c: get(f"{LIST}&from=2024-02-29"), None, 200),
    ("until-not-a-leap-day", lambda c: get(f"{LIST}&until=2023-02-29"), "badArgument", 200),
    ("from-leap-second", lambda c: get(f"{LIST}&from=2020-01-01T23:59:60Z"), "badArgument", 200),
    ("from-no-zone", lambda c: get(f"{LIST}&from=2020-01-01T00:00:00"), "badArgument", 200),
    ("from-offset", lambda c: get(f"{LIST}&from=2020-01-01T00:00:00%2B01:00"), "badArgument", 200),
    ("from-fraction", lambda c: get(f"{LIST}&from=2020-01-01T00:00:00.5Z"), "badArgument", 200),
    ("from-trailing-newline", lambda c: get(f"{LIST}&from=2020-01-01%0A"), "badArgument", 200),
    ("from-arabic-digits", lambda c: get(f"{LIST}&from=" + quote("٢٠٢٠-٠١-٠١")), "badArgument", 200),
    ("from-words", lambda c: get(f"{LIST}&from=yesterday"), "badArgument", 200),
    ("from-empty", lambda c: get(f"{LIST}&from="), "badArgument", 200),
    ("from-repeated", lambda c: get(f"{LIST}&from=2020-01-01&from=2021-01-01"), "badArgument", 200),
    ("until-before-from", lambda c: get(f"{LIST}&from=2030-01-02&until=2030-01-01"), "badArgument", 200),
    ("granularity-mismatch", lambda c: get(f"{LIST}&from=2020-01-01&until=2030-01-01T00:00:00Z"), "badArgument", 200),
    ("whole-range", lambda c: get(f"{LIST}&from=0001-01-01&until=9999-12-31"), None, 200),
    ("from-far-future", lambda c: get(f"{LIST}&from=9999-12-31"), "noRecordsMatch", 200),
    ("until-year-one", lambda c: get(f"{LIST}&until=0001-01-01"), "noRecordsMatch", 200),
    ("set-nul", lambda c: get(f"{LIST}&set=%00"), "badArgument", 200),
    ("set-bad-syntax", lambda c: get(f"{LIST}&set=author::x"), "badArgument", 200),
    ("set-unknown", lambda c: get(f"{LIST}&set=author:nobody"), "noRecordsMatch", 200),
    ("set-parent", lambda c: get(f"{LIST}&set=author"), None, 200),
    ("identifiers-prefix-nul", lambda c: get("verb=ListIdentifiers&metadataPrefix=%00"), "badArgument", 200),
    # resumption tokens
    ("token-garbage", lambda c: get("verb=ListRecords&resumptionToken=garbage"), "badResumptionToken", 200),
    ("token-nul", lambda c: get("verb=ListRecords&resumptionToken=%00"), "badArgument", 200),
    ("token-with-prefix", lambda c: get("verb=ListRecords&resumptionToken=x&metadataPrefix=oai_dc"),
     "badArgument", 200),
    ("token-padding", lambda c: get(f"verb=ListRecords&resumptionToken={token(c)}%3D%3D"), "badResumptionToken", 200),
    ("token-huge", lambda c: get("verb=ListRecords&resumptionToken=" + "A" * 5000), "badResumptionToken", 200),
    ("token-offset-float-1e9", lambda c: listing(c, o=1e9), "badResumptionToken", 200),
    ("token-offset-past-end", lambda c: listing(c, o=1_000_000_000), "badResumptionToken", 200),
    ("token-offset-negative", lambda c: listing(c, o=-2), "badResumptionToken", 200),
    ("token-offset-zero", lambda c: listing(c, o=0), "badResumptionToken", 200),
    ("token-offset-string", lambda c: listing(c, o="2"), "badResumptionToken", 200),
    ("token-offset-bool", lambda c: listing(c, o=True), "badResumptionToken", 200),
    ("token-offset-2.0", lambda c: listing(c, o=2.0), "badResumptionToken", 200),
    ("token-offset-beyond-int64", lambda c: listing(c, o=2**70), "badResumptionToken", 200),
    ("token-version-mismatch", lambda c: listing(c, v="someone-else|2000-01-01"), "badResumptionToken", 200),
    ("token-version-number", lambda c: listing(c, v=7), "badResumptionToken", 200),
    ("token-prefix-unknown", lambda c: listing(c, p="mods"), "badResumptionToken", 200),
    ("token-prefix-list", lambda c: listing(c, p=["oai_dc"]), "badResumptionToken", 200),
    ("token-extra-key", lambda c: listing(c, x=1), "badResumptionToken", 200),
    ("token-missing-key", lambda c: listing(c, drop=("s",)), "badResumptionToken", 200),
    ("token-from-impossible", lambda c: listing(c, f="2020-13-45T25:61:61Z"), "badResumptionToken", 200),
    ("token-from-number", lambda c: listing(c, f=20200101), "badResumptionToken", 200),
    ("token-from-after-until", lambda c: listing(c, f="2030-01-01T00:00:00Z", u="2020-01-01T00:00:00Z"),
     "badResumptionToken", 200),
    ("token-set-unknown", lambda c: listing(c, s="author:nobody"), "badResumptionToken", 200),
    ("token-json-array", lambda c: get("verb=ListRecords&resumptionToken="
                                       + base64.urlsafe_b64encode(b"[1,2]").decode().rstrip("=")),
     "badResumptionToken", 200),
    ("token-json-null", lambda c: get("verb=ListRecords&resumptionToken="
                                      + base64.urlsafe_b64encode(b"null").decode().rstrip("=")),
     "badResumptionToken", 200),
    ("token-not-utf8-json", lambda c: get("verb=ListRecords&resumptionToken="
                                          + base64.urlsafe_b64encode(b'{"p":"\xff"}').decode().rstrip("=")),
     "badResumptionToken", 200),
    ("token-on-list-sets", lambda c: get(f"verb=ListSets&resumptionToken={token(c)}"), "badResumptionToken", 200),
    ("token-forged-identifiers", lambda c: listing(c, verb="ListIdentifiers", o=-1), "badResumptionToken", 200),
    ("token-real", lambda c: listing(c), None, 200),
    # POST and the HTTP layer
    ("post-identify", lambda c: post("verb=Identify"), None, 200),
    ("post-nul", lambda c: post("verb=Identify&x=%00"), "badArgument", 200),
    ("post-raw-not-utf8", lambda c: post(b"verb=\xff"), "badArgument", 200),
    ("post-query-string-ignored", lambda c: b"POST /oai?verb=Identify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                            b"Content-Length: 0\r\n\r\n", "badVerb", 200),
    ("post-huge-identifier", lambda c: post(record("oai:colophon.invalid:" + "y" * 60_000)), "idDoesNotExist", 200),
    ("post-length-not-a-number", lambda c: post("verb=Identify", length="abc"), "badArgument", 400),
    ("post-length-negative", lambda c: post("verb=Identify", length="-1"), "badArgument", 400),
    ("post-length-exponent", lambda c: post("verb=Identify", length="1e3"), "badArgument", 400),
    ("post-length-two-values", lambda c: post("verb=Identify", headers=b"Content-Length: 99\r\n"), "badArgument", 400),
    ("post-length-beyond-limit", lambda c: post("", length="10000000"), "badArgument", 413),
    ("post-unknown-transfer-coding", lambda c: post("verb=Identify", length="", headers=b"Transfer-Encoding: gzip\r\n"),
     "badArgument", 400),
    ("post-chunked", lambda c: post(b"d\r\nverb=Identify\r\n0\r\n\r\n", length="",
                                    headers=b"Transfer-Encoding: chunked\r\n"), None, 200),
    ("put", lambda c: b"PUT /oai?verb=Identify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
     "badArgument", 405),
    ("host-header-markup", lambda c: b'GET /oai?verb=Identify HTTP/1.1\r\nHost: <evil>&"\r\n'
                                     b"Connection: close\r\n\r\n", None, 200),
    ("host-header-control", lambda c: b"GET /oai?verb=Identify HTTP/1.1\r\nHost: a\x01b\r\n"
                                      b"Connection: close\r\n\r\n", "badArgument", 400),
]


@pytest.fixture(scope="module")
def context(server: Running, published: Path) -> Context:
    status, _, body = exchange(server.port, get(LIST))
    text = oai_document(body).findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
    assert status == 200 and text
    fields = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return Context(Snapshot.open(published).version, fields)


def test_the_table_is_wide_enough() -> None:
    assert len(CASES) >= 50
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("request_of", "code", "status"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_hostile_request(server: Running, context: Context, request_of: Request, code: str | None,
                         status: int) -> None:
    answered, headers, body = exchange(server.port, request_of(context))
    assert answered == status
    assert headers.get("content-type", "").startswith("text/xml")
    root = oai_document(body)
    assert error_code(root) == code
    request = root.find(f"{OAI}request")
    assert request is not None
    if code in ("badVerb", "badArgument"):
        assert not request.attrib  # the protocol: the base URL only
    if code is None:
        assert len(root) == 3 and root[2].tag.startswith(OAI)  # responseDate, request, the verb's element


def test_a_harvest_follows_every_token_to_the_end(server: Running, published: Path) -> None:
    works = len(dataset_bytes(published, "works.jsonl").splitlines())
    seen: list[str] = []
    query = LIST
    while True:
        status, _, body = exchange(server.port, get(query))
        root = oai_document(body)
        assert status == 200 and error_code(root) is None
        seen += [h.text or "" for h in root.iter(f"{OAI}identifier")]
        token_text = root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
        if not token_text:
            break
        query = f"verb=ListRecords&resumptionToken={token_text}"
    assert len(seen) == len(set(seen)) and len(seen) >= works


# --- connections that hold nothing -------------------------------------------------------------


def test_idle_connections_hold_no_thread_and_are_closed(published: Path) -> None:
    with running(published, threads=2, channel_timeout=2) as live, contextlib.ExitStack() as stack:
        idle = [stack.enter_context(socket.create_connection(("127.0.0.1", live.port), timeout=10))
                for _ in range(60)]
        half = [stack.enter_context(socket.create_connection(("127.0.0.1", live.port), timeout=10))
                for _ in range(4)]
        for sock in half[:2]:
            sock.sendall(b"GET /oai?verb=Identify HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never finished
        for sock in half[2:]:
            sock.sendall(post("verb=Identify", length="100"))  # a body shorter than its Content-Length
        started = time.monotonic()
        for _ in range(20):
            status, _, body = exchange(live.port, get("verb=Identify"), timeout=5)
            assert status == 200 and error_code(oai_document(body)) is None
        assert time.monotonic() - started < 5  # two threads, 64 open connections: nobody waited on them
        for sock in idle + half:
            sock.settimeout(10)
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1024) == b""  # the server closed it, without an answer
        assert time.monotonic() - started < 12


def test_a_trickling_client_is_closed_at_its_deadline(published: Path) -> None:
    """slowloris: connections that fill every slot and send a header line now and then, never idle
    long enough for the idle timeout; each is closed once its request has taken longer than the
    deadline to arrive, and an ordinary client gets its answer."""
    with running(published, threads=2, channel_timeout=30, connection_limit=20, request_deadline=1.0) as live, \
            contextlib.ExitStack() as stack:
        slow = [stack.enter_context(socket.create_connection(("127.0.0.1", live.port), timeout=10))
                for _ in range(25)]
        for sock in slow:
            sock.sendall(b"GET /oai?verb=Identify HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        stop = threading.Event()

        def trickle() -> None:
            while not stop.wait(0.3):
                for sock in slow:
                    with contextlib.suppress(OSError):
                        sock.sendall(b"X-Slow: 1\r\n")

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            time.sleep(0.5)
            started = time.monotonic()
            status, _, body = exchange(live.port, get("verb=Identify"), timeout=10)
            assert status == 200 and error_code(oai_document(body)) is None
            assert time.monotonic() - started < 5
        finally:
            stop.set()
            thread.join(timeout=5)


def test_a_body_cut_short_is_never_answered_as_a_failure(server: Running) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(post("verb=Identify", length="100"))
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    assert answer == b"" or int(answer.split()[1]) < 500


# --- the dataset changing under the server -----------------------------------------------------


def publish(folder: Path, run: str, edit: Callable[[Path], None] | None = None, keep: int = 3,
            source: Path | None = None) -> Path:
    """A new generation copied from `source` (the current one), edited, switched in with one rename
    as a run publishes it; older generations beyond `keep` are removed. Returns the new generation."""
    target = folder / ".snapshots" / run
    shutil.copytree(source or current_generation(folder), target, symlinks=True)
    package = json.loads((target / "datapackage.json").read_text())
    package["updated"] = f"2030-01-01T00:00:00+00:00 {run}"
    (target / "datapackage.json").write_text(json.dumps(package))
    if edit is not None:
        edit(target)
    link = folder / f"snapshot.{run}.tmp"
    os.symlink(f".snapshots/{run}", link)
    os.replace(link, folder / "snapshot")
    older = sorted(p for p in (folder / ".snapshots").iterdir() if p != target)  # run names sort in order
    for old in older[:max(0, len(older) - (keep - 1))]:
        shutil.rmtree(old)
    return target


def add_work(record_id: str, **fields: Any) -> Callable[[Path], None]:
    def edit(generation: Path) -> None:
        works = sorted((generation / "works").glob("*.jsonl"))[-1]  # appended to the last shard
        first = json.loads(works.read_text().splitlines()[0])
        works.write_text(works.read_text() + json.dumps({**first, "id": record_id, **fields}) + "\n")
    return edit


def answer(port: int, query: str) -> etree._Element:
    status, _, body = exchange(port, get(query))
    assert status == 200
    return oai_document(body)


@pytest.fixture
def folder(published: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "dataset"
    shutil.copytree(published, copy, symlinks=True)
    return copy


def test_a_publication_is_served_on_the_next_request(folder: Path) -> None:
    with running(folder) as live:
        assert error_code(answer(live.port, record("oai:colophon.invalid:new/work.htm"))) == "idDoesNotExist"
        _, _, body = exchange(live.port, get(LIST))
        old_token = oai_document(body).findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
        publish(folder, "run-2", add_work("new/work.htm"))
        assert error_code(answer(live.port, record("oai:colophon.invalid:new/work.htm"))) is None
        stale = answer(live.port, f"verb=ListRecords&resumptionToken={old_token}")
        assert error_code(stale) == "badResumptionToken"


def test_harvests_while_runs_publish_never_fail(folder: Path) -> None:
    failures: list[str] = []
    stop = threading.Event()

    def harvest(port: int) -> None:
        try:
            while not stop.is_set():
                query = LIST
                while query and not stop.is_set():
                    status, _, body = exchange(port, get(query))
                    root = oai_document(body)
                    code = error_code(root)
                    if status != 200 or code not in (None, "badResumptionToken"):
                        failures.append(f"{status} {code}")
                    token_text = root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
                    query = f"verb=ListRecords&resumptionToken={token_text}" if token_text and code is None else ""
                status, _, body = exchange(port, get(record(f"oai:colophon.invalid:{WORK}", "marc21")))
                if status != 200 or error_code(oai_document(body)) is not None:
                    failures.append(f"GetRecord {status}")
        except Exception as error:  # reported below, from the test's own thread
            failures.append(repr(error))

    with running(folder, threads=4) as live:
        clients = [threading.Thread(target=harvest, args=(live.port,)) for _ in range(6)]
        for client in clients:
            client.start()
        try:
            for n in range(25):
                # keep=1: the generation a request may be reading is removed at once.
                publish(folder, f"run-{n:03d}", add_work(f"new/w{n}.htm"), keep=1)
                time.sleep(0.02)
        finally:
            stop.set()
            for client in clients:
                client.join(timeout=30)
        assert not failures
        assert error_code(answer(live.port, record("oai:colophon.invalid:new/w24.htm"))) is None


@pytest.mark.parametrize("damage", [
    pytest.param(lambda g: shutil.rmtree(g / "works"), id="works-file-vanished"),
    pytest.param(lambda g: (g / "datapackage.json").write_text("{not json"), id="datapackage-not-json"),
    pytest.param(lambda g: (g / "datapackage.json").unlink(), id="datapackage-vanished"),
])
def test_a_broken_publication_keeps_the_previous_index(folder: Path, damage: Callable[[Path], None],
                                                       caplog: pytest.LogCaptureFixture) -> None:
    def broken(generation: Path) -> None:
        add_work("new/work.htm")(generation)
        damage(generation)

    good = current_generation(folder)
    with running(folder) as live:
        assert error_code(answer(live.port, record(f"oai:colophon.invalid:{WORK}"))) is None
        with caplog.at_level(logging.WARNING, logger="output.oai"):
            publish(folder, "run-broken", broken)
            for query in ("verb=Identify", record(f"oai:colophon.invalid:{WORK}"), LIST, LIST):
                assert error_code(answer(live.port, query)) is None  # the previous snapshot answers
            assert error_code(answer(live.port, record("oai:colophon.invalid:new/work.htm"))) == "idDoesNotExist"
        assert caplog.text.count("cannot index the published snapshot") == 1  # said once, not per request
        publish(folder, "run-fixed", add_work("new/work.htm"), source=good)
        assert error_code(answer(live.port, record("oai:colophon.invalid:new/work.htm"))) is None


def test_a_record_that_cannot_be_built_is_left_out(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    real = exports.dc_element

    def failing(work: dict[str, Any]) -> etree._Element:
        if work["id"] == WORK:
            raise ValueError("All strings must be XML compatible")
        return real(work)

    monkeypatch.setattr(oai_repository, "dc_element", failing)
    with caplog.at_level(logging.WARNING, logger="output.oai"), running(folder) as live:
        assert error_code(answer(live.port, record(f"oai:colophon.invalid:{WORK}"))) == "cannotDisseminateFormat"
        assert error_code(answer(live.port, record(f"oai:colophon.invalid:{WORK}", "marc21"))) is None
        listed: list[str] = []
        query = LIST
        while query:
            root = answer(live.port, query)
            assert error_code(root) is None
            listed += [h.text or "" for h in root.iter(f"{OAI}identifier")]
            token_text = root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
            query = f"verb=ListRecords&resumptionToken={token_text}" if token_text else ""
    assert f"oai:colophon.invalid:{WORK}" not in listed and listed
    assert WORK in caplog.text


def shape(element: etree._Element) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [(str(e.tag), (e.text or "").strip(), sorted((str(k), str(v)) for k, v in e.attrib.items()))
            for e in element.iter()]


@pytest.mark.parametrize(("prefix", "build"), [("oai_dc", exports.dc_element), ("marc21", exports.marc_record)])
def test_metadata_spliced_in_is_the_exports_element(server: Running, published: Path, prefix: str,
                                                    build: Callable[[dict[str, Any]], etree._Element]) -> None:
    work = next(w for w in read_jsonl(published / "works.jsonl") if w["id"] == WORK)
    for _ in ("built", "from the cache"):
        root = answer(server.port, record(f"oai:colophon.invalid:{WORK}", prefix))
        metadata = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata")
        assert metadata is not None and len(metadata) == 1
        assert shape(metadata[0]) == shape(build(work))


def test_an_unexpected_failure_is_still_an_oai_pmh_answer(server: Running, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any) -> etree._Element:
        raise RuntimeError("a defect")

    monkeypatch.setitem(oai.Repository._VERBS, "ListSets", broken)
    with caplog.at_level(logging.ERROR, logger="output.oai"):
        root = answer(server.port, "verb=ListSets")
    assert error_code(root) == "badArgument"
    assert "a defect" in caplog.text


def test_text_from_the_dataset_is_made_xml_safe(folder: Path) -> None:
    publish(folder, "run-controls", add_work("odd/\x02work.htm", author={"name": "Bad\x01Name", "slug": "bad"},
                                             title="A title with \x0b a vertical tab"))
    with running(folder) as live:
        sets = answer(live.port, "verb=ListSets")
        names = [s.findtext(f"{OAI}setName") for s in sets.iter(f"{OAI}set")]
        assert "Bad\ufffdName" in names
        headers = answer(live.port, "verb=ListIdentifiers&metadataPrefix=oai_dc&set=author:bad")
        # A control character is no URI character: %-escaped, the identifier is both XML and the record's own.
        assert [h.text for h in headers.iter(f"{OAI}identifier")] == ["oai:colophon.invalid:odd/%02work.htm"]
        asked = "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:colophon.invalid:odd/%2502work.htm"
        assert error_code(answer(live.port, asked)) in (None, "cannotDisseminateFormat")  # found
        for prefix in ("oai_dc", "marc21"):  # the record itself is built by the exports: valid either way
            query = f"verb=ListRecords&metadataPrefix={prefix}&set=author:bad"
            assert error_code(answer(live.port, query)) in (None, "cannotDisseminateFormat")


def test_a_folder_without_a_dataset(tmp_path: Path) -> None:
    repository = oai.Repository(tmp_path)
    answered: list[Any] = []
    body = b"".join(repository({"PATH_INFO": "/oai", "REQUEST_METHOD": "GET", "QUERY_STRING": "verb=Identify",
                                "HTTP_HOST": "127.0.0.1"}, lambda status, headers: answered.append((status, headers))))
    status, headers = answered[0]
    assert status.startswith("503") and ("Retry-After", str(oai.RETRY_AFTER)) in headers and body
    result = run_colophon("serve", str(tmp_path), "--port", "0", timeout=60)
    assert result.returncode == 2 and "not a readable dataset folder" in result.stderr
