"""Dates as the archive prints them -> DateValue (raw, EDTF value, honest precision).

A hand grammar handles the forms of the site (day-first numerics, seasons, ranges, decades,
Old Style/New Style pairs); dateparser is the fallback for other languages' free forms, one
parser per language, created once.  Nothing is invented: a missing day or year stays missing.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, NamedTuple

from crawler.extract.memo import remembered
from crawler.extract.text import clean
from crawler.extract.vocab import (
    DATE_DAY_ALONE,
    DATE_DAY_AND_MONTH,
    DATE_DAY_MONTH_YEAR,
    DATE_DECADE,
    DATE_IN_TEXT,
    DATE_ISO,
    DATE_MONTH_ALONE,
    DATE_MONTH_DAY_YEAR,
    DATE_MONTH_YEAR,
    DATE_NUMERIC,
    DATE_QUALIFIER,
    DATE_RANGE_SEPARATOR,
    DATE_SEASON_ALONE,
    DATE_SEASON_YEAR,
    DATE_TRAILING_QUALIFIER,
    DATE_UNKNOWN_YEAR,
    DATE_YEAR,
    DATE_YEARS,
    DIGIT,
    ENDS_IN_ABBREVIATION,
    FIGURES,
    FOUR_FIGURES,
    HAS_YEAR,
    LETTER_O_YEAR,
    MONTHS,
    NOT_DIGITS,
    RANGE_END_DAY_YEAR,
    RANGE_END_SEPARATOR,
    RANGE_START_CHARS,
    RANGE_START_ENDS,
    RANGE_START_IN_TEXT,
    RANGE_START_MONTH_DAY,
    SEASONS,
    TRAILING_QUALIFIER_WORDS,
    TWO_DIGIT_YEAR_PIVOT,
    URL_DECADE,
    URL_MONTH,
    URL_YEAR,
)
from models import DateValue


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


class Reading(NamedTuple):
    """A text read as a date, before it becomes a DateValue: the text it was read from, its EDTF
    value (None when the text is no date) and its precision."""

    raw: str
    value: str | None
    precision: str

    def date_value(self) -> DateValue:
        return DateValue(raw=self.raw, value=self.value, precision=self.precision)


def _month(word: str) -> int | None:
    return MONTHS.get(word.lower().rstrip("."))


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if year not in DATE_YEARS:
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


def _point(text: str, *, month_first: bool = False) -> _Point | None:
    """One date point, or None when the string is not exactly one."""
    year: int
    month: int | None
    day: int | None
    s = text.strip(" ,.;:")
    if m := DATE_ISO.fullmatch(s):
        year, month = int(m[1]), int(m[2])
        day = int(m[3]) if m[3] else None
        return _Point(year, month, day) if _valid(year, month, day) else None
    if m := DATE_NUMERIC.fullmatch(s):
        a, b, y = int(m[1]), int(m[2]), m[3]
        year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) <= TWO_DIGIT_YEAR_PIVOT else 1900 + int(y))
        day, month = (b, a) if month_first else (a, b)
        if not _valid(year, month, day):
            day, month = month, day
        return _Point(year, month, day) if _valid(year, month, day) else None
    for pattern in (DATE_DAY_MONTH_YEAR, DATE_MONTH_DAY_YEAR):
        if m := pattern.fullmatch(s):
            year, month, day = int(m["y"]), _month(m["m"]), int(NOT_DIGITS.sub("", m["d"]))
            if m["d2"]:
                # "July 17 (30), 1903": the bracketed day is the New Style one.
                day2 = int(NOT_DIGITS.sub("", m["d2"]))
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
    if m := DATE_MONTH_YEAR.fullmatch(s):
        year, month = int(m["y"]), _month(m["m"])
        return _Point(year, month) if month and _valid(year, month, None) else None
    if m := DATE_SEASON_YEAR.fullmatch(s):
        year = int(m["y"])
        return _Point(year, season=SEASONS[m["s"].lower()]) if _valid(year, None, None) else None
    if m := DATE_YEAR.fullmatch(s):
        return _Point(int(m["y"]))
    if m := DATE_DECADE.fullmatch(s):
        return _Point(int(m["y"]) * 10, decade=True)
    return None


def _partial(text: str, right: _Point) -> _Point | None:
    """The left side of a range, completed from the right side ("May" in "May–July 1946")."""
    s = text.strip(" ,.;:")
    point = _point(s)
    if point is not None:
        return point
    if DATE_DAY_ALONE.fullmatch(s) and right.month:
        day = int(NOT_DIGITS.sub("", s))
        return _Point(right.year, right.month, day) if _valid(right.year, right.month, day) else None
    if month := _month(s) if DATE_MONTH_ALONE.fullmatch(s) else None:
        return _Point(right.year, month)
    if m := DATE_DAY_AND_MONTH.fullmatch(s):
        month = _month(m["m"] or m["m2"])
        day = int(NOT_DIGITS.sub("", m["d"] or m["d2"]))
        return _Point(right.year, month, day) if month and _valid(right.year, month, day) else None
    if DATE_SEASON_ALONE.fullmatch(s):
        return _Point(right.year, season=SEASONS[s.lower()])
    return None


def _day_of_left_month(left: str, right: str) -> _Point | None:
    """The right side of "March 8-16, 1921": its day and year, and the month printed on the left."""
    m_left, m_right = RANGE_START_MONTH_DAY.fullmatch(left.strip()), RANGE_END_DAY_YEAR.fullmatch(right.strip(" ,.;:"))
    if m_left is None or m_right is None:
        return None
    year, month, day = int(m_right["y"]), _month(m_left["m"]), int(NOT_DIGITS.sub("", m_right["d"]))
    return _Point(year, month, day) if month and _valid(year, month, day) else None


def _range(text: str) -> tuple[_Point, _Point] | None:
    for sep in DATE_RANGE_SEPARATOR.finditer(text):
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
    s = clean(raw)
    while len(s) > 1 and s[0] in "([" and s[-1] in ")]":
        s = s[1:-1].strip()
    # A full stop ends the date unless it ends an abbreviation ("Sept.", "ca."); only a text that ends
    # with one needs the pattern.
    if s.endswith(".") and ENDS_IN_ABBREVIATION.search(s):
        return s.strip(" ,;:")
    return s.strip(" ,;:").removesuffix(".").strip()


def _letter_o_years(s: str) -> str:
    """ "19o5" as 1905: a year printed with the letter O for a zero."""
    if "o" not in s and "O" not in s:
        return s
    return LETTER_O_YEAR.sub(lambda m: m[1].replace("o", "0").replace("O", "0"), s)


def ends_with_qualifier(text: str) -> bool:
    """The text ends with "approx.", "circa" or "?" (in brackets or not): what every match of
    DATE_TRAILING_QUALIFIER ends with, a cheap test before the pattern's scan."""
    tail = text.rstrip()
    if tail.endswith((")", "]")):
        tail = tail[:-1]
    return tail.lower().endswith(TRAILING_QUALIFIER_WORDS)


def ends_range_start(text: str) -> bool:
    """The text ends with a dash, a slash or "to": what every match of RANGE_START_IN_TEXT ends
    with, a cheap test before the pattern's scan."""
    tail = text.rstrip()
    return tail.endswith(RANGE_START_ENDS) or tail[-2:].lower() == "to"


def _clean(s: str) -> str:
    s = _letter_o_years(s)
    if ends_with_qualifier(s):
        s = DATE_TRAILING_QUALIFIER.sub("", s)
    previous = None
    while previous != s:
        previous = s
        s = DATE_QUALIFIER.sub("", s)
    return s.strip(" ,.;:")


def _unknown(raw: str) -> Reading:
    return Reading(raw, None, "unknown")


def parse_date(raw: str, language: str = "en", *, month_first: bool = False) -> DateValue:
    """The whole of ``raw`` read as one date (or range); never raises, unknown when it is not."""
    return read_date(raw, language, month_first=month_first).date_value()


@remembered
def read_date(raw: str, language: str = "en", *, month_first: bool = False) -> Reading:
    """What parse_date reads, before it becomes a DateValue (for the callers that only test it).
    Remembered: a crawl reads the same date lines (headings, colophon dates, last-updated lines) on
    many pages, and a Reading is immutable."""
    text = _normalise(raw)
    if DIGIT.search(text) is None:
        return _unknown(text)  # every form the grammar (or dateparser) reads holds a figure
    s = _clean(text)
    if not s:
        return _unknown(text)
    # "Winter 1959/60": the season of the first year.
    if (m := DATE_SEASON_YEAR.fullmatch(s)) and m["y2"]:
        year = int(m["y"])
        return Reading(text, f"{year}-{SEASONS[m['s'].lower()]}", "season")
    point = _point(s, month_first=month_first)
    if point is not None:
        return Reading(text, point.edtf(), point.precision)
    if DATE_UNKNOWN_YEAR.fullmatch(s):
        return _unknown(text)
    span = _range(s)
    if span is not None:
        start, end = span
        if start == end:
            return Reading(text, start.edtf(), start.precision)
        return Reading(text, f"{start.edtf()}/{end.edtf()}", "range")
    if language != "en" and FOUR_FIGURES.search(s):
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


def _dateparser_fallback(raw: str, text: str, language: str) -> Reading:
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
    digits = FIGURES.findall(text)
    if period == "day" and len(digits) < 2:
        period = "month"  # dateparser says "day" when it found none
    if period == "day":
        point = _Point(when.year, when.month, when.day)
    elif period == "month":
        point = _Point(when.year, when.month)
    else:
        point = _Point(when.year)
    return Reading(raw, point.edtf(), point.precision)


def find_date(text: str, language: str = "en") -> DateValue | None:
    """The first date printed somewhere inside ``text``, with the text of just that date as raw."""
    found = find_reading(text, language)
    return found.date_value() if found is not None else None


@remembered
def find_reading(text: str, language: str = "en") -> Reading | None:
    """What find_date finds, before it becomes a DateValue (remembered, as read_date is)."""
    if not HAS_YEAR.search(text):
        return None  # every form the grammar reads carries a year
    s = _letter_o_years(text).replace("\u00a0", " ")
    best: Reading | None = None
    for match in DATE_IN_TEXT.finditer(s):
        start = match.start()
        if start and s[start - 1].isalnum():
            continue
        before = s[max(0, start - RANGE_START_CHARS): start]
        left = RANGE_START_IN_TEXT.search(before) if ends_range_start(before) else None
        candidates = []
        sep = RANGE_END_SEPARATOR.match(s, match.end())
        if sep:
            nxt = DATE_IN_TEXT.match(s, sep.end())
            if nxt:
                candidates.append(s[start: nxt.end()])
        if left:
            candidates.append(s[start - (len(before) - left.start()): match.end()])
        candidates.append(match.group(0))
        for candidate in candidates:
            value = read_date(candidate, language)
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
        if URL_YEAR.fullmatch(part):
            year = int(part)
            month = None
            if i + 1 < len(parts):
                nxt = parts[i + 1].lower()
                if URL_MONTH.fullmatch(nxt):
                    month = int(nxt)
                elif (nxt in MONTHS and len(nxt) <= 4) or nxt in MONTHS:
                    month = MONTHS[nxt]
            point = _Point(year, month)
            raw = f"{part}/{parts[i + 1]}" if month else part
            return DateValue(raw=raw, value=point.edtf(), precision=point.precision)
        if URL_DECADE.fullmatch(part):
            return DateValue(raw=part, value=f"{part[:3]}X", precision="decade")
    return None
