"""The OAI-PMH 2.0 protocol as this repository speaks it: its verbs and formats, a request's
arguments checked against the protocol's error codes, resumption tokens, and the response document.

A resumption token carries the list it continues (prefix, from, until, set), the key of the last
item sent (datestamp, identifier), how many were sent and how many the list holds, and the
snapshot it was issued on: the next page is the items after that key, whatever their position."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from lxml import etree

from output.oai.index import Selection, datestamp

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

# The syntax of arguments, from the protocol's schema (OAI-PMH.xsd) and its date granularities.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,4096}")
# version, prefix, from, until, set; the last item's datestamp and identifier; cursor, list size
_TOKEN_KEYS = frozenset("vpfusdion")
MAX_FIELDS = 32               # arguments in one request; the widest verb takes five
# What XML 1.0 cannot carry at all, and what no argument may hold (every C0 and C1 control too).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_ARGUMENT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
ECHO = 200                    # characters of an argument echoed in an error message
_MARK = re.compile(rb"<!--metadata ([0-9]+)-->")


class OaiError(Exception):
    """A request answered with one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def xml_text(text: str, limit: int | None = None) -> str:
    """Text as XML 1.0 can carry it: each character it forbids becomes U+FFFD; cut to `limit`."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _NOT_XML.sub("\ufffd", text)


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


def date_range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
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


@dataclass(frozen=True)
class Resumption:
    """Where a list goes on: what it selects, after which item, and on which snapshot it began."""

    prefix: str
    selection: Selection
    version: str
    after: tuple[str, str]   # the datestamp and identifier of the last item sent
    cursor: int              # items sent before the next page
    size: int                # items in the whole list


def encode_token(resumption: Resumption) -> str:
    selection = resumption.selection
    data = {"v": resumption.version, "p": resumption.prefix, "f": selection.start, "u": selection.end,
            "s": selection.spec, "d": resumption.after[0], "i": resumption.after[1], "o": resumption.cursor,
            "n": resumption.size}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode_token(token: str) -> Resumption:
    """The list a resumption token continues, each field checked; whether its snapshot and set are
    still there is for the caller to check. Raises OaiError badResumptionToken."""
    forged = OaiError("badResumptionToken", "the resumption token is not one this repository issued")
    if not _TOKEN.fullmatch(token):
        raise forged
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):  # orjson.JSONDecodeError is a ValueError
        raise forged from None
    if not isinstance(data, dict) or set(data) != _TOKEN_KEYS:
        raise forged
    version, prefix, start, end, spec, stamp, record_id, cursor, size = (data[key] for key in "vpfusdion")
    if not isinstance(version, str) or not isinstance(prefix, str) or prefix not in FORMATS:
        raise forged
    if any(value is not None and not _valid_second(value) for value in (start, end)) or not _valid_second(stamp):
        raise forged
    if (start is not None and stamp < start) or (end is not None and stamp > end):
        raise forged
    if (spec is not None and not isinstance(spec, str)) or not isinstance(record_id, str) or not record_id:
        raise forged
    if not _count(size) or not _count(cursor):  # a token never starts a list
        raise forged
    if cursor >= size:
        raise OaiError("badResumptionToken", "the resumption token points past the end of the list")
    return Resumption(prefix, Selection(start, end, spec), version, (stamp, record_id), cursor, size)


def _count(value: Any) -> bool:
    return type(value) is int and value > 0  # bool is an int


def document(base_url: str, request: dict[str, str], body: etree._Element | None = None,
             error: OaiError | None = None, fragments: list[bytes] | None = None) -> bytes:
    """One OAI-PMH response: `body` (a verb's element) or `error`. Each `<!--metadata N-->` in the
    body is replaced by fragments[N], a serialised metadata element (no text or attribute can
    hold that comment: their `<` is always escaped)."""
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = datestamp(dt.datetime.now(dt.UTC))
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
