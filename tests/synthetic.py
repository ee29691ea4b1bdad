"""A generated archive in the site's format, large enough for crash and refresh tests: authors with
index pages, labelled and prose colophons, a series, a book with chapters."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from crawler.cli.crawl import SAMPLE

PAGE = """<html><head><meta charset="utf-8"><title>{author}: {title}</title></head><body>
<h2>{author}</h2>
<h1>{title}</h1>
<h3>({day} {month} {year})</h3>
<hr class="infotop" />
<p class="info">From <strong>{paper}</strong>, Vol. {vol} No. {issue}, {day} {month} {year}, p.&nbsp;{page}.<br />
Transcribed &amp; marked up by Ann O&#8217;Neill for the <strong>Marxists&#8217; Internet Archive</strong>.</p>
<hr class="infobot" />
<p class="fst">{text}</p>
<p>Article {n} of {author} continues here with a second paragraph of ordinary prose.</p>
<p class="footer"><a href="../../index.htm">{author} Internet Archive</a></p>
<p class="updat">Last updated on 2 January 2020</p>
</body></html>
"""
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def work_path(slug: str, n: int) -> str:
    return f"archive/{slug}/{1930 + n % 20}/{n % 12 + 1:02d}/w{n}.htm"


def build(root: Path, authors: int = 4, works: int = 60) -> Path:
    """The built-in sample archive plus `authors` generated writers with `works` articles each."""
    shutil.copytree(SAMPLE, root)
    catalogue = json.loads((root / "admin/js/data/authors.json").read_text())
    index = root / "archive/index.htm"
    listing = []
    for a in range(authors):
        slug, name = f"writer{a}", f"Writer{a} Example"
        catalogue.append({"id": str(100 + a), "index": str(100 + a), "type": "13",
                          "href": f"archive/{slug}/index.htm", "name": f"Example, Writer{a}"})
        entries = []
        for n in range(works):
            year, month, day = 1930 + n % 20, MONTHS[n % 12], n % 27 + 1
            path = root / work_path(slug, n)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(PAGE.format(author=name, title=f"Article {n} by {name}", day=day, month=month,
                                        year=year, paper=f"Paper {a}", vol=n % 9 + 1, issue=n, page=n % 7 + 1,
                                        n=n, text=f"The text of article {n}, written by {name} in {year}."))
            entries.append(f'<p class="toc"><strong>{month}&#160;{year}</strong> '
                           f'<a href="{work_path(slug, n)[len(f"archive/{slug}/"):]}">Article {n}</a></p>')
        (root / f"archive/{slug}").mkdir(parents=True, exist_ok=True)
        (root / f"archive/{slug}/index.htm").write_text(
            f"<html><head><title>{name}</title></head><body><p class=\"title\">Marxist Writers: {name}</p>"
            f"<h1>{name}</h1>{''.join(entries)}<p class=\"updat\">Last updated on 1 May 2021</p></body></html>")
        listing.append(f'<p class="index"><a href="{slug}/index.htm">{name}</a></p>')
    index.write_text(index.read_text().replace("</body>", "".join(listing) + "</body>"))
    (root / "admin/js/data/authors.json").write_text(json.dumps(catalogue, indent=1))
    return root


def edit_between_runs(root: Path) -> dict[str, str]:
    """The archive changed between two runs: writer0's work 2 edited, work 5 deleted, a new work added
    and listed on the author's index. Returns the ids of each."""
    changed = root / work_path("writer0", 2)
    changed.write_text(changed.read_text().replace("The text of article 2", "The revised text of article 2"))
    (root / work_path("writer0", 5)).unlink()
    new = root / "archive/writer0/1960/01/new.htm"
    new.parent.mkdir(parents=True)
    new.write_text((root / work_path("writer0", 1)).read_text().replace("Article 1", "A New Article"))
    index = root / "archive/writer0/index.htm"
    index.write_text(index.read_text().replace("</h1>", '</h1><p class="toc"><a href="1960/01/new.htm">New</a></p>'))
    return {"modified": work_path("writer0", 2), "removed": work_path("writer0", 5),
            "added": "archive/writer0/1960/01/new.htm"}
