"""Downloader middlewares: redirect loops end in a counted reject instead of vanishing."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware


class LoopSafeRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, except that a redirect back into its own chain is not silently dropped
    by the duplicate filter: it runs on to REDIRECT_MAX_TIMES and fails with a reason the spider
    records (`redirect_limit`)."""

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        result: Request = super()._redirect(redirected, request, reason)
        if result.url in result.meta.get("redirect_urls", []):
            result.dont_filter = True
        return result
