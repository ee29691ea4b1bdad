"""Log formatting: dropped duplicates are routine, logged at DEBUG and counted in stats instead."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


class QuietDrops(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        entry["msg"] = "Dropped: %(exception)s"
        entry["args"] = {"exception": exception}
        return entry
