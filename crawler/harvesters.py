"""Where a crawl reads its pages: in its own process (one worker), or in extraction processes beside
it (`--workers N`), so that every core reads pages while the crawl process fetches, navigates and
stores. The record is the same either way: extraction is a pure function of the bytes, the URL,
the author catalogue and how the page was fetched (crawler.extract.harvest_page). The WARC records
of what the crawl received are built there too (output.warc.exchange_records, as pure), and
written by the crawl process, its dataset's one writer.

Each extraction process (`python -m crawler.harvesters`) takes tasks (a page to read, an exchange
to keep) from its standard input and writes what each gave to its standard output, in order, one
frame each (a length, then a pickle: both ends are this code). The crawl process talks to them
through its event loop's pipes, with no thread of its own to contend with it for the interpreter.

An extraction process that dies (a crash in a native library, the kernel's OOM killer) is replaced
and each task it held is given again; a page that stops a process a second time is a reject
(`extract_crashed`), never a lost page nor a crashed crawl (an exchange that does has its records
built in the crawl process).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import importlib
import logging
import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from crawler.extract import Catalogue, Fetch, Harvest
from models import Reject, utc_now
from output.warc import Exchange, Records, exchange_records

logger = logging.getLogger(__name__)

READ = "crawler.extract:harvest_page"  # what an extraction process runs on each page
HARVESTED = "colophon_harvest"          # request.meta: the Harvest a worker of a distributed crawl made
_FRAME = struct.Struct("!Q")            # each frame: its length, then a pickle


STILLBORN = 3  # extraction processes in a row that die before they are ready: the reading is broken


class ExtractionBroken(Exception):
    """Extraction processes die before they are ready to read (a broken install, a missing module):
    no page is to blame, and the crawl cannot go on."""


class ReaderStopped(Exception):
    """An extraction process ended with pages unread. ``reading``: this page was the one it was
    reading (the others were only waiting behind it, and are not to blame)."""

    def __init__(self, reading: bool = False) -> None:
        super().__init__("the extraction process stopped" + (" reading this page" if reading else ""))
        self.reading = reading


def local_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1


def page_fetch(response: Any, fetched_at: str | None = None) -> Fetch | None:
    """How a response was fetched, for the record read from it; None when it is not a page to read
    (its Content-Type names something else than HTML or text, and its URL no .htm or .html)."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if (content_type and "html" not in content_type and not content_type.startswith("text/plain")
            and not response.url.lower().endswith((".htm", ".html"))):
        return None
    charset = None
    if "charset=" in content_type:
        charset = content_type.split("charset=", 1)[1].split(";")[0].strip()
    return Fetch(
        fetched_at=fetched_at or utc_now(),
        http_status=response.status if response.url.startswith("http") else None,
        etag=header_text(response, b"ETag"),
        last_modified=header_text(response, b"Last-Modified"),
        charset=charset,
    )


def header_text(response: Any, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _frame(value: Any) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME.pack(len(payload)) + payload


class _Reader:
    """One extraction process and the pages it has been given, oldest first."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.alive = True
        self.ready = False  # it has its reading function and the catalogue: what stops it now is a page
        self.listening = asyncio.ensure_future(self._listen())

    def send(self, task: tuple[str, Any]) -> asyncio.Future[Any]:
        assert self.process.stdin is not None
        if not self.alive:
            raise ReaderStopped()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        self.process.stdin.write(_frame(task))
        return future

    async def _listen(self) -> None:
        assert self.process.stdout is not None
        try:
            while True:
                size = _FRAME.unpack(await self.process.stdout.readexactly(_FRAME.size))[0]
                answer = pickle.loads(await self.process.stdout.readexactly(size))
                if not self.ready:
                    self.ready = True  # the first frame says so
                    continue
                future = self.waiting.popleft()
                if not future.done():
                    future.set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the process ended
        except Exception as error:  # a frame that is not one: the process is not to be trusted
            logger.error("an extraction process sent an unreadable answer (%s); stopping it", error)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        finally:
            self.alive = False
            first = self.ready  # a process that never got ready was reading no page
            while self.waiting:
                future = self.waiting.popleft()
                if not future.done():
                    future.set_exception(ReaderStopped(reading=first))
                first = False

    async def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()  # end of input: the process finishes and exits
        await self.process.wait()
        await self.listening


class Harvester:
    """Reads pages for the spider: `await harvester.harvest(...)` gives the page's Harvest.
    ``workers`` 1 reads in this process; more starts that many extraction processes once the
    catalogue is known (`start`). ``read``: what they run on a page ("module:function", the
    signature of crawler.extract.harvest_page)."""

    def __init__(self, workers: int = 1, read: str = READ) -> None:
        if workers < 1:
            raise ValueError(f"COLOPHON_WORKERS must be at least 1, got {workers}")
        self.workers = workers
        self.read = read
        self.catalogue = Catalogue()
        self.readers: list[_Reader] = []
        self.starting: asyncio.Future[None] | None = None
        self.replacing: asyncio.Future[None] | None = None
        self.stillborn = 0
        self.broken: ExtractionBroken | None = None
        self.restarts = 0
        self.crashed = 0

    @property
    def pooled(self) -> bool:
        """Whether tasks go to extraction processes (started once the catalogue is known)."""
        return self.starting is not None

    def start(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        if self.workers > 1 and self.starting is None:
            self.starting = asyncio.ensure_future(self._spawn(self.workers))

    async def _spawn(self, count: int) -> None:
        for _ in range(count):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "crawler.harvesters", self.read, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, env=_child_environment())
            reader = _Reader(process)
            assert process.stdin is not None
            process.stdin.write(_frame(self.catalogue))
            self.readers.append(reader)

    async def harvest(self, body: bytes, url: str, page_id: str, fetch: Fetch) -> Harvest:
        if not self.pooled:
            if self.read == READ:
                return _read_in_process(body, url, page_id, self.catalogue, fetch)
            return _resolve(self.read)(body, url, page_id, self.catalogue, fetch)
        harvest: Harvest | bool = await self._ask(("read", (body, url, page_id, fetch)))
        if not isinstance(harvest, Harvest):
            self.crashed += 1
            logger.error("reading %s stopped an extraction process twice: rejected", url)
            return Harvest(Reject(url=url, stage="extract", code="extract_crashed",
                                  message="reading the page stopped the extraction process",
                                  fetched_at=fetch.fetched_at or utc_now()), [], 0)
        return harvest

    async def capture(self, exchange: Exchange) -> Records:
        """The WARC records of an exchange, built by an extraction process once they are running
        (here before, and for an exchange whose building stopped a process twice)."""
        if not self.pooled:
            return exchange_records(exchange)
        try:
            records: Records | bool | None = await self._ask(("capture", exchange))
        except (ExtractionBroken, OSError):  # no pool to build them: reading the page says so, and stops the crawl
            return exchange_records(exchange)
        if records is False:
            logger.error("keeping %s stopped an extraction process twice: its records are built here", exchange.url)
        if not isinstance(records, Records):  # or they could not be built there: here, what fails says why
            return exchange_records(exchange)
        return records

    async def _ask(self, task: tuple[str, Any]) -> Any:
        """What an extraction process answers to ``task``; False once the task was the one a process
        was working on when it stopped, twice."""
        assert self.starting is not None
        await self.starting
        stopped_working = 0  # times this task was the one a process was on when it stopped
        while True:
            reader = await self._reader()
            try:
                return await reader.send(task)
            except ReaderStopped as stop:
                await self._replace(reader)
                stopped_working += stop.reading
                if stopped_working == 2:
                    return False

    async def _reader(self) -> _Reader:
        """The live process with the fewest pages waiting, once every process found stopped (even
        one that stopped with nothing to read) has been replaced."""
        while True:
            if self.replacing is not None:
                await asyncio.shield(self.replacing)
                continue
            stopped = next((r for r in self.readers if not r.alive), None)
            if stopped is not None or not self.readers:
                await self._replace(stopped)
                continue
            return min(self.readers, key=lambda r: len(r.waiting))

    async def _replace(self, stopped: _Reader | None) -> None:
        """A new extraction process in place of one that stopped (once, however many pages saw it stop)."""
        if self.replacing is not None:
            await asyncio.shield(self.replacing)
        if stopped is not None and stopped not in self.readers:
            return
        if stopped is not None:
            self.readers.remove(stopped)
            self.stillborn = 0 if stopped.ready else self.stillborn + 1
            if self.stillborn >= STILLBORN:
                code = await stopped.process.wait()
                self.broken = ExtractionBroken(f"{self.stillborn} extraction processes in a row stopped before they "
                                               f"were ready to read a page (exit {code}): see their messages above")
        if self.broken is not None:
            raise self.broken
        self.restarts += 1
        self.replacing = asyncio.ensure_future(self._respawn(stopped))
        try:
            await asyncio.shield(self.replacing)
        finally:
            self.replacing = None

    async def _respawn(self, stopped: _Reader | None) -> None:
        if stopped is not None:
            logger.warning("an extraction process stopped (exit %s); starting another", await stopped.process.wait())
        await self._spawn(1)

    async def close(self) -> None:
        if self.starting is not None:
            await self.starting
        if self.replacing is not None:
            await asyncio.shield(self.replacing)
        for reader in self.readers:
            await reader.close()
        self.readers.clear()

    @functools.cached_property
    def version(self) -> str:
        """The version of the extractor that reads the pages (its module's EXTRACTOR_VERSION): a
        stored record made by another is read again from its stored bytes (crawler.spiders.archive)."""
        module = importlib.import_module(self.read.partition(":")[0])
        return str(getattr(module, "EXTRACTOR_VERSION", ""))

    @classmethod
    def from_settings(cls, settings: Any) -> Harvester:
        return cls(settings.getint("COLOPHON_WORKERS", 1), settings.get("COLOPHON_EXTRACTOR") or READ)


def _child_environment() -> dict[str, str]:
    """This process's environment, with the folder this code is imported from first on the path:
    an extraction process runs the code the crawl runs."""
    home = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": home + (os.pathsep + path if path else "")}


def _read_in_process(body: bytes, url: str, page_id: str, catalogue: Catalogue, fetch: Fetch) -> Harvest:
    from crawler.extract import harvest_page

    return harvest_page(body, url, page_id, catalogue, fetch)


def _resolve(name: str) -> Callable[..., Harvest]:
    module, _, function = name.partition(":")
    reader: Callable[..., Harvest] = getattr(importlib.import_module(module), function)
    return reader


def _read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(_FRAME.size)
    if len(header) < _FRAME.size:
        return None
    return stream.read(_FRAME.unpack(header)[0])


def serve(read_name: str) -> None:
    """An extraction process: the catalogue, then tasks until the end of its input. Ctrl-C and
    SIGTERM are left to the crawl process, which finishes the pages in flight and then closes our
    input; whatever a library prints goes to standard error, not into the frames."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    frames_in = sys.stdin.buffer
    frames_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    read = _resolve(read_name)
    first = _read_frame(frames_in)
    if first is None:
        return
    catalogue = pickle.loads(first)
    frames_out.write(_frame("ready"))
    frames_out.flush()
    while (frame := _read_frame(frames_in)) is not None:
        task, argument = pickle.loads(frame)
        if task == "capture":
            try:
                answer: Any = exchange_records(argument)
            except Exception:  # built again by the crawl process, which says what went wrong
                answer = None
            frames_out.write(_frame(answer))
        else:
            body, url, page_id, fetch = argument
            frames_out.write(_frame(read(body, url, page_id, catalogue, fetch)))
        frames_out.flush()


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else READ)
