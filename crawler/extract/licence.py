"""The licence a colophon states: public domain, copyleft or copyright, and the licence it names or
links to (an SPDX id)."""

from __future__ import annotations

from crawler.extract.resolve import resolver
from crawler.extract.text import clean, normalise_label
from crawler.extract.vocab import (
    COPYLEFT,
    COPYLEFT_LABELS,
    COPYRIGHT,
    COPYRIGHT_LABELS,
    LICENCE_HINT,
    LICENCE_LINKS,
    LICENCE_WORDS,
    PUBLIC_DOMAIN,
    PUBLIC_DOMAIN_LABELS,
    SAYS_PUBLIC_DOMAIN,
)
from models import Licence


def states_licence(text: str) -> bool:
    """An unlabelled colophon line that speaks of the text's licence ("… is in the public domain")."""
    return LICENCE_HINT.search(text) is not None


def licence_of(label: str | None, statement: str | None, links: list[tuple[str, str]],
               base_url: str) -> Licence:
    """The licence of a labelled or unlabelled statement: its status from its words (then from its
    label), its id from the licence it links to (then from the licence it names)."""
    if label is None and statement is None:
        return Licence()
    text = statement or ""
    key = normalise_label(label) if label else ""
    if SAYS_PUBLIC_DOMAIN.search(text) or key in PUBLIC_DOMAIN_LABELS:
        status = "public_domain"
    elif key in COPYLEFT_LABELS:
        status = "copyleft"
    elif COPYRIGHT.search(text) and not PUBLIC_DOMAIN.search(text):
        status = "copyright"
    elif PUBLIC_DOMAIN.search(text):
        status = "public_domain"
    elif COPYLEFT.search(text):
        status = "copyleft"
    elif key in COPYRIGHT_LABELS:
        status = "copyright"
    else:
        status = "unknown"
    licence_id, url = None, None
    for href, _ in links:
        for needle, spdx in LICENCE_LINKS:
            if needle in href.lower():
                licence_id, url = spdx, resolver(base_url)(href)
                break
        if licence_id:
            break
    if licence_id is None:
        for pattern, spdx in LICENCE_WORDS:
            if pattern.search(text):
                licence_id = spdx
                break
    return Licence(raw=statement or None, label=clean(label).rstrip(":") if label else None,
                   status=status, id=licence_id, url=url)
