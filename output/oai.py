"""An OAI-PMH 2.0 repository over a dataset folder (`colophon serve`): the six verbs, oai_dc and marc21,
sets per author and per periodical, from/until selective harvesting, resumption tokens, and
persistent deleted records from the tombstones.

The folder is read through `output.snapshot` only: the index is rebuilt when the published snapshot
changes, and every record is read from the works shards of the snapshot the index was built from.
Every request, however malformed, is answered with a well-formed OAI-PMH document: arguments are
checked against the protocol's error codes, and anything the repository cannot answer is answered
as an error, never as a server failure. The server is waitress: a fixed pool of worker threads,
idle connections closed after a timeout, a bounded number of open connections."""

from __future__ import annotations

import base64
import binascii
import bisect
import collections
import contextlib
import datetime as dt
import logging
import os
import re
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar
from urllib.parse import unquote_to_bytes

import orjson
from lxml import etree
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from output.exports import dc_element, marc_record
from output.snapshot import CHANGES_DIR, BrokenDataset, NoDataset, Snapshot

logger = logging.getLogger(__name__)

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    "marc21": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", "http://www.loc.gov/MARC21/slim"),
}
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
GRANULARITY = "%Y-%m-%dT%H:%M:%SZ"
EPOCH = "1970-01-01T00:00:00Z"

# The server. A fixed pool answers requests; waiting requests queue in waitress, not in threads,
# and a connection that sends nothing holds a socket (closed after CHANNEL_TIMEOUT), never a thread.
THREADS = 8
CHANNEL_TIMEOUT = 30          # seconds an idle or half-sent connection is kept open
CONNECTION_LIMIT = 256        # open connections at most; more wait in the listen backlog
REQUEST_DEADLINE = 10.0       # seconds a request may take to arrive whole, however it trickles in
MAX_BODY = 64 * 1024          # a POSTed request: the arguments of one verb, nothing near this size
RETRY_AFTER = 10              # seconds, when the dataset cannot be read at all

# The syntax of arguments, from the protocol's schema (OAI-PMH.xsd) and its date granularities.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,4096}")
_TOKEN_KEYS = frozenset("pfusov")
_HOST = re.compile(r"([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?")
_LENGTH = re.compile(r"[0-9]{1,12}")
MAX_FIELDS = 32               # arguments in one request; the widest verb takes five
# What XML 1.0 cannot carry at all, and what no argument may hold (every C0 and C1 control too).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_ARGUMENT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
ECHO = 200                    # characters of an argument echoed in an error message
_RETRY_BROKEN = 1.0           # seconds before indexing again a snapshot that failed to index
_MATCH_CACHE = 16             # selections (from, until, set) kept per index for follow-on pages
# Serialised metadata kept per index: building a record's MARCXML costs thirty times what copying
# its bytes does, and harvesters ask for the same records again and again.
FRAGMENT_CACHE = 32 * 1024 * 1024
_MARK = re.compile(rb"<!--metadata ([0-9]+)-->")


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unavailable(Exception):
    """No snapshot of the folder could be indexed: there is nothing to answer from."""


def xml_text(text: str, limit: int | None = None) -> str:
    """Text as XML 1.0 can carry it: each character it forbids becomes U+FFFD; cut to `limit`."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _NOT_XML.sub("\ufffd", text)


def set_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"


def _format(moment: dt.datetime) -> str:
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")


def _stamp(iso: object) -> str | None:
    """A dataset timestamp as an OAI-PMH datestamp (UTC, seconds); None when it is not one."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the dataset writes UTC
    return _format(moment.astimezone(dt.UTC))


def _object(line: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- the index of one snapshot ---------------------------------------------------------------------


@dataclass(order=True, slots=True)
class Item:
    datestamp: str
    id: str
    offset: int | None = field(default=None, compare=False)  # None: deleted
    length: int = field(default=0, compare=False)
    part: int = field(default=0, compare=False)  # the works shard that holds it
    specs: tuple[str, ...] = field(default=(), compare=False)  # its sets and their parents


@dataclass(eq=False)
class Index:
    """One snapshot, indexed. `works` stays open on the shards the offsets refer to, so a record is
    read from the snapshot this index describes even after a publication replaced or removed it."""

    snapshot: Snapshot
    works: list[BinaryIO]
    items: list[Item]
    by_id: dict[str, Item]
    sets: dict[str, str]
    earliest: str
    stamps: list[str] = field(init=False)
    _matches: collections.OrderedDict[tuple[str | None, str | None, str | None], list[Item]] = field(
        init=False, default_factory=collections.OrderedDict)
    _fragments: collections.OrderedDict[tuple[str, str], bytes] = field(
        init=False, default_factory=collections.OrderedDict)
    _fragment_bytes: int = field(init=False, default=0)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.stamps = [item.datestamp for item in self.items]
        weakref.finalize(self, _close_all, self.works)  # once no request holds this index any more

    @property
    def version(self) -> str:
        return self.snapshot.version

    def line(self, item: Item) -> bytes:
        if item.offset is None:
            raise ValueError(f"{item.id} is a deleted record: it has no line")
        return os.pread(self.works[item.part].fileno(), item.length, item.offset)

    def fragment(self, item: Item, prefix: str, build: Callable[[], etree._Element]) -> bytes:
        """A record's metadata element serialised, from the cache or built by `build`."""
        key = (item.id, prefix)
        with self._lock:
            cached = self._fragments.get(key)
            if cached is not None:
                self._fragments.move_to_end(key)
                return cached
        data = bytes(etree.tostring(build(), encoding="UTF-8", xml_declaration=False)).strip()
        with self._lock:
            if key not in self._fragments:
                self._fragments[key] = data
                self._fragment_bytes += len(data)
                while self._fragment_bytes > FRAGMENT_CACHE:
                    self._fragment_bytes -= len(self._fragments.popitem(last=False)[1])
        return data

    def matching(self, start: str | None, end: str | None, spec: str | None) -> list[Item]:
        """The items in [start, end] and in set `spec`, in datestamp order (cached: a harvest asks
        the same selection again for every page)."""
        key = (start, end, spec)
        with self._lock:
            found = self._matches.get(key)
            if found is not None:
                self._matches.move_to_end(key)
                return found
        low = bisect.bisect_left(self.stamps, start) if start else 0
        high = bisect.bisect_right(self.stamps, end) if end else len(self.stamps)
        found = [item for item in self.items[low:high] if spec is None or spec in item.specs]
        with self._lock:
            self._matches[key] = found
            while len(self._matches) > _MATCH_CACHE:
                self._matches.popitem(last=False)
        return found


def _close_all(handles: list[BinaryIO]) -> None:
    for handle in handles:
        handle.close()


def _index_part(works: BinaryIO, part: int, changed: dict[str, str], fallback: str, items: list[Item],
                sets: dict[str, str], live: set[str]) -> int:
    """Index the records of one works shard; returns how many lines could not be read."""
    skipped = 0
    offset = 0
    for line in works:
        record = _object(line)
        if record is None or not isinstance(record.get("id"), str) or not record["id"]:
            skipped += 1
            offset += len(line)
            continue
        specs: list[str] = []
        author = _mapping(record.get("author"))
        slug = author.get("slug")
        if isinstance(slug, str) and slug:
            spec = f"author:{set_slug(slug)}"
            name = author.get("name")
            sets.setdefault(spec, xml_text(name if isinstance(name, str) and name else slug))
            specs += [spec, "author"]
        citation = _mapping(record.get("citation"))
        periodical = citation.get("container_title")
        if isinstance(periodical, str) and periodical:
            spec = f"periodical:{set_slug(periodical)}"
            sets.setdefault(spec, xml_text(periodical))
            specs += [spec, "periodical"]
        items.append(Item(changed.get(record["id"], fallback), record["id"], offset, len(line), part, tuple(specs)))
        live.add(record["id"])
        offset += len(line)
    return skipped


def build_index(snapshot: Snapshot) -> Index:
    """Index one snapshot. Raises OSError when one of its files cannot be read (it vanished)."""
    changed: dict[str, str] = {}
    skipped = 0
    for run_id in snapshot.change_sets():
        if not run_id:
            continue
        try:
            handle = open(snapshot.path(f"{CHANGES_DIR}/{run_id}.jsonl"), "rb")  # noqa: SIM115
        except FileNotFoundError:
            continue  # a run without a change set (as `published_runs` counts them)
        with handle:
            for line in handle:
                change = _object(line)
                stamp = _stamp(change.get("at")) if change else None
                if change and isinstance(change.get("id"), str) and stamp:
                    changed[change["id"]] = stamp
                else:
                    skipped += 1
    fallback = _stamp(snapshot.datapackage.get("updated")) or EPOCH
    items: list[Item] = []
    sets: dict[str, str] = {"author": "Authors", "periodical": "Periodicals"}
    live: set[str] = set()
    works: list[BinaryIO] = []  # held by the Index, closed by it
    try:
        for part, path in enumerate(snapshot.part_paths("works.jsonl")):
            works.append(open(path, "rb"))  # noqa: SIM115
            skipped += _index_part(works[part], part, changed, fallback, items, sets, live)
        for line in snapshot.lines("tombstones.jsonl"):
            tombstone = _object(line)
            if tombstone is None:
                skipped += 1
                continue
            record_id = tombstone.get("id")  # None for a removed page that never had an id
            if isinstance(record_id, str) and record_id and record_id not in live:
                items.append(Item(_stamp(tombstone.get("removed_at")) or fallback, record_id))
    except BaseException:
        _close_all(works)
        raise
    if skipped:
        logger.warning("%s: %d unreadable lines left out of the OAI-PMH index", snapshot.root, skipped)
    items.sort()
    return Index(snapshot, works, items, {item.id: item for item in items}, sets,
                 items[0].datestamp if items else fallback)


# --- a request -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Query:
    """A list request: its own arguments, or those a resumption token carries."""

    prefix: str
    start: str | None
    end: str | None
    spec: str | None
    offset: int


def _fields(query: bytes) -> list[tuple[str, str]]:
    """The name=value pairs of an application/x-www-form-urlencoded query, decoded as UTF-8."""
    pairs: list[tuple[str, str]] = []
    for piece in query.split(b"&"):
        if not piece:
            continue
        if len(pairs) == MAX_FIELDS:
            raise OaiError("badArgument", f"more than {MAX_FIELDS} arguments")
        name, _, value = piece.partition(b"=")
        try:
            pairs.append((unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8"),
                          unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")))
        except UnicodeDecodeError:
            raise OaiError("badArgument", "arguments must be percent-encoded UTF-8") from None
    return pairs


def parse_request(query: bytes) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, checked against what the verb takes. Raises OaiError."""
    pairs = _fields(query)
    verbs = [value for name, value in pairs if name == "verb"]
    if not verbs:
        raise OaiError("badVerb", "the verb argument is missing")
    if len(verbs) > 1:
        raise OaiError("badVerb", "the verb argument is repeated")
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", f"{xml_text(repr(verb), ECHO)} is not an OAI-PMH verb")
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for name, value in pairs:
        if name == "verb":
            continue
        if name not in required | optional:
            raise OaiError("badArgument", f"{verb} does not take the argument {xml_text(repr(name), ECHO)}")
        if name in args:
            raise OaiError("badArgument", f"the argument {name} is repeated")
        if _NOT_ARGUMENT.search(value):
            raise OaiError("badArgument", f"the argument {name} holds control characters")
        if not value:
            raise OaiError("badArgument", f"the argument {name} is empty")
        args[name] = value
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        return verb, args
    missing = required - set(args)
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(sorted(missing))}")
    if "metadataPrefix" in args and not _PREFIX.fullmatch(args["metadataPrefix"]):
        raise OaiError("badArgument", f"{xml_text(repr(args['metadataPrefix']), ECHO)} is not a metadataPrefix")
    if "set" in args and not _SET_SPEC.fullmatch(args["set"]):
        raise OaiError("badArgument", f"{xml_text(repr(args['set']), ECHO)} is not a setSpec")
    return verb, args


def _datestamp(name: str, value: str, upper: bool) -> str:
    """A from/until argument as a datestamp in seconds (a day's first or last second)."""
    try:
        if _DAY.fullmatch(value):
            dt.date.fromisoformat(value)
            return value + ("T23:59:59Z" if upper else "T00:00:00Z")
        if _SECOND.fullmatch(value):
            dt.datetime.strptime(value, GRANULARITY)
            return value
    except ValueError:
        raise OaiError("badArgument", f"{name}={xml_text(value, ECHO)} is not a date that exists") from None
    raise OaiError("badArgument", f"{name}={xml_text(repr(value), ECHO)} is not a datestamp "
                                  "(YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")


def _range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    if start and end and (_DAY.fullmatch(start) is None) != (_DAY.fullmatch(end) is None):
        raise OaiError("badArgument", "from and until must have the same granularity")
    low = _datestamp("from", start, False) if start else None
    high = _datestamp("until", end, True) if end else None
    if low and high and low > high:
        raise OaiError("badArgument", "from is later than until")
    return low, high


def _valid_second(value: object) -> bool:
    if not isinstance(value, str) or not _SECOND.fullmatch(value):
        return False
    try:
        dt.datetime.strptime(value, GRANULARITY)
    except ValueError:
        return False
    return True


def encode_token(query: _Query, version: str) -> str:
    data = {"p": query.prefix, "f": query.start, "u": query.end, "s": query.spec, "o": query.offset, "v": version}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode_token(token: str, index: Index) -> _Query:
    """The query a resumption token carries, each field checked; its offset is checked against
    the selection by the caller. Raises OaiError badResumptionToken."""
    forged = OaiError("badResumptionToken", "the resumption token is not one this repository issued")
    if not _TOKEN.fullmatch(token):
        raise forged
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):  # orjson.JSONDecodeError is a ValueError
        raise forged from None
    if not isinstance(data, dict) or set(data) != _TOKEN_KEYS:
        raise forged
    version, prefix, start, end, spec, offset = (data[key] for key in "vpfuso")
    if not isinstance(version, str):
        raise forged
    if version != index.version:
        raise OaiError("badResumptionToken", "the repository changed since this token was issued; start again")
    if not isinstance(prefix, str) or prefix not in FORMATS:
        raise forged
    if any(stamp is not None and not _valid_second(stamp) for stamp in (start, end)):
        raise forged
    if start is not None and end is not None and start > end:
        raise forged
    if spec is not None and (not isinstance(spec, str) or spec not in index.sets):
        raise forged
    if type(offset) is not int or offset <= 0:  # bool is an int; a token never starts a list
        raise forged
    return _Query(prefix, start, end, spec, offset)


def document(base_url: str, request: dict[str, str], body: etree._Element | None = None,
             error: OaiError | None = None, fragments: list[bytes] | None = None) -> bytes:
    """One OAI-PMH response: `body` (a verb's element) or `error`. Each `<!--metadata N-->` in the
    body is replaced by fragments[N], a serialised metadata element (no text or attribute can
    hold that comment: their `<` is always escaped)."""
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = _format(dt.datetime.now(dt.UTC))
    element = etree.SubElement(root, f"{{{OAI}}}request")
    element.text = xml_text(base_url)
    # After badVerb or badArgument the request element holds the base URL only (protocol 3.2).
    if error is None or error.code not in ("badVerb", "badArgument"):
        for key, value in request.items():
            element.set(key, xml_text(value))
    if error is not None:
        etree.SubElement(root, f"{{{OAI}}}error", code=error.code).text = xml_text(error.message)
    elif body is not None:
        root.append(body)
    data = bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    if not fragments or error is not None:
        return data
    parts = _MARK.split(data)
    parts[1::2] = [fragments[int(n)] for n in parts[1::2]]
    return b"".join(parts)


# --- the repository --------------------------------------------------------------------------------


class _RecordFailed(Exception):
    """A record's metadata could not be built in the requested format."""


@dataclass
class _Call:
    """One request being answered: the index it reads, its arguments, the metadata spliced into it."""

    index: Index
    args: dict[str, str]
    base_url: str
    fragments: list[bytes] = field(default_factory=list)


Answer = tuple[str, list[tuple[str, str]], bytes]
XML = "text/xml; charset=utf-8"


class Repository:
    def __init__(self, folder: Path, page_size: int = 100, name: str = "Colophon dataset",
                 admin_email: str = "admin@localhost", repository_id: str = "colophon") -> None:
        self.folder = folder
        self.page_size = max(1, page_size)
        self.name = name
        self.admin_email = admin_email
        self.repository_id = repository_id
        self._index: Index | None = None
        self._indexing = threading.Lock()
        self._failed: tuple[str, float] | None = None  # the version that last failed to index, when

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
                fresh = build_index(snapshot)
            except Exception as error:  # a publication in progress, or a damaged file
                self._note_failure(snapshot.version, error)
                if latest is None:
                    raise Unavailable(f"{self.folder}: {error}") from None
                return latest
            self._index, self._failed = fresh, None
            return fresh
        finally:
            self._indexing.release()

    def _note_failure(self, version: str, error: BaseException) -> None:
        if self._failed is None or self._failed[0] != version:
            logger.warning("%s: cannot index the published snapshot (%s); answering from the previous one",
                           self.folder, error)
        self._failed = (version, time.monotonic())

    # --- the protocol ------------------------------------------------------------------------------
    def respond(self, query: bytes, base_url: str) -> bytes:
        """The OAI-PMH document answering `query` (the urlencoded arguments). Raises Unavailable
        only when no snapshot of the folder has ever been indexed."""
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
        except Exception:
            logger.exception("unexpected failure answering %r", query[:ECHO])
            return document(base_url, {}, error=OaiError(
                "badArgument", "the repository could not answer this request (the failure is logged); "
                               "try again later"))

    def _header(self, parent: etree._Element, item: Item) -> None:
        header = etree.SubElement(parent, f"{{{OAI}}}header")
        if item.offset is None:
            header.set("status", "deleted")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = xml_text(self._identifier(item.id))
        etree.SubElement(header, f"{{{OAI}}}datestamp").text = item.datestamp
        for spec in item.specs:
            etree.SubElement(header, f"{{{OAI}}}setSpec").text = spec

    def _identifier(self, record_id: str) -> str:
        return f"oai:{self.repository_id}:{record_id}"

    def _item(self, index: Index, identifier: str) -> Item:
        prefix = f"oai:{self.repository_id}:"
        item = index.by_id.get(identifier[len(prefix):]) if identifier.startswith(prefix) else None
        if item is None:
            raise OaiError("idDoesNotExist", f"no record {xml_text(identifier, ECHO)}")
        return item

    @staticmethod
    def _metadata(index: Index, item: Item, prefix: str) -> bytes:
        """A live record's metadata element, serialised. Raises _RecordFailed (logged) when it
        cannot be built."""

        def build() -> etree._Element:
            work = _object(index.line(item))
            if work is None or work.get("id") != item.id:
                raise ValueError("the works file does not hold this record at its offset")
            return dc_element(work) if prefix == "oai_dc" else marc_record(work)

        try:
            return index.fragment(item, prefix, build)
        except Exception as error:
            logger.warning("record %s cannot be disseminated as %s: %r", item.id, prefix, error)
            raise _RecordFailed(item.id) from error

    def _record(self, parent: etree._Element, call: _Call, item: Item, prefix: str) -> None:
        metadata = self._metadata(call.index, item, prefix) if item.offset is not None else None
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
            etree.SubElement(entry, f"{{{OAI}}}setName").text = name
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

    def _list(self, verb: str, call: _Call) -> etree._Element:
        index, args = call.index, call.args
        if "resumptionToken" in args:
            query = decode_token(args["resumptionToken"], index)
        else:
            start, end = _range(args.get("from"), args.get("until"))
            query = _Query(self._prefix(args["metadataPrefix"]), start, end, args.get("set"), 0)
            if query.spec is not None and query.spec not in index.sets:
                raise OaiError("noRecordsMatch", f"no set {query.spec}")
        matches = index.matching(query.start, query.end, query.spec)
        if not matches:
            raise OaiError("noRecordsMatch", "no records match the arguments")
        if query.offset >= len(matches):
            raise OaiError("badResumptionToken", "the resumption token points past the end of the list")
        page = matches[query.offset: query.offset + self.page_size]
        element = etree.Element(f"{{{OAI}}}{verb}")
        written = 0
        for item in page:
            if verb == "ListIdentifiers":
                self._header(element, item)
                written += 1
            else:
                with contextlib.suppress(_RecordFailed):  # logged; the list goes on without it
                    self._record(element, call, item, query.prefix)
                    written += 1
        if not written:
            raise OaiError("cannotDisseminateFormat",
                           f"none of the records of this page can be disseminated as {query.prefix}")
        following = query.offset + self.page_size
        if following < len(matches) or query.offset:
            token = etree.SubElement(element, f"{{{OAI}}}resumptionToken",
                                     completeListSize=str(len(matches)), cursor=str(query.offset))
            if following < len(matches):
                token.text = encode_token(_Query(query.prefix, query.start, query.end, query.spec, following),
                                          index.version)
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
        base_url = _base_url(environ.get("HTTP_HOST", ""), str(environ.get("SERVER_NAME", "localhost")),
                             str(environ.get("SERVER_PORT", "")), str(environ.get("wsgi.url_scheme", "http")))
        method = environ.get("REQUEST_METHOD", "")
        if method == "POST":
            declared = str(environ.get("CONTENT_LENGTH") or "0")
            if not _LENGTH.fullmatch(declared):
                return _http_error(400, "Bad Request", "Content-Length is not a length", base_url)
            length = int(declared)
            if length > MAX_BODY:
                return _http_error(413, "Request Entity Too Large", f"more than {MAX_BODY} bytes", base_url)
            query = environ["wsgi.input"].read(length)
            if len(query) != length:
                return _http_error(400, "Bad Request", "the body is shorter than its Content-Length", base_url)
        elif method in ("GET", "HEAD"):
            query = _wsgi_bytes(str(environ.get("QUERY_STRING", "")))
        else:
            status, headers, body = _http_error(405, "Method Not Allowed", "OAI-PMH requests are GET or POST",
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


def _base_url(host: str, server_name: str, server_port: str, scheme: str) -> str:
    if not _HOST.fullmatch(host):
        host = f"{server_name}:{server_port}" if server_port else server_name
        if not _HOST.fullmatch(host):
            host = "localhost"
    return f"{scheme if scheme in ('http', 'https') else 'http'}://{host}/oai"


def _http_error(code: int, reason: str, detail: str, base_url: str) -> Answer:
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


# --- the server ------------------------------------------------------------------------------------


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
        base_url = _base_url(str(self.request.headers.get("HOST", "")), str(server.effective_host),
                             str(server.effective_port), "http")
        status, headers, body = _http_error(code, reason, str(error.body), base_url)
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
    print(f"OAI-PMH repository for {folder} at http://{host}:{server.port}/oai", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
