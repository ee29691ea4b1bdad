"""The date grammar: every printed form of FORMAT.md §3.3 to an honest EDTF value."""

from __future__ import annotations

import pytest

from crawler.extract.dates import find_date, julian_to_gregorian, parse_date, url_date

CASES = [
    ("(16 December 1939)", "16 December 1939", "1939-12-16", "day"),
    ("(May–July 1946)", "May–July 1946", "1946-05/1946-07", "range"),
    ("(April – June 1938)", "April – June 1938", "1938-04/1938-06", "range"),
    ("(Winter 1959/60)", "Winter 1959/60", "1959-24", "season"),
    ("(7/14 June 1943)", "7/14 June 1943", "1943-06-07/1943-06-14", "range"),
    ("(1972/1975)", "1972/1975", "1972/1975", "range"),
    ("(January 24, 1964)", "January 24, 1964", "1964-01-24", "day"),
    ("(Spring 2004)", "Spring 2004", "2004-21", "season"),
    ("(Fall 1959)", "Fall 1959", "1959-23", "season"),
    ("June 1946", "June 1946", "1946-06", "month"),
    ("June, 1913", "June, 1913", "1913-06", "month"),
    ("1946", "1946", "1946", "year"),
    ("1920s", "1920s", "192X", "decade"),
    ("196x", "196x", "196X", "decade"),
    ("19xx", "19xx", None, "unknown"),
    ("July 17 (30), 1903", "July 17 (30), 1903", "1903-07-30", "day"),
    ("April 22 (O.S.), 1914", "April 22 (O.S.), 1914", "1914-05-05", "day"),
    ("April 29 (May 12), 1917", "April 29 (May 12), 1917", "1917-05-12", "day"),
    ("December 14(27), 1917", "December 14(27), 1917", "1917-12-27", "day"),
    ("December 20(January 2), 1917", "December 20(January 2), 1917", "1918-01-02", "day"),
    ("December 25 (7), 1917", "December 25 (7), 1917", "1918-01-07", "day"),
    ("October 11/24, 1917", "October 11/24, 1917", "1917-10-24", "day"),
    ("October 25/November 7, 1917", "October 25/November 7, 1917", "1917-11-07", "day"),
    ("March 8-16, 1921", "March 8-16, 1921", "1921-03-08/1921-03-16", "range"),
    ("14.6.2013", "14.6.2013", "2013-06-14", "day"),
    ("2.17.2008", "2.17.2008", "2008-02-17", "day"),
    ("3.4.2010", "3.4.2010", "2010-04-03", "day"),
    ("19th August 1893", "19th August 1893", "1893-08-19", "day"),
    ("January 19O5", "January 19O5", "1905-01", "month"),
    ("September 1952-February 1953", "September 1952-February 1953", "1952-09/1953-02", "range"),
    ("1942 – 2009", "1942 – 2009", "1942/2009", "range"),
    ("pubdate??", "pubdate??", None, "unknown"),
    ("x.xx.2011", "x.xx.2011", None, "unknown"),
    ("219 July 2018", "219 July 2018", None, "unknown"),
    ("25 April", "25 April", None, "unknown"),
    ("31 February 1920", "31 February 1920", None, "unknown"),
    ("", "", None, "unknown"),
]


@pytest.mark.parametrize(("raw", "printed", "value", "precision"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_parse_date(raw: str, printed: str, value: str | None, precision: str) -> None:
    date = parse_date(raw)
    assert (date.raw, date.value, date.precision) == (printed, value, precision)


@pytest.mark.parametrize(("text", "raw", "value"), [
    ("L'Ordine Nuovo, 22 September 1921; Translated: by Ben W.", "22 September 1921", "1921-09-22"),
    ("Inprecor no. 16/17 January 16, 1975, pp. 3-16", "January 16, 1975", "1975-01-16"),
    ("Militant International Review, no. 10 (March 1976)", "March 1976", "1976-03"),
    ("Vol.18 No.5-Vol.19 No.1, September 1952-February 1953", "September 1952-February 1953",
     "1952-09/1953-02"),
    ("Written not later than April 29 (May 12), 1917", "April 29 (May 12), 1917", "1917-05-12"),
    ("Written: October 11/24, 1917", "October 11/24, 1917", "1917-10-24"),
    ("Tenth Congress, March 8-16, 1921, Moscow", "March 8-16, 1921", "1921-03-08/1921-03-16"),
    ("From Revolutionary History, Vol. 9 No. 4, 2008, pp. 96–107", "2008", "2008"),
])
def test_find_date(text: str, raw: str, value: str) -> None:
    found = find_date(text)
    assert found is not None
    assert (found.raw, found.value) == (raw, value)


def test_find_date_none() -> None:
    assert find_date("Transcribed by Ted Crawford.") is None


def test_non_english_fallback_never_invents_a_day() -> None:
    assert parse_date("15 de marzo de 1922", "es").value == "1922-03-15"
    assert parse_date("marzo de 1922", "es").value == "1922-03"


@pytest.mark.parametrize(("path", "value"), [
    ("archive/hansen/1946/06/purges2.html", "1946-06"),
    ("archive/lenin/works/1918/mar/02.htm", "1918-03"),
    ("archive/harman/2004/xx/risecap.htm", "2004"),
    ("archive/shachtma/1920s/xx/commune.html", "192X"),
    ("archive/weisbord/Passaic.htm", None),
])
def test_url_date(path: str, value: str | None) -> None:
    found = url_date(path)
    assert (found.value if found else None) == value


def test_julian_to_gregorian() -> None:
    assert julian_to_gregorian(1917, 10, 25) == (1917, 11, 7)
    assert julian_to_gregorian(1870, 4, 10) == (1870, 4, 22)
