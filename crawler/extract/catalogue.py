"""The archive's own catalogues (admin/js/data/*.json): author folder -> canonical name, sections."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from crawler.extract.vocab import AUTHOR_ALIAS, ENGLISH_ROOTS, SECTION_LANGUAGES

AUTHORS_PATH = "admin/js/data/authors.json"
SECTIONS_PATH = "admin/js/data/sections.json"


def forename_first(name: str) -> str:
    """'Hansen, Joseph' -> 'Joseph Hansen'; a name without a comma stays as it is."""
    name = " ".join(name.split())
    surname, sep, forenames = name.partition(",")
    if not sep or not forenames.strip():
        return name
    return f"{forenames.strip()} {surname.strip()}"


def author_root(path: str) -> str | None:
    """The author folder that holds a site path: `archive/hansen`, `history/etol/writers/kerry`."""
    parts = path.split("/")
    for prefix in (("history", "etol", "writers"), ("reference", "archive"), ("history", "archive"),
                   ("archive",)):
        n = len(prefix)
        if tuple(parts[:n]) == prefix and len(parts) > n + 1:
            return "/".join(parts[: n + 1])
    if parts[0] in SECTION_LANGUAGES and len(parts) > 2:
        return "/".join(parts[:2])
    return None


@dataclass
class Catalogue:
    """Folder -> canonical author name, as the archive being read publishes it."""

    authors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, authors_json: bytes | str | None) -> Catalogue:
        catalogue = cls()
        if not authors_json:
            return catalogue
        try:
            entries = json.loads(authors_json)
        except ValueError:
            return catalogue
        if not isinstance(entries, list):
            return catalogue
        listed: dict[str, list[str]] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            href, name = str(entry.get("href", "")), str(entry.get("name", ""))
            if not href or not name.strip():
                continue
            folder = href.rsplit("/", 1)[0] if href.endswith((".htm", ".html")) else href.rstrip("/")
            root = author_root(folder + "/x") or folder
            for key in {folder, root}:
                listed.setdefault(key, []).append(name)
        for key, names in listed.items():
            # A folder listed under several names ("Corey, Lewis (Louis Fraina)" and
            # "Fraina, Louis"): the plain entry wins over the one carrying a bracketed alias.
            plain = [n for n in names if "(" not in n]
            catalogue.authors[key] = forename_first(plain[0] if plain else AUTHOR_ALIAS.sub("", names[0]))
        return catalogue

    @classmethod
    def from_root(cls, root: Path) -> Catalogue:
        path = root / AUTHORS_PATH
        return cls.from_json(path.read_bytes()) if path.is_file() else cls()

    def author_for(self, path: str) -> tuple[str | None, str | None]:
        """(canonical name, author folder slug) for a site path, either may be None."""
        root = author_root(path)
        slug = root.rsplit("/", 1)[1] if root else None
        parts = path.split("/")
        for end in range(len(parts) - 1, 0, -1):
            name = self.authors.get("/".join(parts[:end]))
            if name:
                return name, slug
        if root and parts[0] in SECTION_LANGUAGES and slug:
            # A language section's author folder shares its slug with the English archive.
            for english in ("archive", "reference/archive", "history/etol/writers"):
                name = self.authors.get(f"{english}/{slug}")
                if name:
                    return name, slug
        return None, slug


def language_of(path: str) -> str:
    """ISO 639-1 code of a site path's section; the English archive is `en`."""
    top = path.split("/", 1)[0].lower()
    if top in ENGLISH_ROOTS:
        return "en"
    return SECTION_LANGUAGES.get(top, "en")
