"""Record and value types of the dataset contract (SPEC.md), strict, with stable error codes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = "2.0.0"


def utc_now() -> str:
    """The timestamp form every record and report uses: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

Precision = Literal["day", "month", "season", "year", "range", "decade", "unknown"]
Kind = Literal["work", "toc"]
IndexKind = Literal["author_index", "section_index"]
Role = Literal["transcription", "markup", "proofreading", "editing", "translation"]
LicenceStatus = Literal["public_domain", "copyleft", "copyright", "unknown"]

# EDTF level 1 as SPEC.md uses it: a year, a year-month or year-season, a day, a decade with
# an unspecified digit (192X), or an interval of any two of these.
_EDTF_POINT = r"(?:\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?|-2[1-4])?|\d{3}X)"
_EDTF = re.compile(rf"{_EDTF_POINT}(?:/{_EDTF_POINT})?")
_ISO_639_1 = re.compile(r"[a-z]{2}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ABSOLUTE_URL = re.compile(r"(?:https?|file)://")


def _edtf(value: str | None) -> str | None:
    if value is None:
        return None
    match = _EDTF.fullmatch(value)
    if match is None:
        raise PydanticCustomError(
            "edtf_invalid", "{value!r} is not an EDTF level 1 date", {"value": value}
        )
    return value


def _language(value: str) -> str:
    if not _ISO_639_1.fullmatch(value):
        raise PydanticCustomError(
            "language_invalid", "{value!r} is not an ISO 639-1 code", {"value": value}
        )
    return value


def _sha256(value: str) -> str:
    if not _SHA256.fullmatch(value):
        raise PydanticCustomError(
            "sha256_invalid", "{value!r} is not a lowercase hex sha256", {"value": value}
        )
    return value


def _site_path(value: str) -> str:
    if not value or value.startswith("/") or "://" in value or ".." in value.split("/"):
        raise PydanticCustomError(
            "id_invalid", "{value!r} is not a path relative to the archive root", {"value": value}
        )
    return value


def _absolute_url(value: str) -> str:
    if not _ABSOLUTE_URL.match(value):
        raise PydanticCustomError("url_invalid", "{value!r} is not an absolute URL", {"value": value})
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "text must not be blank", {})
    return value


Edtf = Annotated[str | None, AfterValidator(_edtf)]
Language = Annotated[str, AfterValidator(_language)]
SitePath = Annotated[str, AfterValidator(_site_path)]
Url = Annotated[str, AfterValidator(_absolute_url)]
Text = Annotated[str, AfterValidator(_not_blank)]
Sha256 = Annotated[str, AfterValidator(_sha256)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=False)


class DateValue(_Strict):
    """A date as printed, with its EDTF form and honest precision."""

    raw: str
    value: Edtf = None
    precision: Precision

    def model_post_init(self, context: Any, /) -> None:
        if self.value is None and self.precision not in ("unknown",):
            raise PydanticCustomError(
                "precision_without_value",
                "precision {precision!r} needs a value",
                {"precision": self.precision},
            )


class Author(_Strict):
    name: Text | None
    byline: str | None = None
    slug: str | None = None


class WorkDates(_Strict):
    written: DateValue | None = None
    delivered: DateValue | None = None
    first_published: DateValue | None = None


class Citation(_Strict):
    raw: Text
    container_title: str | None = None
    volume: str | None = None
    volume_number: NonNegativeInt | None = None
    issue: str | None = None
    issue_number: NonNegativeInt | None = None
    date: DateValue | None = None
    pages: str | None = None


class Credit(_Strict):
    role: Role
    name: Text
    year: Annotated[int, Field(ge=1000, le=2999)] | None = None
    # The colophon text the credit was read from: the label and its value, or the prose sentence.
    raw: str | None = None


class Licence(_Strict):
    raw: str | None = None
    label: str | None = None
    status: LicenceStatus = "unknown"
    id: str | None = None
    url: Url | None = None


class Series(_Strict):
    marker: str | None = None
    position: Annotated[int, Field(ge=1)] | None = None
    continued: bool = False
    concluded: bool = False
    next_url: Url | None = None
    previous_url: Url | None = None


class PartOf(_Strict):
    title: str | None
    url: Url


class Note(_Strict):
    label: str
    text: str


class WarcLocation(_Strict):
    """Where the response a record was read from is kept: a WARC file (`warc/NAME` in the dataset,
    or the name of a WARC file read with --from-warc) and the offset of its record."""

    file: Annotated[str, Field(min_length=1)]
    offset: NonNegativeInt


class Provenance(_Strict):
    fetched_at: str
    http_status: Annotated[int, Field(ge=100, le=599)] | None = None
    etag: str | None = None
    last_modified: str | None = None
    encoding: str
    content_sha256: Sha256
    extractor_version: str
    fetched_from: str | None = None  # the address actually fetched, when it is not the record's url
    warc: WarcLocation | None = None  # where its response is kept, when the crawl kept it

    @model_serializer(mode="wrap")
    def _where_it_applies(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """`fetched_from` and `warc` are written only where they apply (SPEC: a mirror, a local copy;
        a crawl that keeps WARC)."""
        data: dict[str, Any] = handler(self)
        for key in ("fetched_from", "warc"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class Work(_Strict):
    id: SitePath
    url: Url
    kind: Kind
    language: Language
    title: Text
    subtitle: str | None = None
    pretitle: str | None = None
    author: Author
    date: DateValue | None = None
    dates: WorkDates = Field(default_factory=WorkDates)
    citation: Citation | None = None
    credits: list[Credit] = Field(default_factory=list)
    licence: Licence = Field(default_factory=Licence)
    series: Series | None = None
    part_of: PartOf | None = None
    editorial_notes: list[str] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)
    text: str
    word_count: NonNegativeInt
    last_updated: DateValue | None = None
    provenance: Provenance


class IndexEntry(_Strict):
    url: Url
    title: str
    date: DateValue | None = None
    note: str | None = None


class Index(_Strict):
    id: SitePath
    url: Url
    kind: IndexKind
    language: Language
    title: Text
    author: Author | None = None
    entries: list[IndexEntry]
    last_updated: DateValue | None = None
    provenance: Provenance


class OtherPage(_Strict):
    """A page that is neither a work nor an index: counted, not written as a work."""

    id: SitePath
    url: Url
    kind: Literal["other"] = "other"
    language: Language | None = None
    title: str | None = None


class Reject(_Strict):
    url: str
    stage: Literal["fetch", "decode", "extract", "validate", "write"]
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    message: str
    fetched_at: str


class Tombstone(_Strict):
    """A record that was published once and is gone: its page answered 404/410, became a reject,
    or a complete run no longer reached it."""

    id: SitePath | None
    url: str
    removed_run: str | None
    removed_at: str | None


class Change(_Strict):
    """One line of `changes/<run-id>.jsonl`: what a run added, modified or removed."""

    op: Literal["added", "modified", "removed"]
    id: SitePath | None
    url: str
    run: str
    at: str
    record: dict[str, Any] | None = None

    def model_post_init(self, context: Any, /) -> None:
        if (self.record is None) != (self.op == "removed"):
            raise PydanticCustomError("change_record", "added/modified carry the record, removed does not", {})


def record_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of every record type, keyed by the file they describe."""
    return {
        "works": Work.model_json_schema(),
        "indexes": Index.model_json_schema(),
        "rejects": Reject.model_json_schema(),
        "other": OtherPage.model_json_schema(),
        "tombstones": Tombstone.model_json_schema(),
        "changes": Change.model_json_schema(),
    }
