"""Canonical URLs and page ids of the archive, and the pages of a local folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.urls import Site, file_folder_pages

ROOTS = {
    "http": "https://www.marxists.org/mia/",
    "file": "file:///srv/mirror/mia/",
}

# path as linked, relative to the root -> page id (None: not a page of this archive)
IDS: dict[str, tuple[str, str | None]] = {
    "work": ("archive/marx/works/1849/wage-labour/ch01.htm", "archive/marx/works/1849/wage-labour/ch01.htm"),
    "folder": ("archive/marx/", "archive/marx/index.htm"),
    "root": ("", "index.htm"),
    "space": ("archive/a%20b.htm", "archive/a b.htm"),
    "non-ascii": ("archive/espa%C3%B1ol/x.htm", "archive/español/x.htm"),
    "query-is-not-in-the-id": ("archive/x.htm?lang=en", "archive/x.htm"),
    "fragment": ("archive/x.htm#ch2", "archive/x.htm"),
    "dotdot-inside": ("archive/marx/../engels/x.htm", "archive/engels/x.htm"),
    "dotdot-leaves": ("../etc/passwd", None),
    "newline": ("archive/a%0Ab.htm", None),
    "carriage-return": ("archive/a%0db.htm", None),
    "nul": ("archive/a%00b.htm", None),
    "raw-control": ("archive/a\x01b.htm", None),
    "del": ("archive/a%7Fb.htm", None),
    "c1-next-line": ("archive/a%C2%85b.htm", None),
    "line-separator": ("archive/a%E2%80%A8b.htm", None),
    "encoded-slash-dotdot": ("archive/..%2F..%2Fetc/passwd", None),
    "encoded-slash-dotdot-lower": ("archive/..%2f..%2fetc/passwd", None),
    "all-encoded-dotdot-slash": ("archive/%2e%2e%2F%2E%2E%2Fetc/passwd", None),
    "encoded-dot-slash": ("archive/.%2Fx.htm", None),
    "encoded-slash": ("archive/a%2Fb.htm", None),
    # w3lib decodes an encoded dot before removing dot segments (RFC 3986 6.2.2): a plain `..`
    "encoded-dotdot-inside": ("archive/marx/%2e%2e/engels/x.htm", "archive/engels/x.htm"),
    "encoded-dotdot-mixed-case": ("archive/marx/%2E%2e/engels/x.htm", "archive/engels/x.htm"),
    "encoded-dotdot-leaves": ("%2e%2e/etc/passwd", None),
}


@pytest.mark.parametrize("scheme", ROOTS)
@pytest.mark.parametrize(("path", "expected"), IDS.values(), ids=IDS.keys())
def test_page_id(scheme: str, path: str, expected: str | None) -> None:
    root = ROOTS[scheme]
    site = Site.for_starts([root], root=root)
    assert site.page_id(root + path) == expected
    assert (site.canonical(root + path) is None) == (expected is None)


@pytest.mark.parametrize("code", [*range(0x20), *range(0x7F, 0xA0)], ids=lambda code: f"U+{code:04X}")
def test_an_id_never_holds_a_control_character(code: int) -> None:
    site = Site.for_starts([ROOTS["file"]], root=ROOTS["file"])
    # C0 and DEL percent-encoded; C1 as raw characters, which canonical() encodes as UTF-8 first
    spelled = f"%{code:02X}" if code < 0x80 else chr(code)
    assert site.page_id(f"{ROOTS['file']}archive/a{spelled}b.htm") is None


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A root folder with pages, and the traps a hostile mirror could hold."""
    root = tmp_path / "root"
    works = root / "archive" / "marx"
    works.mkdir(parents=True)
    (works / "wage.htm").write_text("<p>wage</p>")
    (works / "notes.txt").write_text("notes")
    (works / "same.htm").symlink_to(works / "wage.htm")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.htm").write_text("<p>secret</p>")
    (works / "leak.htm").symlink_to(outside / "secret.htm")
    (works / "out").symlink_to(outside)
    (works / "disk").symlink_to("/")
    (works / "dangling.htm").symlink_to(root / "nowhere.htm")
    os.mkfifo(works / "x.htm")
    return root


def _pages(root: Path, folder: str, boundary: str | None = "root") -> list[str] | None:
    base = root.as_uri() + "/"
    pages = file_folder_pages(base + folder, base if boundary == "root" else boundary)
    return None if pages is None else [page[len(base):] for page in pages]


def test_folder_pages_are_regular_files_inside(mirror: Path) -> None:
    assert _pages(mirror, "archive/") == ["archive/marx/same.htm", "archive/marx/wage.htm"]


@pytest.mark.parametrize("boundary", ["root", None], ids=["root", "folder-itself"])
def test_an_index_page_stands_for_its_folder(mirror: Path, boundary: str | None) -> None:
    (mirror / "archive" / "index.html").write_text("<p>index</p>")
    assert _pages(mirror, "archive/", boundary) == ["archive/index.html"]


def test_an_index_linked_outside_is_not_the_folder_s_index(mirror: Path, tmp_path: Path) -> None:
    (mirror / "archive" / "marx" / "index.htm").symlink_to(tmp_path / "outside" / "secret.htm")
    assert _pages(mirror, "archive/marx/") == ["archive/marx/same.htm", "archive/marx/wage.htm"]


def test_a_folder_outside_the_root_lists_nothing(mirror: Path) -> None:
    assert _pages(mirror, "archive/marx/out/") == []


def test_without_a_root_the_folder_is_the_boundary(mirror: Path) -> None:
    (mirror / "archive" / "up.htm").write_text("<p>up</p>")
    (mirror / "archive" / "marx" / "up.htm").symlink_to(mirror / "archive" / "up.htm")
    assert _pages(mirror, "archive/marx/", None) == ["archive/marx/same.htm", "archive/marx/wage.htm"]


@pytest.mark.parametrize("url", ["https://www.marxists.org/archive/", "file:///srv/mirror/a.htm"],
                         ids=["http", "file-not-a-folder"])
def test_other_urls_are_not_folders(url: str) -> None:
    assert file_folder_pages(url) is None


@pytest.mark.parametrize("path", ["a%EF%BF%BEb.htm", "a%EF%BF%BFb.htm"], ids=["u-fffe", "u-ffff"])
def test_noncharacters_never_reach_an_id(path: str) -> None:
    site = Site.for_starts(["https://www.marxists.org/archive/x/"])
    assert site.page_id("https://www.marxists.org/archive/x/" + path) is None


PLAIN_PIECES = ["a", "B", "0", "-", "_", "~", ".", "..", "/", "//", "index.htm", "x.html", "%41", "?q", "#f", " ",
                "é", ";", "A-b_c~d"]


@given(st.sampled_from(["http://127.0.0.1:8080/", "https://www.marxists.org/", "http://example.org/mia/"]),
       st.lists(st.sampled_from(PLAIN_PIECES), max_size=8).map("".join))
@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
def test_plain_paths_skip_parsing_and_give_the_same_spelling(root: str, path: str) -> None:
    site = Site(root=root, scope="site")
    assert site.canonical(root + path) == site._canonical(root + path)


@given(st.lists(st.sampled_from(PLAIN_PIECES), max_size=8).map("".join))
@settings(max_examples=1000, deadline=None, database=None, derandomize=True)
def test_plain_page_ids_are_the_parsed_ones(path: str) -> None:
    from urllib.parse import unquote, urlsplit

    root = "http://127.0.0.1:8080/"
    site = Site(root=root, scope="site")
    canonical = site._canonical(root + path)
    expected = None
    if canonical is not None:
        expected = unquote(urlsplit(canonical[len(root) - 1:]).path.lstrip("/"))
        expected = expected + "index.htm" if not expected or expected.endswith("/") else expected
    assert site.page_id(root + path) == expected
