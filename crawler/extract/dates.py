"""Dates as the archive prints them -> DateValue (raw, EDTF value, honest precision).

A hand grammar handles the forms of the site (day-first numerics, seasons, ranges, decades,
Old Style/New Style pairs); dateparser is the fallback for other languages' free forms, one
parser per language, created once.  Nothing is invented: a missing day or year stays missing.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, NamedTuple

from crawler.extract.vocab import MONTHS, SEASONS
from models import DateValue

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_SEASON = r"(?:spring|summer|autumn|fall|winter)"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|d)?"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
_OS = r"\((?:o\.?\s*s\.?|old style|n\.?\s*s\.?|new style)\)"

_WS = re.compile(r"\s+")
_LETTER_O_YEAR = re.compile(r"\b([12][0-9oO]{3})\b")
_QUALIFIER = re.compile(
    r"^(?:c\.|ca\.|circa|about|approx(?:imately|\.)?|around|early|late|mid-?|before|after|"
    r"written|first published|published|probably|possibly|not later than|not earlier than|"
    r"prior to|in|on|the|end of|beginning of|at the beginning of|at the end of|by)\s+",
    re.I,
)
_TRAILING_QUALIFIER = re.compile(r"\s*[(\[]?(?:approx(?:imately|\.)?|circa|\?)[)\]]?\s*$", re.I)


class _Point(NamedTuple):
    year: int
    month: int | None = None
    day: int | None = None
    season: int | None = None
    decade: bool = False

    def edtf(self) -> str | None:
        if self.decade:
            return f"{self.year // 10:03d}X"
        if self.season:
            return f"{self.year:04d}-{self.season}"
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def precision(self) -> str:
        if self.decade:
            return "decade"
        if self.season:
            return "season"
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"


def _month(word: str) -> int | None:
    return MONTHS.get(word.lower().rstrip("."))


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if not 1000 <= year <= 2999:
        return False
    if month is None:
        return day is None
    if not 1 <= month <= 12:
        return False
    if day is None:
        return True
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def julian_to_gregorian(year: int, month: int, day: int) -> tuple[int, int, int]:
    """An Old Style (Julian) day as its New Style (Gregorian) date."""
    # Julian day number of the Julian calendar date, then back to the Gregorian calendar.
    a = (14 - month) // 12
    y = year + 4800 - a
    m = month + 12 * a - 3
    jdn = day + (153 * m + 2) // 5 + 365 * y + y // 4 - 32083
    gregorian = dt.date.fromordinal(jdn - 1721425)
    return gregorian.year, gregorian.month, gregorian.day


# Point forms, tried in order on the whole (normalised) string.
_P_ISO = re.compile(rf"({_YEAR})-(\d\d)(?:-(\d\d))?")
_P_NUMERIC = re.compile(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4}|\d{2})")
_P_DMY = re.compile(
    rf"(?P<d>{_DAY})\s*(?:\((?P<d2>{_DAY})\)\s*)?(?:of\s+)?(?P<m>{_MONTH})\s*"
    rf"(?:\((?P<m2>{_MONTH})\)\s*)?(?P<os>{_OS})?\s*,?\s*(?P<y>{_YEAR})",
    re.I,
)
_P_MDY = re.compile(
    rf"(?P<m>{_MONTH})\s*(?P<d>{_DAY})\s*(?:\((?:(?P<m2>{_MONTH})\s*)?(?P<d2>{_DAY})\)|(?P<os>{_OS}))?"
    rf"\s*,?\s*(?P<y>{_YEAR})",
    re.I,
)
_P_MY = re.compile(rf"(?P<m>{_MONTH})\s*,?\s*(?P<y>{_YEAR})", re.I)
_P_SEASON = re.compile(rf"(?P<s>{_SEASON})\s*,?\s*(?P<y>{_YEAR})(?:\s*/\s*(?P<y2>\d{{2}}|{_YEAR}))?",
                       re.I)
_P_YEAR = re.compile(rf"(?P<y>{_YEAR})")
_P_DECADE = re.compile(r"(?P<y>1[0-9]{2}|20[0-9])(?:0'?s|[xX])")
_P_UNKNOWN_YEAR = re.compile(r"(?:1[0-9]|20)[xX?]{2}|[xX?]{1,2}\.[xX?]{1,2}\.\d{4}")


def _point(text: str, *, month_first: bool = False) -> _Point | None:
    """One date point, or None when the string is not exactly one."""
    year: int
    month: int | None
    day: int | None
    s = text.strip(" ,.;:")
    if m := _P_ISO.fullmatch(s):
        year, month = int(m[1]), int(m[2])
        day = int(m[3]) if m[3] else None
        return _Point(year, month, day) if _valid(year, month, day) else None
    if m := _P_NUMERIC.fullmatch(s):
        a, b, y = int(m[1]), int(m[2]), m[3]
        year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) <= 30 else 1900 + int(y))
        day, month = (b, a) if month_first else (a, b)
        if not _valid(year, month, day):
            day, month = month, day
        return _Point(year, month, day) if _valid(year, month, day) else None
    for pattern in (_P_DMY, _P_MDY):
        if m := pattern.fullmatch(s):
            year, month, day = int(m["y"]), _month(m["m"]), int(re.sub(r"\D", "", m["d"]))
            if m["d2"]:
                # "July 17 (30), 1903": the bracketed day is the New Style one.
                day2 = int(re.sub(r"\D", "", m["d2"]))
                month2 = _month(m["m2"]) if m["m2"] else month
                if month2 is not None and day2 < day and not m["m2"]:
                    month2 = month2 % 12 + 1
                    if month2 == 1:
                        year += 1
                elif month2 is not None and month is not None and month2 < month:
                    year += 1  # "December 20 (January 2), 1917": the New Style day is in the next year
                month, day = month2, day2
            elif (m["os"] and m["os"].lower().lstrip("(").startswith("o") and month is not None
                  and day is not None and _valid(year, month, day)):
                year, month, day = julian_to_gregorian(year, month, day)
            return _Point(year, month, day) if month and _valid(year, month, day) else None
    if m := _P_MY.fullmatch(s):
        year, month = int(m["y"]), _month(m["m"])
        return _Point(year, month) if month and _valid(year, month, None) else None
    if m := _P_SEASON.fullmatch(s):
        year = int(m["y"])
        return _Point(year, season=SEASONS[m["s"].lower()]) if _valid(year, None, None) else None
    if m := _P_YEAR.fullmatch(s):
        return _Point(int(m["y"]))
    if m := _P_DECADE.fullmatch(s):
        return _Point(int(m["y"]) * 10, decade=True)
    return None


def _partial(text: str, right: _Point) -> _Point | None:
    """The left side of a range, completed from the right side ("May" in "May–July 1946")."""
    s = text.strip(" ,.;:")
    point = _point(s)
    if point is not None:
        return point
    if re.fullmatch(_DAY, s, re.I) and right.month:
        day = int(re.sub(r"\D", "", s))
        return _Point(right.year, right.month, day) if _valid(right.year, right.month, day) else None
    if month := _month(s) if re.fullmatch(_MONTH, s, re.I) else None:
        return _Point(right.year, month)
    if m := re.fullmatch(rf"(?P<d>{_DAY})\s+(?P<m>{_MONTH})|(?P<m2>{_MONTH})\s+(?P<d2>{_DAY})", s, re.I):
        month = _month(m["m"] or m["m2"])
        day = int(re.sub(r"\D", "", m["d"] or m["d2"]))
        return _Point(right.year, month, day) if month and _valid(right.year, month, day) else None
    if re.fullmatch(_SEASON, s, re.I):
        return _Point(right.year, season=SEASONS[s.lower()])
    return None


_RANGE_SPLIT = re.compile(r"\s*(?:–|—|-|/|\bto\b|\buntil\b|\btill\b)\s*", re.I)


_LEFT_MONTH_DAY = re.compile(rf"(?P<m>{_MONTH})\s*(?P<d>{_DAY})", re.I)
_DAY_YEAR = re.compile(rf"(?P<d>{_DAY})\s*,?\s*(?P<y>{_YEAR})", re.I)


def _day_of_left_month(left: str, right: str) -> _Point | None:
    """The right side of "March 8-16, 1921": its day and year, and the month printed on the left."""
    m_left, m_right = _LEFT_MONTH_DAY.fullmatch(left.strip()), _DAY_YEAR.fullmatch(right.strip(" ,.;:"))
    if m_left is None or m_right is None:
        return None
    year, month, day = int(m_right["y"]), _month(m_left["m"]), int(re.sub(r"\D", "", m_right["d"]))
    return _Point(year, month, day) if month and _valid(year, month, day) else None


def _range(text: str) -> tuple[_Point, _Point] | None:
    for sep in _RANGE_SPLIT.finditer(text):
        left, right_text = text[: sep.start()], text[sep.end():]
        if not left.strip() or not right_text.strip():
            continue
        right = _point(right_text) or _day_of_left_month(left, right_text)
        if right is None:
            continue
        start = _partial(left, right)
        if start is None:
            continue
        if (start.year, start.month or 0, start.day or 0) > (right.year, right.month or 13, right.day or 32):
            continue
        if sep.group().strip() == "/" and start.month and start.day and right.month and right.day \
                and julian_to_gregorian(start.year, start.month, start.day) == (right.year, right.month, right.day):
            return right, right  # "October 11/24, 1917": one day in the Old Style and the New
        return start, right
    return None


def _normalise(raw: str) -> str:
    s = _WS.sub(" ", raw.replace("\u00a0", " ")).strip()
    while len(s) > 1 and s[0] in "([" and s[-1] in ")]":
        s = s[1:-1].strip()
    return s.strip(" ,;:").removesuffix(".").strip() if not re.search(r"\b[a-z]{1,4}\.$", s, re.I) else s.strip(" ,;:")


def _clean(s: str) -> str:
    s = _LETTER_O_YEAR.sub(lambda m: m[1].replace("o", "0").replace("O", "0"), s)
    s = _TRAILING_QUALIFIER.sub("", s)
    previous = None
    while previous != s:
        previous = s
        s = _QUALIFIER.sub("", s)
    return s.strip(" ,.;:")


def _unknown(raw: str) -> DateValue:
    return DateValue(raw=raw, value=None, precision="unknown")


def parse_date(raw: str, language: str = "en", *, month_first: bool = False) -> DateValue:
    """The whole of ``raw`` read as one date (or range); never raises, unknown when it is not."""
    text = _normalise(raw)
    s = _clean(text)
    if not s:
        return _unknown(text)
    # "Winter 1959/60": the season of the first year.
    if (m := _P_SEASON.fullmatch(s)) and m["y2"]:
        year = int(m["y"])
        return DateValue(raw=text, value=f"{year}-{SEASONS[m['s'].lower()]}", precision="season")
    point = _point(s, month_first=month_first)
    if point is not None:
        return DateValue(raw=text, value=point.edtf(), precision=point.precision)
    if _P_UNKNOWN_YEAR.fullmatch(s):
        return _unknown(text)
    span = _range(s)
    if span is not None:
        start, end = span
        if start == end:
            return DateValue(raw=text, value=start.edtf(), precision=start.precision)
        return DateValue(raw=text, value=f"{start.edtf()}/{end.edtf()}", precision="range")
    if language != "en" and re.search(r"\b\d{4}\b", s):
        return _dateparser_fallback(text, s, language)
    return _unknown(text)


@lru_cache(maxsize=64)
def _parser(language: str) -> Any:
    import dateparser  # paid once per process, only for languages the grammar does not read

    try:
        return dateparser.DateDataParser(
            languages=[language],
            settings={
                "PREFER_DAY_OF_MONTH": "first",
                "PREFER_MONTH_OF_YEAR": "first",
                "DATE_ORDER": "DMY",
                "REQUIRE_PARTS": ["year"],
                "PARSERS": ["absolute-time"],
            },
        )
    except ValueError:
        return None


def _dateparser_fallback(raw: str, text: str, language: str) -> DateValue:
    parser = _parser(language)
    if parser is None:
        return _unknown(raw)
    try:
        data = parser.get_date_data(text)
    except Exception:  # dateparser raises assorted errors on odd input; the page must not fail
        return _unknown(raw)
    when, period = data.date_obj, data.period
    if when is None:
        return _unknown(raw)
    digits = re.findall(r"\d+", text)
    if period == "day" and len(digits) < 2:
        period = "month"  # dateparser says "day" when it found none
    if period == "day":
        point = _Point(when.year, when.month, when.day)
    elif period == "month":
        point = _Point(when.year, when.month)
    else:
        point = _Point(when.year)
    return DateValue(raw=raw, value=point.edtf(), precision=point.precision)


# --- searching a date inside a longer text ----------------------------------------------------
_FIND_POINT = re.compile(
    rf"(?:{_MONTH}\s*{_DAY}\s*(?:–|—|-|/)\s*{_DAY}\s*,?\s*{_YEAR}"  # "March 8-16, 1921", "October 11/24, 1917"
    rf"|(?:{_DAY})\s*(?:\({_DAY}\)\s*)?(?:of\s+)?{_MONTH}\s*(?:\({_MONTH}\)\s*)?(?:{_OS})?\s*,?\s*{_YEAR}"
    rf"|{_MONTH}\s*{_DAY}\s*(?:\((?:{_MONTH}\s*)?{_DAY}\)|{_OS})?\s*,?\s*{_YEAR}"
    rf"|{_MONTH}\s*,?\s*{_YEAR}"
    rf"|{_SEASON}\s*,?\s*{_YEAR}(?:\s*/\s*(?:\d{{2}}|{_YEAR})\b)?"
    rf"|{_YEAR}-\d\d-\d\d"
    rf"|\b\d{{1,2}}\.\d{{1,2}}\.\d{{4}}"
    rf"|(?:1[0-9]{{2}}|20[0-9])0'?s"
    rf"|{_YEAR})(?![\d])",
    re.I,
)
_FIND_LEFT = re.compile(
    rf"(?:(?:{_DAY}\s+)?{_MONTH}(?:\s+{_DAY})?|{_DAY}|{_SEASON}|{_YEAR}"
    rf"|(?:{_DAY}\s+)?{_MONTH}\s*,?\s*{_YEAR}|{_MONTH}\s+{_DAY},?\s*{_YEAR})"
    rf"\s*(?:–|—|-|/|\bto\b)\s*$",
    re.I,
)


_HAS_YEAR = re.compile(r"(?<!\d)(?:1[0-9oO]|20)[0-9oO]{2}(?!\d)")
_RIGHT_SEP = re.compile(r"\s*(?:–|—|-|/|\bto\b)\s*", re.I)


def find_date(text: str, language: str = "en") -> DateValue | None:
    """The first date printed somewhere inside ``text``, with the text of just that date as raw."""
    if not _HAS_YEAR.search(text):
        return None  # every form the grammar reads carries a year
    s = _LETTER_O_YEAR.sub(lambda m: m[1].replace("o", "0").replace("O", "0"), text)
    s = s.replace("\u00a0", " ")
    best: DateValue | None = None
    for match in _FIND_POINT.finditer(s):
        start = match.start()
        if start and s[start - 1].isalnum():
            continue
        left = _FIND_LEFT.search(s[max(0, start - 40): start])
        candidates = []
        sep = _RIGHT_SEP.match(s, match.end())
        if sep:
            nxt = _FIND_POINT.match(s, sep.end())
            if nxt:
                candidates.append(s[start: nxt.end()])
        if left:
            candidates.append(s[start - (len(s[max(0, start - 40): start]) - left.start()): match.end()])
        candidates.append(match.group(0))
        for candidate in candidates:
            value = parse_date(candidate, language)
            if value.value is not None:
                if value.precision == "year" and best is None:
                    best = value  # a bare year: keep looking for a fuller date
                    break
                if value.precision == "year":
                    break
                return value
    if best is None and language != "en":
        return None
    return best


def url_date(path: str) -> DateValue | None:
    """The year and month of an archive path (`.../1946/06/...`, `.../1917/apr/...`)."""
    parts = path.split("/")[:-1]
    for i, part in enumerate(parts):
        if re.fullmatch(r"1[5-9]\d\d|20[0-4]\d", part):
            year = int(part)
            month = None
            if i + 1 < len(parts):
                nxt = parts[i + 1].lower()
                if re.fullmatch(r"0[1-9]|1[0-2]", nxt):
                    month = int(nxt)
                elif (nxt in MONTHS and len(nxt) <= 4) or nxt in MONTHS:
                    month = MONTHS[nxt]
            point = _Point(year, month)
            raw = f"{part}/{parts[i + 1]}" if month else part
            return DateValue(raw=raw, value=point.edtf(), precision=point.precision)
        if re.fullmatch(r"1[5-9]\d0s", part):
            return DateValue(raw=part, value=f"{part[:3]}X", precision="decade")
    return None
