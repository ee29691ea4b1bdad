"""The OAI-PMH repository over a dataset folder: the six verbs answered from the index of its
current snapshot, as a WSGI application.

The folder is read through `output.snapshot` only; when a run publishes, the next request indexes
the new snapshot (output.oai.index, in proportion to what changed) while requests in flight finish
on the one they began with. Every request, however malformed, is answered with a well-formed
OAI-PMH document: arguments are checked against the protocol's error codes, and anything the
repository cannot answer is answered as an error, never as a server failure."""

from __future__ import annotations

import collections
import contextlib
import logging
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

import orjson
from lxml import etree

from output.exports import dc_element, marc_record
from output.oai.index import Index, IndexStore, Item, Selection, damaged, index_snapshot, json_object
from output.oai.protocol import (
    ECHO,
    FORMATS,
    OAI,
    XSI,
    OaiError,
    Resumption,
    date_range,
    decode_token,
    document,
    encode_token,
    parse_request,
    xml_text,
)
from output.snapshot import BrokenDataset, NoDataset, Snapshot

logger = logging.getLogger(__name__)

RETRY_AFTER = 10              # seconds, when the dataset cannot be read at all
MAX_BODY = 64 * 1024          # a POSTed request: the arguments of one verb, nothing near this size
_RETRY_BROKEN = 1.0           # seconds before indexing again a snapshot that failed to index
# Serialised metadata kept per repository, by record line: building a record's MARCXML costs thirty
# times what copying its bytes does, and harvesters ask for the same records again and again.
FRAGMENT_CACHE = 32 * 1024 * 1024
_HOST = re.compile(r"([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?")
_LENGTH = re.compile(r"[0-9]{1,12}")
XML = "text/xml; charset=utf-8"
Answer = tuple[str, list[tuple[str, str]], bytes]


class Unavailable(Exception):
    """No snapshot of the folder could be indexed: there is nothing to answer from."""


class _Damaged(Exception):
    """SQLite found an index file damaged while a request read it."""

    def __init__(self, store: IndexStore) -> None:
        super().__init__(str(store.path))
        self.store = store


class _RecordFailed(Exception):
    """A record's metadata could not be built in the requested format."""


@dataclass
class _Call:
    """One request being answered: the index it reads, its arguments, the metadata spliced into it."""

    index: Index
    args: dict[str, str]
    base_url: str
    fragments: list[bytes] = field(default_factory=list)


class _Fragments:
    """Serialised metadata elements by (record line digest, prefix), the least recently used
    dropped first beyond `limit` bytes; shared by every snapshot, since a line is its record."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: collections.OrderedDict[tuple[bytes, str], bytes] = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[bytes, str], build: Callable[[], etree._Element]) -> bytes:
        with self._lock:
            cached = self._kept.get(key)
            if cached is not None:
                self._kept.move_to_end(key)
                return cached
        data = bytes(etree.tostring(build(), encoding="UTF-8", xml_declaration=False)).strip()
        with self._lock:
            if key not in self._kept:
                self._kept[key] = data
                self._bytes += len(data)
                while self._bytes > self.limit:
                    self._bytes -= len(self._kept.popitem(last=False)[1])
        return data


# The oai-identifier scheme's repositoryIdentifier: a domain name (http://www.openarchives.org/OAI/2.0/
# guidelines-oai-identifier.htm).
REPOSITORY_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*)+")
LOCAL_IDENTIFIER = "colophon.invalid"  # for an archive without a domain name (127.0.0.1, a folder)
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
# The local identifier is 1*uric (RFC 2396): its reserved and unreserved marks stand as they are,
# everything else (a space, a non-ASCII letter, "%" itself) as the %-escapes of its UTF-8 bytes.
URIC_MARKS = ";/?:@&=+$,-_.!~*'()"


def valid_identifier(text: str) -> bool:
    return REPOSITORY_IDENTIFIER.fullmatch(text) is not None


def archive_identifier(folder: Path) -> str:
    """The repository identifier a dataset's own records name: the domain of the archive they cite
    (`www.marxists.org` gives `marxists.org`), or LOCAL_IDENTIFIER when it has none."""
    try:
        snapshot = Snapshot.open(folder)
        for file in ("works.jsonl", "indexes.jsonl"):
            for line in snapshot.lines(file):
                host = (urlsplit(orjson.loads(line).get("url") or "").hostname or "").removeprefix("www.")
                return host if valid_identifier(host) else LOCAL_IDENTIFIER
    except (NoDataset, BrokenDataset, OSError, ValueError, AttributeError):
        pass
    return LOCAL_IDENTIFIER


class Repository:
    """The repository of one dataset folder: the index of its current snapshot, and the verbs.
    ``repository_id``: the domain in every identifier (`oai:ID:archive/...`); None takes the
    archive's own (archive_identifier)."""

    def __init__(self, folder: Path, page_size: int = 100, name: str = "Colophon dataset",
                 admin_email: str = "admin@localhost", repository_id: str | None = None) -> None:
        self.folder = folder
        self.page_size = max(1, page_size)
        self.name = name
        self.admin_email = admin_email
        if repository_id is not None and not valid_identifier(repository_id):
            raise ValueError(f"repository identifier {repository_id!r} is not a domain name (e.g. marxists.org)")
        self.repository_id = repository_id or archive_identifier(folder)
        self.store: IndexStore | None = None  # opened with the first snapshot to index
        self._index: Index | None = None
        self._held: weakref.WeakSet[Index] = weakref.WeakSet()  # every index a request may still read
        self._indexing = threading.Lock()
        self._failed: tuple[str, float] | None = None  # the version that last failed to index, when
        self._fragments = _Fragments(FRAGMENT_CACHE)

    # --- the dataset, indexed ------------------------------------------------------------------
    def index(self) -> Index:
        """The index of the folder's current snapshot. While a new snapshot cannot be read (it is
        being published, or a file of it vanished) the previous index answers, and the next
        request tries again. Raises Unavailable when there is no index at all."""
        current = self._index
        try:
            snapshot = Snapshot.open(self.folder)
        except (NoDataset, BrokenDataset, OSError) as error:
            if current is None:
                raise Unavailable(str(error)) from None
            self._note_failure("", error)
            return current
        if current is not None and current.version == snapshot.version:
            return current
        if current is not None and not self._indexing.acquire(blocking=False):
            return current  # another request is indexing the new snapshot: answer from this one meanwhile
        if current is None:
            self._indexing.acquire()
        try:
            latest = self._index
            if latest is not None and latest.version == snapshot.version:
                return latest
            if self._failed and self._failed[0] == snapshot.version \
                    and time.monotonic() - self._failed[1] < _RETRY_BROKEN and latest is not None:
                return latest
            try:
                fresh = self._build(snapshot)
            except Exception as error:  # a publication in progress, or a damaged file
                self._note_failure(snapshot.version, error)
                if latest is None:
                    raise Unavailable(f"{self.folder}: {error}") from None
                return latest
            self._index, self._failed = fresh, None
            return fresh
        finally:
            self._indexing.release()

    def _build(self, snapshot: Snapshot) -> Index:
        """`snapshot` indexed; an index file SQLite finds damaged is rebuilt once, from scratch."""
        for attempt in range(2):
            if self.store is None:
                self.store = IndexStore.open(self.folder, discard=bool(attempt))
            store = self.store
            try:
                index = index_snapshot(store, snapshot, {held.generation for held in self._held if held.store is store})
            except sqlite3.DatabaseError as error:
                if not damaged(error) or attempt:
                    raise
                logger.warning("%s: the OAI-PMH index is damaged (%s); rebuilding it", store.path, error)
                self.store = None
                continue
            self._held.add(index)
            return index
        raise AssertionError("unreachable: the second attempt returns or raises")

    def _rebuild(self, store: IndexStore) -> None:
        """Start again from an empty index file, SQLite having found `store` damaged (unless
        another request has already done so)."""
        with self._indexing:
            if self.store is store:
                store.close()
                self._index = None
                self.store = IndexStore.open(self.folder, discard=True)

    def close(self) -> None:
        """Close the index file's connections; a later request opens it again."""
        with self._indexing:
            if self.store is not None:
                self.store.close()
            self._index = self.store = None

    def _note_failure(self, version: str, error: BaseException) -> None:
        if self._failed is None or self._failed[0] != version:
            logger.warning("%s: cannot index the published snapshot (%s); answering from the previous one",
                           self.folder, error)
        self._failed = (version, time.monotonic())

    # --- the protocol ------------------------------------------------------------------------------
    def respond(self, query: bytes, base_url: str) -> bytes:
        """The OAI-PMH document answering `query` (the urlencoded arguments). Raises Unavailable
        only when no snapshot of the folder has ever been indexed. A request that finds the index
        file damaged has it rebuilt, and is answered from the new one."""
        try:
            return self._respond(query, base_url)
        except _Damaged as damage:
            logger.warning("%s: the OAI-PMH index is damaged (%s); rebuilding it", damage.store.path,
                           damage.__cause__)
            self._rebuild(damage.store)
            return self._respond(query, base_url)

    def _respond(self, query: bytes, base_url: str) -> bytes:
        index = self.index()
        request: dict[str, str] = {}
        try:
            verb, args = parse_request(query)
            request = {"verb": verb, **args}
            call = _Call(index, args, base_url)
            body = self._VERBS[verb](self, call)
            return document(base_url, request, body, fragments=call.fragments)
        except OaiError as error:
            return document(base_url, request, error=error)
        except Exception as error:
            if isinstance(error, sqlite3.DatabaseError) and damaged(error):
                raise _Damaged(index.store) from error
            logger.exception("unexpected failure answering %r", query[:ECHO])
            return document(base_url, {}, error=OaiError(
                "badArgument", "the repository could not answer this request (the failure is logged); "
                               "try again later"))

    def _header(self, parent: etree._Element, item: Item) -> None:
        header = etree.SubElement(parent, f"{{{OAI}}}header")
        if item.deleted:
            header.set("status", "deleted")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = xml_text(self._identifier(item.id))
        etree.SubElement(header, f"{{{OAI}}}datestamp").text = item.datestamp
        for spec in item.specs:
            etree.SubElement(header, f"{{{OAI}}}setSpec").text = spec

    def _identifier(self, record_id: str) -> str:
        return f"oai:{self.repository_id}:{quote(record_id, safe=URIC_MARKS)}"

    def _item(self, index: Index, identifier: str) -> Item:
        prefix = f"oai:{self.repository_id}:"
        item = index.item(unquote(identifier[len(prefix):])) if identifier.startswith(prefix) else None
        if item is None:
            raise OaiError("idDoesNotExist", f"no record {xml_text(identifier, ECHO)}")
        return item

    def _metadata(self, index: Index, item: Item, prefix: str) -> bytes:
        """A live record's metadata element, serialised. Raises _RecordFailed (logged) when it
        cannot be built."""

        def build() -> etree._Element:
            work = json_object(index.line(item))
            if work is None or work.get("id") != item.id:
                raise ValueError("the works file does not hold this record at its offset")
            return dc_element(work) if prefix == "oai_dc" else marc_record(work)

        assert item.digest is not None
        try:
            return self._fragments.get((item.digest, prefix), build)
        except Exception as error:
            if isinstance(error, sqlite3.DatabaseError) and damaged(error):
                raise  # the index, not the record: rebuilt by respond()
            logger.warning("record %s cannot be disseminated as %s: %r", item.id, prefix, error)
            raise _RecordFailed(item.id) from error

    def _record(self, parent: etree._Element, call: _Call, item: Item, prefix: str) -> None:
        metadata = None if item.deleted else self._metadata(call.index, item, prefix)
        record = etree.SubElement(parent, f"{{{OAI}}}record")
        self._header(record, item)
        if metadata is not None:
            etree.SubElement(record, f"{{{OAI}}}metadata").append(etree.Comment(f"metadata {len(call.fragments)}"))
            call.fragments.append(metadata)

    def _Identify(self, call: _Call) -> etree._Element:
        element = etree.Element(f"{{{OAI}}}Identify")
        for tag, value in (("repositoryName", self.name), ("baseURL", call.base_url),
                           ("protocolVersion", "2.0"), ("adminEmail", self.admin_email),
                           ("earliestDatestamp", call.index.earliest), ("deletedRecord", "persistent"),
                           ("granularity", "YYYY-MM-DDThh:mm:ssZ")):
            etree.SubElement(element, f"{{{OAI}}}{tag}").text = xml_text(value)
        # The identifiers' scheme (oai-identifier.xsd): repository identifier, delimiter, a sample.
        description = etree.SubElement(element, f"{{{OAI}}}description")
        scheme = etree.SubElement(description, f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER})
        scheme.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} {OAI_IDENTIFIER}.xsd")
        for tag, value in (("scheme", "oai"), ("repositoryIdentifier", self.repository_id), ("delimiter", ":"),
                           ("sampleIdentifier", self._identifier("archive/marx/works/1848/communist-manifesto/"
                                                                 "index.htm"))):
            etree.SubElement(scheme, f"{{{OAI_IDENTIFIER}}}{tag}").text = value
        return element

    def _ListMetadataFormats(self, call: _Call) -> etree._Element:
        if "identifier" in call.args:
            self._item(call.index, call.args["identifier"])
        element = etree.Element(f"{{{OAI}}}ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            entry = etree.SubElement(element, f"{{{OAI}}}metadataFormat")
            etree.SubElement(entry, f"{{{OAI}}}metadataPrefix").text = prefix
            etree.SubElement(entry, f"{{{OAI}}}schema").text = schema
            etree.SubElement(entry, f"{{{OAI}}}metadataNamespace").text = namespace
        return element

    def _ListSets(self, call: _Call) -> etree._Element:
        if "resumptionToken" in call.args:
            raise OaiError("badResumptionToken", "ListSets answers in one response and issues no tokens")
        element = etree.Element(f"{{{OAI}}}ListSets")
        for spec, name in sorted(call.index.sets.items()):
            entry = etree.SubElement(element, f"{{{OAI}}}set")
            etree.SubElement(entry, f"{{{OAI}}}setSpec").text = spec
            etree.SubElement(entry, f"{{{OAI}}}setName").text = xml_text(name)
        return element

    def _GetRecord(self, call: _Call) -> etree._Element:
        identifier = call.args["identifier"]
        prefix = self._prefix(call.args["metadataPrefix"])
        item = self._item(call.index, identifier)
        element = etree.Element(f"{{{OAI}}}GetRecord")
        try:
            self._record(element, call, item, prefix)
        except _RecordFailed:
            raise OaiError("cannotDisseminateFormat",
                           f"the record {xml_text(identifier, ECHO)} cannot be disseminated as {prefix}") from None
        return element

    def _ListIdentifiers(self, call: _Call) -> etree._Element:
        return self._list("ListIdentifiers", call)

    def _ListRecords(self, call: _Call) -> etree._Element:
        return self._list("ListRecords", call)

    _VERBS: ClassVar[dict[str, Callable[[Repository, _Call], etree._Element]]] = {
        "Identify": _Identify, "ListMetadataFormats": _ListMetadataFormats, "ListSets": _ListSets,
        "GetRecord": _GetRecord, "ListIdentifiers": _ListIdentifiers, "ListRecords": _ListRecords,
    }

    @staticmethod
    def _prefix(prefix: str) -> str:
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat",
                           f"no metadata format {xml_text(repr(prefix), ECHO)}; use oai_dc or marc21")
        return prefix

    def _resumption(self, call: _Call) -> Resumption | None:
        """The list a request continues (None for a first page), checked against the index."""
        index, args = call.index, call.args
        if "resumptionToken" not in args:
            return None
        resumption = decode_token(args["resumptionToken"])
        spec = resumption.selection.spec
        if spec is not None and spec not in index.sets:
            raise OaiError("badResumptionToken", "the resumption token is not one this repository issued")
        if not index.continues(resumption.version, resumption.selection):
            raise OaiError("badResumptionToken", "the repository changed since this token was issued; start again")
        return resumption

    def _list(self, verb: str, call: _Call) -> etree._Element:
        index, args = call.index, call.args
        resumption = self._resumption(call)
        if resumption is None:
            start, end = date_range(args.get("from"), args.get("until"))
            prefix, selection = self._prefix(args["metadataPrefix"]), Selection(start, end, args.get("set"))
            if selection.spec is not None and selection.spec not in index.sets:
                raise OaiError("noRecordsMatch", f"no set {selection.spec}")
        else:
            prefix, selection = resumption.prefix, resumption.selection
        page = index.page(selection, resumption.after if resumption else None, self.page_size + 1)
        if not page and resumption is not None:
            raise OaiError("badResumptionToken", "the resumption token points past the end of the list")
        if not page:
            raise OaiError("noRecordsMatch", "no records match the arguments")
        following, page = page[self.page_size:], page[:self.page_size]
        element = etree.Element(f"{{{OAI}}}{verb}")
        written = 0
        for item in page:
            if verb == "ListIdentifiers":
                self._header(element, item)
                written += 1
            else:
                with contextlib.suppress(_RecordFailed):  # logged; the list goes on without it
                    self._record(element, call, item, prefix)
                    written += 1
        if not written:
            raise OaiError("cannotDisseminateFormat",
                           f"none of the records of this page can be disseminated as {prefix}")
        cursor = resumption.cursor if resumption else 0
        if following or cursor:
            size = resumption.size if resumption else index.size(selection)
            token = etree.SubElement(element, f"{{{OAI}}}resumptionToken", completeListSize=str(size),
                                     cursor=str(cursor))
            if following:
                last = page[-1]
                token.text = encode_token(Resumption(prefix, selection, index.version, (last.datestamp, last.id),
                                                     cursor + len(page), size))
        return element

    # --- WSGI ----------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self._answer(environ)
        except Exception:  # the last guard: no request may end as a server error
            logger.exception("unexpected failure in the OAI-PMH request handler")
            status, headers, body = _failure_answer()
        start_response(status, headers)
        return [body]

    def _answer(self, environ: dict[str, Any]) -> Answer:
        if environ.get("PATH_INFO", "") not in ("/oai", "/oai/"):
            return "404 Not Found", [("Content-Type", "text/plain; charset=utf-8")], b"The OAI-PMH base URL is /oai\n"
        base_url = request_base_url(environ.get("HTTP_HOST", ""), str(environ.get("SERVER_NAME", "localhost")),
                             str(environ.get("SERVER_PORT", "")), str(environ.get("wsgi.url_scheme", "http")))
        method = environ.get("REQUEST_METHOD", "")
        if method == "POST":
            declared = str(environ.get("CONTENT_LENGTH") or "0")
            if not _LENGTH.fullmatch(declared):
                return http_error_answer(400, "Bad Request", "Content-Length is not a length", base_url)
            length = int(declared)
            if length > MAX_BODY:
                return http_error_answer(413, "Request Entity Too Large", f"more than {MAX_BODY} bytes", base_url)
            query = environ["wsgi.input"].read(length)
            if len(query) != length:
                return http_error_answer(400, "Bad Request", "the body is shorter than its Content-Length", base_url)
        elif method in ("GET", "HEAD"):
            query = _wsgi_bytes(str(environ.get("QUERY_STRING", "")))
        else:
            status, headers, body = http_error_answer(405, "Method Not Allowed", "OAI-PMH requests are GET or POST",
                                                base_url)
            return status, [*headers, ("Allow", "GET, POST")], body
        try:
            body = self.respond(query, base_url)
        except Unavailable as error:
            logger.warning("answering 503: %s", error)
            return "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Retry-After", str(RETRY_AFTER))], \
                b"The dataset cannot be read at the moment; try again later.\n"
        return "200 OK", [("Content-Type", XML), ("Content-Length", str(len(body)))], body


def _wsgi_bytes(text: str) -> bytes:
    """A WSGI native string back as the bytes it came from (PEP 3333: latin-1)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def request_base_url(host: str, server_name: str, server_port: str, scheme: str) -> str:
    if not _HOST.fullmatch(host):
        host = f"{server_name}:{server_port}" if server_port else server_name
        if not _HOST.fullmatch(host):
            host = "localhost"
    return f"{scheme if scheme in ('http', 'https') else 'http'}://{host}/oai"


def http_error_answer(code: int, reason: str, detail: str, base_url: str) -> Answer:
    """A request the HTTP layer rejects, answered with its HTTP status and an OAI-PMH document."""
    body = document(base_url, {}, error=OaiError("badArgument", f"{reason}: {xml_text(detail, ECHO)}"))
    return f"{code} {reason}", [("Content-Type", XML), ("Content-Length", str(len(body)))], body


def _failure_answer() -> Answer:
    try:
        body = document("", {}, error=OaiError("badArgument", "the repository could not answer this request "
                                                              "(the failure is logged); try again later"))
    except Exception:
        return "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8"),
                                           ("Retry-After", str(RETRY_AFTER))], b"Try again later.\n"
    return "200 OK", [("Content-Type", XML), ("Content-Length", str(len(body)))], body
