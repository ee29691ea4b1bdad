"""Where conditional requests are made: a downloader middleware that asks each page (and the
author catalogue) with the validators its last copy was served with, and lets a 304 through to the
spider as the answer "not modified" (followed from what the store knows of the page).

Which pages are asked at all this run is the revisit plan (output.state.StateStore.plan, under the
run's Policy: a page not due is not asked, its known links are followed instead); a page that was
removed or never found is asked unconditionally, so that if it has come back a 304 against its old
copy cannot keep it removed.
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Request, Response

ASKED = "colophon_conditional"  # request meta: the validators were looked up (once per request)
REMEMBERED = "remembered"  # request meta: the memo key of a resource kept between runs (the catalogue)


class IncrementalMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> IncrementalMiddleware:
        return cls(crawler)

    def _validators(self, request: Request) -> tuple[str | None, str | None] | None:
        run = getattr(self.crawler.spider, "run", None)
        if run is None:
            return None
        key = request.meta.get(REMEMBERED)
        if key is not None:
            kept = run.state.recall(key)
            return (kept[1], kept[2]) if kept is not None else None
        page_id = request.meta.get("frontier_id")
        return run.state.validators(page_id) if page_id else None

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get(ASKED):
            return  # a retry or a redirect hop of a request already asked
        request.meta[ASKED] = True
        validators = self._validators(request)
        if not validators or not any(validators):
            return
        etag, last_modified = validators
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        # A 304 is an answer, not an HTTP error (scrapy.spidermiddlewares.httperror).
        request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", ()), 304]

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if response.status == 304 and "frontier_id" in request.meta:
            self.crawler.stats.inc_value("colophon/not_modified")
        return response
