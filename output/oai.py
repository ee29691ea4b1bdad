"""An OAI-PMH 2.0 repository over a dataset folder (`colophon serve`): the six verbs, oai_dc and marc21,
sets per author and per periodical, from/until selective harvesting, resumption tokens, and
persistent deleted records from the tombstones. The folder is re-read when a run publishes."""

from __future__ import annotations

import base64
import bisect
import contextlib
import datetime as dt
import re
import socketserver
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import orjson
from lxml import etree

from output.changes import published_runs
from output.dataset import read_datapackage
from output.exports import dc_element, marc_record
from output.publish import CHANGES_DIR

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
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def set_slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"


def _stamp(iso: str | None) -> str:
    if not iso:
        return "1970-01-01T00:00:00Z"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(order=True)
class Item:
    datestamp: str
    id: str
    offset: int | None = field(default=None, compare=False)  # None: deleted
    sets: tuple[str, ...] = field(default=(), compare=False)


@dataclass
class Snapshot:
    version: str
    items: list[Item]
    by_id: dict[str, Item]
    sets: dict[str, str]
    earliest: str


class Repository:
    def __init__(self, folder: Path, page_size: int = 100, name: str = "Colophon dataset",
                 admin_email: str = "admin@localhost", repository_id: str = "colophon") -> None:
        self.folder = folder
        self.page_size = page_size
        self.name = name
        self.admin_email = admin_email
        self.repository_id = repository_id
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._seen_mtime = -1.0

    # --- the dataset, indexed ------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        package = self.folder / "datapackage.json"
        mtime = package.stat().st_mtime if package.exists() else 0.0
        with self._lock:
            if self._snapshot is None or mtime != self._seen_mtime:
                self._snapshot = self._index()
                self._seen_mtime = mtime
            return self._snapshot

    def _index(self) -> Snapshot:
        package = read_datapackage(self.folder) or {}
        changed: dict[str, str] = {}
        for run in published_runs(self.folder):
            with open(self.folder / CHANGES_DIR / f"{run}.jsonl", "rb") as handle:
                for line in handle:
                    change = orjson.loads(line)
                    changed[change["id"]] = _stamp(change["at"])
        fallback = _stamp(package.get("updated"))
        items: list[Item] = []
        sets: dict[str, str] = {"author": "Authors", "periodical": "Periodicals"}
        live: set[str] = set()
        offset = 0
        with open(self.folder / "works.jsonl", "rb") as handle:
            for line in handle:
                record = orjson.loads(line)
                record_sets = []
                slug = (record.get("author") or {}).get("slug")
                if slug:
                    spec = f"author:{set_slug(slug)}"
                    sets.setdefault(spec, (record.get("author") or {}).get("name") or slug)
                    record_sets.append(spec)
                periodical = (record.get("citation") or {}).get("container_title")
                if periodical:
                    spec = f"periodical:{set_slug(periodical)}"
                    sets.setdefault(spec, periodical)
                    record_sets.append(spec)
                items.append(Item(changed.get(record["id"], fallback), record["id"], offset, tuple(record_sets)))
                live.add(record["id"])
                offset += len(line)
        tombstones = self.folder / "tombstones.jsonl"
        if tombstones.is_file():
            with open(tombstones, "rb") as handle:
                for line in handle:
                    tombstone = orjson.loads(line)
                    if tombstone["id"] and tombstone["id"] not in live:
                        items.append(Item(_stamp(tombstone["removed_at"]), tombstone["id"], None))
        items.sort()
        version = f"{package.get('updated', '')}|{len(items)}"
        return Snapshot(version, items, {i.id: i for i in items}, sets,
                        items[0].datestamp if items else fallback)

    def record(self, item: Item) -> dict[str, Any]:
        with open(self.folder / "works.jsonl", "rb") as handle:
            handle.seek(item.offset or 0)
            data: dict[str, Any] = orjson.loads(handle.readline())
        return data

    # --- the protocol ------------------------------------------------------------------------------
    def respond(self, params: dict[str, list[str]], base_url: str) -> bytes:
        root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
        root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
        etree.SubElement(root, f"{{{OAI}}}responseDate").text = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        request = etree.SubElement(root, f"{{{OAI}}}request")
        request.text = base_url
        try:
            verb, args = self._arguments(params)
            for key, value in [("verb", verb), *sorted(args.items())]:
                request.set(key, value)
            body = getattr(self, f"_{verb}")(args, base_url)
            root.append(body)
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()
            etree.SubElement(root, f"{{{OAI}}}error", code=error.code).text = error.message
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))

    def _arguments(self, params: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
        verbs = params.get("verb", [])
        if len(verbs) != 1 or verbs[0] not in VERBS:
            raise OaiError("badVerb", "missing, repeated or unknown verb")
        verb = verbs[0]
        required, optional = VERBS[verb]
        args: dict[str, str] = {}
        for key, values in params.items():
            if key == "verb":
                continue
            if key not in required | optional:
                raise OaiError("badArgument", f"{verb} does not take {key}")
            if len(values) != 1:
                raise OaiError("badArgument", f"{key} is repeated")
            args[key] = values[0]
        if "resumptionToken" in args:
            if len(args) > 1:
                raise OaiError("badArgument", "resumptionToken is exclusive")
            return verb, args
        missing = required - set(args)
        if missing:
            raise OaiError("badArgument", f"{verb} needs {', '.join(sorted(missing))}")
        return verb, args

    def _header(self, parent: etree._Element, item: Item) -> None:
        header = etree.SubElement(parent, f"{{{OAI}}}header")
        if item.offset is None:
            header.set("status", "deleted")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = self._identifier(item.id)
        etree.SubElement(header, f"{{{OAI}}}datestamp").text = item.datestamp
        specs = dict.fromkeys(s for spec in item.sets for s in (spec, spec.split(":", 1)[0]))
        for spec in specs:
            etree.SubElement(header, f"{{{OAI}}}setSpec").text = spec

    def _identifier(self, record_id: str) -> str:
        return f"oai:{self.repository_id}:{record_id}"

    def _item(self, identifier: str) -> Item:
        prefix = f"oai:{self.repository_id}:"
        item = self.snapshot().by_id.get(identifier[len(prefix):]) if identifier.startswith(prefix) else None
        if item is None:
            raise OaiError("idDoesNotExist", f"no record {identifier}")
        return item

    def _record(self, parent: etree._Element, item: Item, prefix: str) -> None:
        record = etree.SubElement(parent, f"{{{OAI}}}record")
        self._header(record, item)
        if item.offset is not None:
            metadata = etree.SubElement(record, f"{{{OAI}}}metadata")
            work = self.record(item)
            metadata.append(dc_element(work) if prefix == "oai_dc" else marc_record(work))

    def _Identify(self, args: dict[str, str], base_url: str = "") -> etree._Element:
        element = etree.Element(f"{{{OAI}}}Identify")
        for tag, value in (("repositoryName", self.name), ("baseURL", base_url),
                           ("protocolVersion", "2.0"), ("adminEmail", self.admin_email),
                           ("earliestDatestamp", self.snapshot().earliest), ("deletedRecord", "persistent"),
                           ("granularity", "YYYY-MM-DDThh:mm:ssZ")):
            etree.SubElement(element, f"{{{OAI}}}{tag}").text = value
        return element

    def _ListMetadataFormats(self, args: dict[str, str], base_url: str = "") -> etree._Element:
        if "identifier" in args:
            self._item(args["identifier"])
        element = etree.Element(f"{{{OAI}}}ListMetadataFormats")
        for prefix, (schema, namespace) in FORMATS.items():
            entry = etree.SubElement(element, f"{{{OAI}}}metadataFormat")
            etree.SubElement(entry, f"{{{OAI}}}metadataPrefix").text = prefix
            etree.SubElement(entry, f"{{{OAI}}}schema").text = schema
            etree.SubElement(entry, f"{{{OAI}}}metadataNamespace").text = namespace
        return element

    def _ListSets(self, args: dict[str, str], base_url: str = "") -> etree._Element:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets answers in one response")
        element = etree.Element(f"{{{OAI}}}ListSets")
        for spec, name in sorted(self.snapshot().sets.items()):
            entry = etree.SubElement(element, f"{{{OAI}}}set")
            etree.SubElement(entry, f"{{{OAI}}}setSpec").text = spec
            etree.SubElement(entry, f"{{{OAI}}}setName").text = name
        return element

    def _GetRecord(self, args: dict[str, str], base_url: str = "") -> etree._Element:
        self._prefix(args["metadataPrefix"])
        item = self._item(args["identifier"])
        element = etree.Element(f"{{{OAI}}}GetRecord")
        self._record(element, item, args["metadataPrefix"])
        return element

    def _ListIdentifiers(self, args: dict[str, str], base_url: str = "") -> etree._Element:
        return self._list("ListIdentifiers", args)

    def _ListRecords(self, args: dict[str, str], base_url: str = "") -> etree._Element:
        return self._list("ListRecords", args)

    @staticmethod
    def _prefix(prefix: str) -> None:
        if prefix not in FORMATS:
            raise OaiError("cannotDisseminateFormat", f"no metadata format {prefix!r}; use oai_dc or marc21")

    def _list(self, verb: str, args: dict[str, str]) -> etree._Element:
        snapshot = self.snapshot()
        if "resumptionToken" in args:
            query = self._decode(args["resumptionToken"], snapshot)
        else:
            query = {"p": args["metadataPrefix"], "f": args.get("from"), "u": args.get("until"),
                     "s": args.get("set"), "o": 0}
            self._prefix(query["p"])
            query["f"], query["u"] = self._range(query["f"], query["u"])
            if query["s"] and query["s"] not in snapshot.sets:
                raise OaiError("noRecordsMatch", f"no set {query['s']!r}")
        start = bisect.bisect_left([i.datestamp for i in snapshot.items], query["f"]) if query["f"] else 0
        matches = [i for i in snapshot.items[start:]
                   if (not query["u"] or i.datestamp <= query["u"])
                   and (not query["s"] or query["s"] in i.sets or any(s.split(":")[0] == query["s"] for s in i.sets))]
        if not matches:
            raise OaiError("noRecordsMatch", "no records match the arguments")
        offset = int(query["o"])
        page = matches[offset: offset + self.page_size]
        element = etree.Element(f"{{{OAI}}}{verb}")
        for item in page:
            if verb == "ListIdentifiers":
                self._header(element, item)
            else:
                self._record(element, item, query["p"])
        if offset + self.page_size < len(matches) or offset:
            token = etree.SubElement(element, f"{{{OAI}}}resumptionToken",
                                     completeListSize=str(len(matches)), cursor=str(offset))
            if offset + self.page_size < len(matches):
                token.text = self._encode({**query, "o": offset + self.page_size}, snapshot)
        return element

    @staticmethod
    def _range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
        def parse(value: str | None, upper: bool) -> str | None:
            if value is None:
                return None
            if _DAY.match(value):
                return value + ("T23:59:59Z" if upper else "T00:00:00Z")
            if _SECOND.match(value):
                return value
            raise OaiError("badArgument", f"{value!r} is not a datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")

        if start and end and (_DAY.match(start) is None) != (_DAY.match(end) is None):
            raise OaiError("badArgument", "from and until must have the same granularity")
        low, high = parse(start, False), parse(end, True)
        if low and high and low > high:
            raise OaiError("badArgument", "from is later than until")
        return low, high

    @staticmethod
    def _encode(query: dict[str, Any], snapshot: Snapshot) -> str:
        return base64.urlsafe_b64encode(orjson.dumps({**query, "v": snapshot.version})).decode().rstrip("=")

    @staticmethod
    def _decode(token: str, snapshot: Snapshot) -> dict[str, Any]:
        try:
            query: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            assert isinstance(query, dict) and {"p", "f", "u", "s", "o", "v"} <= set(query)
        except Exception:  # any malformed token is the protocol's badResumptionToken
            raise OaiError("badResumptionToken", "the resumption token is not one of ours") from None
        if query["v"] != snapshot.version:
            raise OaiError("badResumptionToken", "the repository changed since this token was issued; start again")
        return query

    # --- WSGI ----------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO", "") not in ("/oai", "/oai/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"The OAI-PMH base URL is /oai\n"]
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            query = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        elif environ["REQUEST_METHOD"] == "GET":
            query = environ.get("QUERY_STRING", "")
        else:
            start_response("405 Method Not Allowed", [("Allow", "GET, POST")])
            return [b""]
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        body = self.respond(parse_qs(query, keep_blank_values=True), f"http://{host}/oai")
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(folder: Path, host: str, port: int, **options: Any) -> None:
    repository = Repository(folder, **options)
    repository.snapshot()
    with make_server(host, port, repository, server_class=_Server, handler_class=_Quiet) as server:
        print(f"OAI-PMH repository for {folder} at http://{host}:{server.server_port}/oai", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
