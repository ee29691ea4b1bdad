"""`colophon serve`: a dataset as an OAI-PMH 2.0 repository."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from crawler.errors import UsageError
from crawler.options import non_negative


def add_parser(sub: Any) -> None:
    serve = sub.add_parser(
        "serve", help="serve a dataset as an OAI-PMH 2.0 repository",
        description="An OAI-PMH 2.0 repository over a dataset folder, base URL /oai: all six verbs, oai_dc "
                    "and marc21, sets per author and per periodical, resumption tokens, persistent deletions.")
    serve.add_argument("folder", help="the dataset folder")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=non_negative(int, "--port"), default=8080, help="port (default 8080; 0: any)")
    serve.add_argument("--page-size", type=non_negative(int, "--page-size"), default=100,
                       help="records per list response before a resumption token (default 100)")
    serve.add_argument("--name", default="Colophon dataset", help="the repository name in Identify")
    serve.add_argument("--admin-email", default="admin@localhost", help="adminEmail in Identify")
    serve.add_argument("--repository-identifier", metavar="DOMAIN",
                       help="the domain every identifier names (oai:DOMAIN:archive/...; default: the archive's own, "
                            "from the records' URLs, e.g. marxists.org)")
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from output.oai import Unavailable, serve
    from output.oai.repository import valid_identifier

    folder = Path(args.folder)
    if args.repository_identifier is not None and not valid_identifier(args.repository_identifier):
        raise UsageError(f"serve: --repository-identifier {args.repository_identifier!r} is not a domain name "
                         "(e.g. marxists.org)")
    try:
        serve(folder, args.host, args.port, page_size=max(1, args.page_size), name=args.name,
              admin_email=args.admin_email, repository_id=args.repository_identifier)
    except Unavailable as error:
        raise UsageError(f"serve: {folder} is not a readable dataset folder: {error}") from None
    except OSError as error:
        raise UsageError(f"serve: cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    return 0
