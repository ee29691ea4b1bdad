"""Catalogue exports of work records: CSL-JSON, BibTeX, RIS, Dublin Core (oai_dc), schema.org JSON-LD
and MARCXML. Each format streams: a head, one chunk per record, a tail."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from lxml import etree

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MARC = "http://www.loc.gov/MARC21/slim"
SCHEMA_ORG = "https://schema.org/"
SPDX = "https://spdx.org/licenses/"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SEASON_NUMBER = {21: 1, 22: 2, 23: 3, 24: 4}  # CSL seasons: 1 spring .. 4 winter
ROLE_NAMES = {"transcription": "transcriber", "markup": "markup editor", "proofreading": "proofreader",
              "editing": "editor", "translation": "translator"}
MARC_RELATORS = {"transcription": "transcriber", "markup": "editor", "proofreading": "proofreader",
                 "editing": "editor", "translation": "translator"}


# --- text each format can carry --------------------------------------------------------------------
# Never text: the C0 controls but tab, LF and CR, DEL, the C1 controls, lone surrogates (they have no
# UTF-8 form) and the Unicode noncharacters. XML 1.0 forbids or discourages every one of them (§2.2),
# MARC has no place for them, and a page's real text never holds them.
_NONCHARACTERS = "".join(rf"\U{plane | 0xFFFE:08x}\U{plane | 0xFFFF:08x}" for plane in range(0, 0x110000, 0x10000))
_NOT_TEXT = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")
# Whatever any reader takes for the end of a line (str.splitlines, universal newlines, Unicode), tab, and
# the information separators (MARC's own field and subfield delimiters among them).
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")


def clean_text(text: str) -> str:
    """The text without the characters that are never text: what XML and JSON may carry."""
    return _NOT_TEXT.sub("", text)


def one_line(text: str) -> str:
    """Clean text on one line, each run of line breaks a space: what a line-oriented format
    (RIS, BibTeX) or a MARC field may carry."""
    return clean_text(_LINE_BREAKS.sub(" ", text)).strip()


def _json_safe(value: Any) -> Any:
    """A JSON value with every string in it cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def _child(parent: etree._Element, tag: str, text: str | None = None, /, **attributes: str) -> etree._Element:
    """A new element under ``parent``: every XML text node and attribute the exports write goes
    through here, so none carries a character XML forbids."""
    element = etree.SubElement(parent, tag, {name: clean_text(value) for name, value in attributes.items()})
    if text is not None:
        element.text = clean_text(text)
    return element


# --- reading a record ---------------------------------------------------------------------------
def person(name: str) -> dict[str, str]:
    """'Joseph Hansen' -> {family: Hansen, given: Joseph}; a single word is a literal name."""
    words = name.split()
    if len(words) < 2:
        return {"literal": name}
    particles = {"de", "da", "del", "di", "van", "von", "der", "la", "le", "du"}
    split = len(words) - 1
    while split > 1 and words[split - 1].lower() in particles:
        split -= 1
    return {"family": " ".join(words[split:]), "given": " ".join(words[:split])}


def inverted(name: str) -> str:
    parts = person(name)
    return parts.get("literal") or f"{parts['family']}, {parts['given']}"


def work_type(work: dict[str, Any]) -> str:
    """The CSL type that fits: article-newspaper, article-magazine, chapter, book, speech, article.
    What appeared in a periodical (an issue, or a date to the day or month) is an article whatever
    its length: a review in two parts is no book, nor each part a chapter."""
    citation = work.get("citation") or {}
    if citation.get("container_title"):
        date = citation.get("date") or {}
        if date.get("precision") == "day":
            return "article-newspaper"
        if citation.get("issue") or date.get("precision") in ("month", "season"):
            return "article-magazine"
    if work.get("kind") == "toc":
        return "book"
    if work.get("part_of") or citation.get("container_title"):
        return "chapter"  # of a book, or of a volume of collected works
    if (work.get("dates") or {}).get("delivered"):
        return "speech"
    return "article"


def issued(work: dict[str, Any]) -> dict[str, Any] | None:
    """The date the work appeared: its source's date where it has one, else the work's date."""
    citation = work.get("citation") or {}
    date = citation.get("date") or {}
    if date.get("value"):
        return date
    date = work.get("date") or {}
    return date if date.get("value") else None


def _point(value: str) -> tuple[int, int | None, int | None, int | None]:
    """(year, month, day, season) of one EDTF point."""
    parts = value.split("-")
    year = int(parts[0].replace("X", "0"))
    if len(parts) == 1:
        return year, None, None, None
    number = int(parts[1])
    if number > 12:
        return year, None, None, SEASON_NUMBER[number]
    return year, number, int(parts[2]) if len(parts) > 2 else None, None


def csl_date(date: dict[str, Any] | None) -> dict[str, Any] | None:
    """CSL date-parts at the real precision: no invented day or month."""
    if not date or not date.get("value"):
        return None
    value = date["value"]
    if date["precision"] == "decade":
        return {"literal": date["raw"]}
    points = [_point(v) for v in value.split("/")]
    parts = [[p for p in (y, m, d) if p is not None] for y, m, d, _ in points]
    result: dict[str, Any] = {"date-parts": parts}
    if points[0][3]:
        result["season"] = points[0][3]
    if date["precision"] in ("range", "season") or date.get("raw") != value:
        result["raw"] = date["raw"]
    return result


def iso_date(date: dict[str, Any] | None) -> str | None:
    """An ISO 8601 date as precise as the printed one allows (a season gives its year)."""
    if not date or not date.get("value") or date["precision"] == "decade":
        return None
    year, month, day, _ = _point(date["value"].split("/")[0])
    if date["precision"] == "range" and "/" in date["value"]:
        end = _point(date["value"].split("/")[1])
        return date["value"] if end[3] is None and _point(date["value"].split("/")[0])[3] is None else str(year)
    if month is None:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    if not pages:
        return None, None
    match = re.match(r"^\s*([\divxlc]+)\s*(?:[-–—]+\s*([\divxlc]+))?\s*$", pages, re.I)
    if not match:
        return pages, None
    return match[1], match[2]


def credits_of(work: dict[str, Any], role: str) -> list[str]:
    return [c["name"] for c in work.get("credits", []) if c["role"] == role]


def accessed(work: dict[str, Any]) -> str | None:
    """The day the page was fetched (ISO 8601), if its timestamp starts with a real date."""
    fetched = (work.get("provenance") or {}).get("fetched_at") or ""
    try:
        return dt.date.fromisoformat(fetched[:10]).isoformat()
    except ValueError:
        return None


def container(work: dict[str, Any]) -> str | None:
    citation = work.get("citation") or {}
    part_of = work.get("part_of") or {}
    return citation.get("container_title") or part_of.get("title")


# --- CSL-JSON ------------------------------------------------------------------------------------
def csl_item(work: dict[str, Any]) -> dict[str, Any]:
    citation = work.get("citation") or {}
    item: dict[str, Any] = {"id": work["id"], "type": work_type(work), "title": work["title"]}
    seen = accessed(work)
    name = (work.get("author") or {}).get("name")
    if name:
        item["author"] = [person(name)]
    translators = credits_of(work, "translation")
    if translators:
        item["translator"] = [person(n) for n in translators]
    # The archive's "editing" credits edit the transcription or translation, not the book: they
    # are not CSL editors.
    for key, value in (("container-title", container(work)), ("volume", citation.get("volume")),
                       ("issue", citation.get("issue")), ("page", citation.get("pages")),
                       ("issued", csl_date(issued(work))),
                       ("original-date", csl_date((work.get("dates") or {}).get("written"))),
                       ("language", work.get("language")), ("URL", work.get("url")),
                       ("accessed", {"date-parts": [[int(p) for p in seen.split("-")]]} if seen else None),
                       ("source", "Marxists Internet Archive"), ("note", _byline_note(work))):
        if value:
            item[key] = value
    return dict(_json_safe(item))


def _byline_note(work: dict[str, Any]) -> str | None:
    author = work.get("author") or {}
    if author.get("byline") and author.get("name") and author["byline"] != author["name"]:
        return f"Published as {author['byline']}"
    return None


# --- BibTeX ----------------------------------------------------------------------------------------
# LaTeX's ten special characters. BibTeX counts every brace, escaped or not, so a brace without its
# partner is written as a command that holds no brace of its own.
LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                 "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
UNPAIRED_BRACE = {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
# Characters a URL may not hold (RFC 3986) that would break a braced value read verbatim.
_URL_UNSAFE = re.compile(r"[{}\\\s]")


def _unpaired_braces(text: str) -> set[int]:
    """Positions of the braces in ``text`` that have no partner."""
    opened: list[int] = []
    unpaired: set[int] = set()
    for n, char in enumerate(text):
        if char == "{":
            opened.append(n)
        elif char == "}":
            if opened:
                opened.pop()
            else:
                unpaired.add(n)
    return unpaired | set(opened)


def bibtex_escape(text: str) -> str:
    """Text as the inside of a braced BibTeX value: one line, LaTeX's special characters escaped,
    its braces balanced whatever the text holds."""
    text = one_line(text)
    unpaired = _unpaired_braces(text)
    return "".join(UNPAIRED_BRACE[char] if n in unpaired else LATEX_SPECIAL.get(char, char)
                   for n, char in enumerate(text))


def bibtex_url(url: str) -> str:
    """A URL as the inside of a braced value that biblatex reads verbatim: percent-encoded where
    it holds what a URL may not."""
    return _URL_UNSAFE.sub(lambda match: "".join(f"%{byte:02X}" for byte in match[0].encode()), one_line(url))


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum())


class BibtexKeys:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def key(self, work: dict[str, Any]) -> str:
        slug = _ascii((work.get("author") or {}).get("slug") or "").lower() or "anon"
        date = issued(work)
        year = date["value"][:4] if date else "nd"
        word = next((_ascii(w).lower() for w in work["title"].split() if len(_ascii(w)) > 3), "work")
        base = f"{slug}{year}{word}"
        key, n = base, 0
        while key in self.used:
            n += 1
            key = base + "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1)
        self.used.add(key)
        return key


def bibtex_entry(work: dict[str, Any], key: str) -> str:
    kind = work_type(work)
    entry_type = {"article-newspaper": "article", "article-magazine": "article", "chapter": "incollection",
                  "book": "book"}.get(kind, "misc")
    citation = work.get("citation") or {}
    date = issued(work)
    fields: list[tuple[str, str | None]] = []
    name = (work.get("author") or {}).get("name")
    fields.append(("author", inverted(name) if name else None))
    fields.append(("title", work["title"]))
    if entry_type == "article":
        fields.append(("journal", container(work)))
    elif entry_type == "incollection":
        fields.append(("booktitle", container(work)))
    fields += [("volume", citation.get("volume")), ("number", citation.get("issue")),
               ("pages", re.sub(r"\s*[-–—]+\s*", "--", citation.get("pages") or "") or None)]
    if date:
        year, month, _, _ = _point(date["value"].split("/")[0])
        fields.append(("year", str(year)))
        fields.append(("month", MONTHS[month - 1] if month else None))
        fields.append(("date", iso_date(date)))
    fields += [("translator", " and ".join(inverted(n) for n in credits_of(work, "translation")) or None),
               ("language", work.get("language")), ("url", work.get("url")), ("urldate", accessed(work)),
               ("howpublished", "Marxists Internet Archive" if entry_type == "misc" else None),
               ("note", _byline_note(work))]
    lines = [f"@{entry_type}{{{key},"]
    for field, value in fields:
        text = (bibtex_url if field == "url" else bibtex_escape)(value or "")
        if not text:
            continue
        if field == "month":
            lines.append(f"  {field} = {text},")  # the standard month macro
        else:
            lines.append(f"  {field} = {{{text}}},")
    lines.append("}")
    return "\n".join(lines) + "\n\n"


# --- RIS ---------------------------------------------------------------------------------------------
RIS_TYPES = {"article-newspaper": "NEWS", "article-magazine": "MGZN", "chapter": "CHAP", "book": "BOOK",
             "speech": "GEN", "article": "ELEC"}


def ris_record(work: dict[str, Any]) -> str:
    citation = work.get("citation") or {}
    lines = [("TY", RIS_TYPES[work_type(work)]), ("ID", work["id"])]
    name = (work.get("author") or {}).get("name")
    if name:
        lines.append(("AU", inverted(name)))
    lines += [("A4", inverted(n)) for n in credits_of(work, "translation")]
    lines.append(("TI", work["title"]))
    lines.append(("T2", container(work)))
    lines += [("VL", citation.get("volume")), ("IS", citation.get("issue"))]
    start, end = page_range(citation.get("pages"))
    lines += [("SP", start), ("EP", end)]
    date = issued(work)
    if date:
        year, month, day, _ = _point(date["value"].split("/")[0])
        lines.append(("PY", str(year)))
        lines.append(("DA", f"{year:04d}/{month:02d}/{day:02d}/" if day else
                      f"{year:04d}/{month:02d}//" if month else f"{year:04d}///"))
    lines += [("LA", work.get("language")), ("UR", work.get("url"))]
    if accessed(work):
        lines.append(("Y2", accessed(work).replace("-", "/")))  # type: ignore[union-attr]
    lines += [("DB", "Marxists Internet Archive"), ("N1", _byline_note(work))]
    values = ((tag, one_line(value or "")) for tag, value in lines)
    body = "".join(f"{tag}  - {value}\n" for tag, value in values if value)
    return body + "ER  - \n\n"


# --- Dublin Core (oai_dc) ------------------------------------------------------------------------------
def dc_element(work: dict[str, Any]) -> etree._Element:
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(name: str, value: str | None) -> None:
        text = clean_text(value or "")
        if text.strip():
            _child(root, f"{{{DC}}}{name}", text)

    title = work["title"] + (f": {work['subtitle']}" if work.get("subtitle") else "")
    add("title", title)
    name = (work.get("author") or {}).get("name")
    add("creator", inverted(name) if name else None)
    for credit in work.get("credits", []):
        add("contributor", f"{inverted(credit['name'])} ({ROLE_NAMES[credit['role']]})")
    add("date", (issued(work) or {}).get("value"))  # the date every format gives: when it appeared
    add("type", "Text")
    add("format", "text/html")
    add("identifier", work.get("url"))
    add("language", work.get("language"))
    citation = work.get("citation") or {}
    add("source", citation.get("raw"))
    licence = work.get("licence") or {}
    add("rights", licence.get("raw") or (None if licence.get("status") == "unknown" else licence.get("status")))
    add("rights", licence.get("url"))
    part_of = work.get("part_of") or {}
    add("relation", part_of.get("url"))  # dcterms:isPartOf, as oai_dc can say it
    add("relation", citation.get("container_title"))
    add("publisher", "Marxists Internet Archive")
    return root


# --- schema.org JSON-LD ----------------------------------------------------------------------------------
JSONLD_CONTEXT = {"@vocab": SCHEMA_ORG, "xsd": "http://www.w3.org/2001/XMLSchema#"}


def jsonld_node(work: dict[str, Any]) -> dict[str, Any]:
    kind = work_type(work)
    node: dict[str, Any] = {"@id": work["url"], "@type": {"book": "Book", "chapter": "Chapter"}.get(kind, "Article"),
                            "name": work["title"], "url": work["url"], "inLanguage": work.get("language")}
    if kind.startswith("article"):
        node["headline"] = work["title"]
    if work.get("subtitle"):
        node["alternativeHeadline"] = work["subtitle"]
    name = (work.get("author") or {}).get("name")
    if name:
        node["author"] = {"@type": "Person", "name": name, **({"alternateName": work["author"]["byline"]}
                                                                if _byline_note(work) else {})}
    translators = credits_of(work, "translation")
    if translators:
        node["translator"] = [{"@type": "Person", "name": n} for n in translators]
    others = [c for c in work.get("credits", []) if c["role"] != "translation"]
    if others:
        node["contributor"] = [{"@type": "Role", "roleName": ROLE_NAMES[c["role"]],
                                "contributor": {"@type": "Person", "name": c["name"]}} for c in others]
    published = iso_date(issued(work))
    if published:
        node["datePublished"] = published
    written = iso_date((work.get("dates") or {}).get("written"))
    if written:
        node["dateCreated"] = written
    licence = work.get("licence") or {}
    if licence.get("url") or licence.get("id"):
        node["license"] = licence.get("url") or SPDX + licence["id"]
    if licence.get("status") == "public_domain":
        node["copyrightNotice"] = "Public domain"
    citation = work.get("citation") or {}
    start, end = page_range(citation.get("pages"))
    if citation.get("pages"):
        node["pagination"] = citation["pages"]
        if start and end:
            node["pageStart"], node["pageEnd"] = start, end
        elif start:
            node["pageStart"] = start
    part_of = work.get("part_of") or {}
    if kind == "chapter" and part_of:
        node["isPartOf"] = {"@type": "Book", "@id": part_of["url"], "name": part_of.get("title")}
    elif citation.get("container_title"):
        parent: dict[str, Any] = {"@type": "Periodical" if kind.startswith("article") else "Book",
                                  "name": citation["container_title"]}
        if citation.get("volume"):
            parent = {"@type": "PublicationVolume", "volumeNumber": citation["volume"], "isPartOf": parent}
        if citation.get("issue") or (kind.startswith("article") and iso_date(citation.get("date"))):
            issue: dict[str, Any] = {"@type": "PublicationIssue", "isPartOf": parent}
            if citation.get("issue"):
                issue["issueNumber"] = citation["issue"]
            if iso_date(citation.get("date")):
                issue["datePublished"] = iso_date(citation.get("date"))
            parent = issue
        node["isPartOf"] = parent
    node["publisher"] = {"@type": "Organization", "name": "Marxists Internet Archive"}
    return dict(_json_safe({k: v for k, v in node.items() if v is not None}))


# --- MARCXML ---------------------------------------------------------------------------------------------
def marc_language(code: str | None) -> str:
    import pycountry

    language = pycountry.languages.get(alpha_2=code or "en")
    if language is None:
        return "und"
    return str(getattr(language, "bibliographic", None) or language.alpha_3)


# 008/18-34 for language material (MARC 21 Bibliographic, 008): blank where blank means "none" or
# "unknown", `|` (no attempt to code) where the position has no blank value.
# Books (leader/07 m, a): 18-21 illustrations, 22 audience, 23 form of item, 24-27 nature of contents,
# 28 government publication, 29 conference (|), 30 festschrift (|), 31 index (|), 32 undefined,
# 33 literary form (|), 34 biography.
MARC_008_BOOK = "    " + " " + " " + "    " + " " + "|||" + " " + "|" + " "
# Continuing resources (leader/07 b, an article of a periodical): 18 frequency, 19 regularity (|),
# 20 undefined, 21 type, 22 form of original, 23 form of item, 24 nature of work, 25-27 contents,
# 28 government publication, 29 conference (|), 30-32 undefined, 33 original script, 34 entry convention (|).
MARC_008_SERIAL_PART = " " + "|" + " " + " " + " " + " " + " " + "   " + " " + "|" + "   " + " " + "|"


def marc_record(work: dict[str, Any], status: str = "n") -> etree._Element:
    record = etree.Element(f"{{{MARC}}}record", nsmap={None: MARC})
    kind = work_type(work)
    level = {"book": "m", "chapter": "a"}.get(kind, "b")
    _child(record, f"{{{MARC}}}leader", f"00000{status}a{level} a2200000 i 4500")

    def control(tag: str, value: str) -> None:
        _child(record, f"{{{MARC}}}controlfield", value, tag=tag)

    def data(tag: str, ind1: str, ind2: str, *subfields: tuple[str, str | None]) -> None:
        present = [(code, text) for code, value in subfields if (text := one_line(value or ""))]
        if not present:
            return
        field = _child(record, f"{{{MARC}}}datafield", tag=tag, ind1=ind1, ind2=ind2)
        for code, value in present:
            _child(field, f"{{{MARC}}}subfield", value, code=code)

    control("001", one_line(work["id"]))
    date = issued(work)
    year = date["value"][:4].replace("X", "u") if date else "uuuu"  # MARC's unknown digit is u
    entered = (accessed(work) or dt.date.today().isoformat()).replace("-", "")[2:8]
    language = marc_language(work.get("language"))
    # 40 positions: 00-05 entered, 06 date type, 07-14 dates, 15-17 place, 18-34 material,
    # 35-37 language, 38 modified record, 39 cataloguing source.
    dates = f"s{year}    " if date else "nuuuuuuuu"
    material = MARC_008_SERIAL_PART if level == "b" else MARC_008_BOOK
    control("008", f"{entered}{dates}xx {material}{language} d")
    data("024", "7", " ", ("a", work["url"]), ("2", "uri"))
    data("041", " ", " ", ("a", language))
    name = (work.get("author") or {}).get("name")
    if name:
        data("100", "1", " ", ("a", inverted(name)), ("e", "author"))
    subtitle = work.get("subtitle")
    byline = (work.get("author") or {}).get("byline")
    data("245", "1" if name else "0", "0", ("a", work["title"] + (" :" if subtitle else "")),
         ("b", subtitle), ("c", byline))
    if work.get("pretitle"):
        data("246", "1", " ", ("i", "Heading above the title:"), ("a", work["pretitle"]))
    data("264", " ", "1", ("c", (date or {}).get("raw")))
    data("300", " ", " ", ("a", f"{work.get('word_count', 0)} words"))
    for note in work.get("editorial_notes", [])[:3]:
        data("500", " ", " ", ("a", note[:9000]))
    licence = work.get("licence") or {}
    if licence.get("raw") or licence.get("status") != "unknown":
        data("540", " ", " ", ("a", licence.get("raw") or licence.get("status")),
             ("f", licence.get("id")), ("u", licence.get("url")))
    for credit in work.get("credits", []):
        data("700", "1", " ", ("a", inverted(credit["name"])), ("e", MARC_RELATORS[credit["role"]]))
    citation = work.get("citation") or {}
    host = container(work)
    if host:
        related = ", ".join(p for p in (
            f"Vol. {citation['volume']}" if citation.get("volume") else None,
            f"no. {citation['issue']}" if citation.get("issue") else None,
            f"({citation['date']['raw']})" if citation.get("date") else None,
            f"p. {citation['pages']}" if citation.get("pages") else None) if p)
        enumeration = ":".join(p for p in (citation.get("volume"), citation.get("issue")) if p)
        data("773", "0", " ", ("t", host), ("g", related or None),
             ("q", f"{enumeration}<{citation['pages']}" if enumeration and citation.get("pages") else None),
             ("o", (work.get("part_of") or {}).get("url")))
    data("856", "4", "0", ("u", work["url"]), ("y", "Marxists Internet Archive"))
    return record


def marc_deleted(change: dict[str, Any]) -> etree._Element:
    record = etree.Element(f"{{{MARC}}}record", nsmap={None: MARC})
    _child(record, f"{{{MARC}}}leader", "00000da  a2200000 i 4500")
    _child(record, f"{{{MARC}}}controlfield", one_line(change["id"]), tag="001")
    return record


# --- streaming -------------------------------------------------------------------------------------------
FORMATS = ("csl", "bibtex", "ris", "dc", "jsonld", "marcxml")
CAN_DELETE = frozenset({"marcxml"})


def export(format_name: str, works: Iterable[dict[str, Any]],
           deletions: Iterable[dict[str, Any]] = ()) -> Iterator[bytes]:
    """The export as chunks of bytes; deletions are written where the format can say so."""
    if format_name == "csl":
        yield b"["
        for n, work in enumerate(works):
            yield (b",\n" if n else b"\n") + orjson.dumps(csl_item(work))
        yield b"\n]\n"
    elif format_name == "bibtex":
        keys = BibtexKeys()
        for work in works:
            yield bibtex_entry(work, keys.key(work)).encode()
    elif format_name == "ris":
        for work in works:
            yield ris_record(work).encode()
    elif format_name == "dc":
        yield b'<?xml version="1.0" encoding="UTF-8"?>\n<records>\n'
        for work in works:
            yield etree.tostring(dc_element(work), encoding="UTF-8", pretty_print=True, xml_declaration=False)
        yield b"</records>\n"
    elif format_name == "jsonld":
        yield b'{"@context": ' + orjson.dumps(JSONLD_CONTEXT) + b', "@graph": ['
        for n, work in enumerate(works):
            yield (b",\n" if n else b"\n") + orjson.dumps(jsonld_node(work))
        yield b"\n]}\n"
    elif format_name == "marcxml":
        yield b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
        for work in works:
            yield etree.tostring(marc_record(work), encoding="UTF-8", pretty_print=True)
        for change in deletions:
            yield etree.tostring(marc_deleted(change), encoding="UTF-8", pretty_print=True)
        yield b"</collection>\n"
    else:
        raise ValueError(f"unknown export format {format_name!r}; one of {', '.join(FORMATS)}")
