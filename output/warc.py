"""The WARC files of a dataset (ISO 28500, WARC/1.1, records built by warcio): what every crawl
fetched, in `warc/` beside the records, each record its own gzip member.

A crawl appends to one file, `warc/colophon-<run>-<n>.warc.gz.open`; each record is written whole
with one write, and the file is fsynced before the state store commits a batch that points into it
(a record's `provenance.warc`, a page's capture). A file is sealed, fsynced and renamed to its
`.warc.gz` name when it reaches its size or the run ends; only then is it hashed into the state
store, and datapackage.json lists it at the next publication. A file a killed process left open is
cut back to its last whole record and sealed when the folder is next opened (`repair`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from output import faults
from output.atomic import fsync_dir

WARC_DIR = "warc"
OPEN = ".open"  # the suffix of the file a run is writing
SUFFIX = ".warc.gz"
WARC_BYTES = 1 << 30  # a file is sealed once it holds this much, and the next one begun
GZIP_LEVEL = 1  # the fastest level but stored: a crawl's CPU is what it spends, the bytes are cheap
_DEFLATE: Any = zlib
with contextlib.suppress(ImportError):  # a platform without its wheels keeps zlib
    from isal import isal_zlib as _DEFLATE  # Intel's ISA-L: zlib's API and format, four times faster
VERSION = "WARC/1.1"
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
HOP_HEADERS = {"transfer-encoding"}  # the body is kept as the client decoded its transfer (no chunks)


class Capture(NamedTuple):
    """Where the last response for a URL is kept: its file (`warc/NAME`), offset, record id, date
    and payload digest (as the record's WARC-Payload-Digest gives it)."""

    file: str
    offset: int
    record_id: str
    date: str
    digest: str


class Sealed(NamedTuple):
    """A sealed WARC file, as the state store lists it and datapackage.json describes it."""

    name: str
    bytes: int
    sha256: str
    records: int


def warc_dir(folder: Path) -> Path:
    return folder / WARC_DIR


def record_bytes(record: ArcWarcRecord) -> bytes:
    """One record as warcio writes it, uncompressed."""
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version=VERSION).write_record(record)
    return buffer.getvalue()


def compress(data: bytes) -> bytes:
    """A record as the gzip member of its own it is written as (by ISA-L where it is installed: the
    same deflate, at a quarter of zlib's cost)."""
    compressor = _DEFLATE.compressobj(GZIP_LEVEL, _DEFLATE.DEFLATED, _DEFLATE.MAX_WBITS + 16)
    member: bytes = compressor.compress(data) + compressor.flush()
    return member


_BUILDER = RecordBuilder(warc_version=VERSION)  # keeps no state between records


def builder() -> RecordBuilder:
    """Builds records (it writes none itself: each is written as a member of its own)."""
    return _BUILDER


def http_headers(status_line: str, headers: Iterable[tuple[str, str]], protocol: str) -> StatusAndHeaders:
    kept = [(name, value) for name, value in headers if name.lower() not in HOP_HEADERS]
    return StatusAndHeaders(status_line, kept, protocol=protocol)


class Exchange(NamedTuple):
    """What a crawl received for one request, as its WARC records keep it: the response as received
    (its headers, its body before any Content-Encoding is undone) and the request as it was sent.
    ``known``: the last capture of the URL (a body it already holds is a revisit); ``local``: a file
    read from a local folder, kept as a `resource` record."""

    url: str
    status: int
    status_line: str                  # "200 OK"
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    request_line: str                 # "GET /path HTTP/1.1"
    request_headers: list[tuple[str, str]]
    request_body: bytes
    known: Capture | None
    local: bool = False
    content_type: str = "text/html"   # a local file's


class Records(NamedTuple):
    """An exchange's records, each a gzip member of its own (request first), and what they keep:
    ``counted`` the kind of record the crawl counts ("records", "revisits", None); ``location``
    where the response is kept, "new" (the last member, whose id, date and digest follow), "known"
    (the last capture, unchanged) or None (no page's capture)."""

    members: list[bytes]
    counted: str | None
    location: str | None
    record_id: str = ""
    date: str = ""
    digest: str = ""


def payload_digest(body: bytes) -> str:
    """A payload's digest as warcio writes WARC-Payload-Digest (sha1, base32)."""
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def exchange_records(exchange: Exchange) -> Records:
    """The records of one exchange, built and compressed (a pure function of it: the crawl runs it
    in its extraction processes when it has them, crawler.harvesters)."""
    url, status, body, known = exchange.url, exchange.status, exchange.body, exchange.known
    digest = payload_digest(body)
    if exchange.local:
        if status != 200:
            return Records([], None, None)
        if known is not None and known.digest == digest:
            return Records([], None, "known")  # the file as it was last read
        record = builder().create_warc_record(
            url, "resource", payload=io.BytesIO(body), length=len(body), warc_content_type=exchange.content_type,
            warc_headers_dict={"WARC-Payload-Digest": digest})
        return _kept(record, [record], "records", digest)
    headers = http_headers(exchange.status_line, exchange.headers, exchange.protocol)
    if status == 304 or (known is not None and 200 <= status < 300 and known.digest == digest):
        record = builder().create_warc_record(url, "revisit", http_headers=headers)
        record.rec_headers.add_header("WARC-Profile", NOT_MODIFIED if status == 304 else IDENTICAL)
        if known is not None:
            record.rec_headers.add_header("WARC-Refers-To", known.record_id)
            record.rec_headers.add_header("WARC-Refers-To-Target-URI", url)
            record.rec_headers.add_header("WARC-Refers-To-Date", known.date)
            record.rec_headers.add_header("WARC-Payload-Digest", known.digest)
        return Records(_members([_request_record(exchange, record), record]), "revisits",
                       "known" if known is not None else None)
    record = builder().create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                          http_headers=headers, warc_headers_dict={"WARC-Payload-Digest": digest})
    records = [_request_record(exchange, record), record]
    if not 200 <= status < 300:
        return Records(_members(records), "records", None)
    return _kept(record, records, "records", digest)


def _kept(record: ArcWarcRecord, records: list[ArcWarcRecord], counted: str, digest: str) -> Records:
    headers = record.rec_headers
    return Records(_members(records), counted, "new", headers.get_header("WARC-Record-ID"),
                   headers.get_header("WARC-Date"), digest)


def _members(records: list[ArcWarcRecord]) -> list[bytes]:
    return [compress(record_bytes(record)) for record in records]


def _request_record(exchange: Exchange, response_record: ArcWarcRecord) -> ArcWarcRecord:
    """The request as it was sent, dated as its response and linked to it."""
    headers = StatusAndHeaders(exchange.request_line, exchange.request_headers, is_http_request=True)
    body = exchange.request_body
    return builder().create_warc_record(exchange.url, "request", payload=io.BytesIO(body), length=len(body),
                                        http_headers=headers, warc_headers_dict={
                                            "WARC-Date": response_record.rec_headers.get_header("WARC-Date"),
                                            "WARC-Concurrent-To": response_record.rec_headers.get_header(
                                                "WARC-Record-ID")})


class WriterClosed(RuntimeError):
    """A record for a run whose WARC files are sealed already (a response that came after the end)."""


class Appended(NamedTuple):
    """Records written together: their file (`warc/NAME`), the offset of each, and the files sealed
    to make room for them."""

    file: str
    offsets: list[int]
    sealed: list[Sealed]


class WarcWriter:
    """The WARC files of one run, written in turn. (In the crawl's own thread: on a machine whose
    cores the crawl and its origin keep busy, a thread of its own only adds hand-overs.)"""

    def __init__(self, folder: Path, run: str, *, max_bytes: int = WARC_BYTES,
                 info: dict[str, str] | None = None) -> None:
        self.folder = warc_dir(folder)
        self.run = run
        self.max_bytes = max_bytes
        self.info = info or {}
        self.name: str | None = None
        self.fd: int | None = None
        self.size = 0
        self.records = 0
        self.hash = hashlib.sha256()
        self.dirty = False
        self.broken: BaseException | None = None  # what a failed write raised: no more is written
        self.closed = False

    def _next_name(self) -> str:
        taken = {path.name.removesuffix(OPEN) for path in self.folder.glob(f"colophon-{self.run}-*")}
        number = 0
        while f"colophon-{self.run}-{number:05d}{SUFFIX}" in taken:
            number += 1
        return f"colophon-{self.run}-{number:05d}{SUFFIX}"

    def _begin(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.name = self._next_name()
        self.fd = os.open(self.folder / (self.name + OPEN), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fsync_dir(self.folder)
        self.size, self.records, self.hash = 0, 0, hashlib.sha256()
        info = builder().create_warcinfo_record(self.name, {"software": "Colophon", "format": "WARC File Format 1.1",
                                                            **self.info})
        self._write([compress(record_bytes(info))])

    def _write(self, members: list[bytes]) -> list[int]:
        assert self.fd is not None
        data = b"".join(members)
        offsets = []
        for part in members:
            offsets.append(self.size)
            self.size += len(part)
        written = 0
        try:
            if faults.armed("warc.appending"):  # a kill inside a record: half of it written
                written = os.write(self.fd, data[: len(data) // 2])
            faults.point("warc.appending")
            while written < len(data):  # a short write (a signal): the rest, in order
                written += os.write(self.fd, data[written:])
        except BaseException as error:
            # The machine refused (a full disk): the file is cut back to its whole records, and
            # nothing more is written to it.
            self.size = offsets[0]
            self.broken = error
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.size)
            raise
        self.dirty = True
        self.hash.update(data)
        self.records += len(members)
        return offsets

    def append(self, records: list[bytes]) -> Appended:
        """Write records together (a request and its response), each given as record_bytes().
        Raises WriterClosed once the writer is closed, and again what a failed write raised."""
        return self.append_members([compress(record) for record in records])

    def append_members(self, members: list[bytes]) -> Appended:
        """Write records together, each given as the gzip member compress() makes of it."""
        if self.closed:
            raise WriterClosed("the run's WARC files are sealed")
        if self.broken is not None:
            raise self.broken
        sealed = []
        if self.fd is not None and self.size >= self.max_bytes:
            sealed += self.seal()
        if self.fd is None:
            self._begin()
        assert self.name is not None
        return Appended(f"{WARC_DIR}/{self.name}", self._write(members), sealed)

    def sync(self) -> None:
        """Make what was written durable (before the state store commits what points into it)."""
        if self.fd is not None and self.dirty:
            os.fsync(self.fd)
            self.dirty = False

    def seal(self) -> list[Sealed]:
        """Seal the file being written: fsynced, renamed to its final name; returns it."""
        if self.fd is None or self.name is None:
            return []
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = None
        faults.point("warc.sealing")
        os.replace(self.folder / (self.name + OPEN), self.folder / self.name)
        fsync_dir(self.folder)
        faults.point("warc.sealed")
        sealed = Sealed(self.name, self.size, self.hash.hexdigest(), self.records)
        self.name = None
        return [sealed]

    def close(self) -> list[Sealed]:
        """Seal the file; returns it. Nothing more is written."""
        self.closed = True
        return self.seal()


def repair(folder: Path) -> list[Sealed]:
    """Seal the files killed processes left open, each cut back to its last whole record (a file
    with no whole record is removed); returns those sealed."""
    sealed = []
    for path in sorted(warc_dir(folder).glob(f"*{SUFFIX}{OPEN}")):
        end, records = _whole(path)
        final = path.with_name(path.name.removesuffix(OPEN))
        if records == 0:
            path.unlink()
            continue
        with open(path, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(path, final)
        sealed.append(describe(final, records))
    if sealed:
        fsync_dir(warc_dir(folder))
    return sealed


def _whole(path: Path) -> tuple[int, int]:
    """The length of a WARC file's whole records from its start, and their number: each a gzip
    member that ends (its trailer read) holding one WARC record of the length its header gives."""
    end = records = 0
    with open(path, "rb") as stream:
        member = zlib.decompressobj(zlib.MAX_WBITS + 16)
        parts: list[bytes] = []
        position = 0  # bytes of the file fed to the member so far
        while chunk := stream.read(1 << 20):
            while chunk:
                try:
                    parts.append(member.decompress(chunk))
                except zlib.error:
                    return end, records
                if not member.eof:
                    position += len(chunk)
                    break
                used = len(chunk) - len(member.unused_data)
                position += used
                if not _one_record(b"".join(parts)):
                    return end, records
                end, records = position, records + 1
                chunk, parts = member.unused_data, []
                member = zlib.decompressobj(zlib.MAX_WBITS + 16)
    return end, records


def _one_record(block: bytes) -> bool:
    """Whether bytes are one whole WARC record: its header, then as many bytes as it says, then CRLF CRLF."""
    if not block.startswith(b"WARC/"):
        return False
    head, found, rest = block.partition(b"\r\n\r\n")
    if not found:
        return False
    length = next((line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), b"")
    return length.isdigit() and len(rest) == int(length) + 4 and rest.endswith(b"\r\n\r\n")


def describe(path: Path, records: int | None = None) -> Sealed:
    """A sealed file's size, sha256 and record count (counted when not given)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    if records is None:
        records = _whole(path)[1]
    return Sealed(path.name, path.stat().st_size, digest.hexdigest(), records)


def sealed_files(folder: Path) -> list[str]:
    return sorted(path.name for path in warc_dir(folder).glob(f"*{SUFFIX}") if path.is_file())


def resource(sealed: Sealed) -> dict[str, Any]:
    """A sealed WARC file as a datapackage.json resource."""
    return {"name": "warc-" + sealed.name.removesuffix(SUFFIX).lower().replace("_", "-"),
            "path": f"{WARC_DIR}/{sealed.name}", "type": "file", "format": "warc", "mediatype": "application/warc",
            "compression": "gz", "bytes": sealed.bytes, "hash": f"sha256:{sealed.sha256}", "records": sealed.records}


# --- reading ----------------------------------------------------------------------------------------
class UnreadableCapture(ValueError):
    """A record that cannot be replayed: torn, or with a status line that names no status."""


class CaptureTooLarge(UnreadableCapture):
    """A record larger than the size a page may have."""


@dataclass
class Stored:
    """A response as a WARC keeps it: its URL, status, headers (the transfer already decoded), and its
    body, as received (``decoded`` False) or with its Content-Encoding undone."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    record_type: str


def target_uri(record: ArcWarcRecord) -> str:
    """The record's URL (some writers put it in angle brackets, as WARC 1.0's grammar showed it)."""
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return uri[1:-1] if uri.startswith("<") and uri.endswith(">") else uri


def status_of(record: ArcWarcRecord) -> int | None:
    """The HTTP status of a response record (200 for a resource); None when its status line names none."""
    if record.rec_type == "resource":
        return 200
    code = record.http_headers.get_statuscode() if record.http_headers else None
    return int(code) if code and code.isdigit() and 100 <= int(code) <= 599 else None


def read_stored(path: Path, offset: int, *, decoded: bool, limit: int = 0) -> Stored:
    """The response (or resource) record at ``offset`` of a WARC file; ``limit``: the most bytes its
    block may hold (0: no limit). Raises UnreadableCapture (CaptureTooLarge)."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        try:
            record = next(iter(ArchiveIterator(stream, check_digests=False)))
        except StopIteration:
            raise UnreadableCapture(f"no record at offset {offset} of {path.name}") from None
        size = record.raw_stream.limit  # the body's bytes (its HTTP headers are read)
        if limit and size > limit:
            raise CaptureTooLarge(f"the record of {target_uri(record)} holds {size} bytes, more than the limit "
                                  f"of {limit}")
        stored = _stored(record, decoded=decoded)
        if record.raw_stream.limit > 0:  # the block ended before its Content-Length: a torn record
            raise UnreadableCapture(f"the record of {stored.url} at offset {offset} of {path.name} is cut short")
        return stored


def _stored(record: ArcWarcRecord, *, decoded: bool) -> Stored:
    url = target_uri(record)
    if record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type") or "application/octet-stream"
        return Stored(url, 200, [("Content-Type", content_type)], record.raw_stream.read(), "resource")
    status = status_of(record)
    if status is None:
        raise UnreadableCapture(f"the record of {url} has no HTTP status line")
    headers = record.http_headers
    pairs = list(headers.headers) if headers else []
    if decoded:
        body = record.content_stream().read()
        pairs = [(k, v) for k, v in pairs if k.lower() not in ("content-encoding", *HOP_HEADERS)]
    else:
        chunked = any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in pairs)
        body = (ChunkedDataReader(record.raw_stream, decomp_type=None) if chunked else record.raw_stream).read()
        pairs = [(k, v) for k, v in pairs if k.lower() not in HOP_HEADERS]
    return Stored(url, status, pairs, body, record.rec_type)


class Entry(NamedTuple):
    path: Path
    offset: int
    label: str  # how a record names the file (`warc/NAME` in a dataset, the file's name elsewhere)


class Scanned(NamedTuple):
    """One response, resource or revisit record as an index of the files sees it."""

    url: str
    entry: Entry
    kind: str
    status: int | None
    record_id: str
    digest: str
    refers_to: str


def scan(paths: Iterable[tuple[Path, str]], problems: list[str]) -> Iterator[Scanned]:
    """Every response, resource and revisit record of the files, in order. A file that stops being
    readable (junk, a torn member) is read up to there, and ``problems`` says where."""
    for path, label in paths:
        with open(path, "rb") as stream:
            iterator = ArchiveIterator(stream, check_digests=False)
            try:
                for record in iterator:
                    if record.format != "warc":
                        raise UnreadableCapture("bytes that are no WARC record")
                    if record.rec_type not in ("response", "resource", "revisit"):
                        continue
                    headers = record.rec_headers
                    yield Scanned(target_uri(record), Entry(path, iterator.get_record_offset(), label),
                                  record.rec_type, status_of(record), headers.get_header("WARC-Record-ID") or "",
                                  headers.get_header("WARC-Payload-Digest") or "",
                                  headers.get_header("WARC-Refers-To") or "")
            except Exception as error:
                why = "".join(c if c.isprintable() else "?" for c in str(error))[:160]
                problems.append(f"{path}: unreadable after offset {iterator.offset} ({why}); "
                                "its later records are left out")
