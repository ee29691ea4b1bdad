"""The `colophon` command line (crawler.cli.app builds it; one module per command)."""

from crawler.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
