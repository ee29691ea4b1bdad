"""The WARC files themselves (output.warc): sealed when they reach their size, each listed once with its
size and hash; a file a killed process left open cut back to its whole records; responses read back as
they were received, or with their Content-Encoding undone."""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import os
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from output.warc import (
    OPEN,
    Sealed,
    WarcWriter,
    WriterClosed,
    builder,
    compress,
    describe,
    read_stored,
    record_bytes,
    repair,
    sealed_files,
)

PAGE = b"<html><body><h1>A Page</h1>" + b"<p>Some prose of the page.</p>" * 40 + b"</body></html>"


def _response(url: str, body: bytes, *headers: tuple[str, str]) -> bytes:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), *headers], protocol="HTTP/1.1")
    return record_bytes(builder().create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                                     http_headers=http))


def _read(path: Path) -> list[tuple[str, str | None, bytes]]:
    with open(path, "rb") as stream:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                for r in ArchiveIterator(stream)]


def test_files_are_sealed_at_their_size_and_each_reported_once(tmp_path: Path) -> None:
    sealed: list[Sealed] = []
    writer = WarcWriter(tmp_path, "RUN", max_bytes=4096)
    for n in range(40):
        body = PAGE + str(n).encode()
        file, (offset,), made_room = writer.append([_response(f"http://a.test/{n}.htm", body)])
        sealed += made_room
        assert file.startswith("warc/colophon-RUN-")
        path = tmp_path / file if (tmp_path / file).exists() else tmp_path / (file + OPEN)
        assert read_stored(path, offset, decoded=True).body == body
    sealed += writer.close()
    names = sealed_files(tmp_path)
    assert [s.name for s in sealed] == names and len(names) > 2
    assert names == [f"colophon-RUN-{n:05d}.warc.gz" for n in range(len(names))]
    urls = []
    for entry in sealed:
        path = tmp_path / "warc" / entry.name
        assert entry == describe(path)  # size, sha256 and records as sealed
        assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        records = _read(path)
        assert records[0][0] == "warcinfo"
        urls += [url for kind, url, _ in records if kind == "response"]
    assert urls == [f"http://a.test/{n}.htm" for n in range(40)]  # every record once, in order
    assert not list((tmp_path / "warc").glob(f"*{OPEN}"))


def test_a_file_left_open_is_cut_back_to_its_whole_records(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, "RUN")
    for n in range(3):
        writer.append([_response(f"http://a.test/{n}.htm", PAGE)])
    assert writer.name is not None
    path = tmp_path / "warc" / (writer.name + OPEN)
    whole = path.stat().st_size
    with open(path, "ab") as handle:  # a record half written when the process was killed
        record = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + PAGE)
        handle.write(record[: len(record) // 2])
    (tmp_path / "warc" / f"colophon-OTHER-00000.warc.gz{OPEN}").write_bytes(b"\x1f\x8b torn before one record")
    [sealed] = repair(tmp_path)
    final = tmp_path / "warc" / writer.name
    assert sealed == describe(final) and sealed.bytes == whole and sealed.records == 4
    assert [url for kind, url, _ in _read(final) if kind == "response"] == [f"http://a.test/{n}.htm" for n in range(3)]
    assert sealed_files(tmp_path) == [writer.name]  # the file without a whole record is gone
    resumed = WarcWriter(tmp_path, "RUN")
    file, _, _ = resumed.append([_response("http://a.test/3.htm", PAGE)])
    assert file == "warc/colophon-RUN-00001.warc.gz"  # a resumed run begins a file of its own


def test_a_response_reads_back_as_received_or_decoded(tmp_path: Path) -> None:
    compressed = gzip.compress(PAGE)
    writer = WarcWriter(tmp_path, "RUN")
    file, (offset,), _ = writer.append([_response("http://a.test/z.htm", compressed, ("Content-Encoding", "gzip"))])
    writer.close()
    raw = read_stored(tmp_path / file, offset, decoded=False)
    assert raw.body == compressed and ("Content-Encoding", "gzip") in raw.headers and raw.status == 200
    decoded = read_stored(tmp_path / file, offset, decoded=True)
    assert decoded.body == PAGE and not any(k.lower() == "content-encoding" for k, _ in decoded.headers)


def test_a_chunked_response_from_another_tool_is_read_without_its_chunks(tmp_path: Path) -> None:
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (PAGE[:100], PAGE[100:])) + b"0\r\n\r\n"
    writer = WarcWriter(tmp_path, "RUN")
    file, (offset,), _ = writer.append([_response("http://a.test/c.htm", chunked, ("Transfer-Encoding", "chunked"))])
    writer.close()
    stored = read_stored(tmp_path / file, offset, decoded=False)
    assert stored.body == PAGE and not any(k.lower() == "transfer-encoding" for k, _ in stored.headers)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.99])
def test_a_record_cut_anywhere_is_left_out_when_its_file_is_sealed(tmp_path: Path, cut: float) -> None:
    writer = WarcWriter(tmp_path, "RUN")
    for n in range(2):
        writer.append([_response(f"http://a.test/{n}.htm", PAGE)])
    assert writer.name is not None
    path = tmp_path / "warc" / (writer.name + OPEN)
    whole = path.stat().st_size
    torn = compress(_response("http://a.test/torn.htm", PAGE * 3))
    with open(path, "ab") as handle:
        handle.write(torn[: int(len(torn) * cut)])
    [sealed] = repair(tmp_path)
    assert sealed.bytes == whole and sealed.records == 3  # the warcinfo record and two responses
    final = tmp_path / "warc" / writer.name
    assert gzip.decompress(final.read_bytes()).count(b"WARC/1.1\r\n") == 3  # every member whole


def test_a_write_the_disk_refuses_leaves_the_file_whole_and_writes_nothing_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = WarcWriter(tmp_path, "RUN")
    writer.append([_response("http://a.test/0.htm", PAGE)])
    whole = writer.size
    real_write = os.write

    def short_then_full(fd: int, data: bytes) -> int:
        real_write(fd, data[:100])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_then_full)
    with pytest.raises(OSError):
        writer.append([_response("http://a.test/1.htm", PAGE)])
    monkeypatch.setattr(os, "write", real_write)
    with pytest.raises(OSError):  # nothing more once a write failed
        writer.append([_response("http://a.test/2.htm", PAGE)])
    [sealed] = writer.close()
    assert sealed == describe(tmp_path / "warc" / sealed.name) and sealed.bytes == whole
    with pytest.raises(WriterClosed):
        writer.append([_response("http://a.test/3.htm", PAGE)])


def test_a_non_ascii_header_replays_as_the_url_a_client_follows(tmp_path: Path) -> None:
    from scrapy.http import Headers

    from crawler.capture import _pairs

    headers = Headers({b"Location": "/café.htm".encode(), b"X-Latin": "Ü".encode("latin-1")})
    http = StatusAndHeaders("301 Moved Permanently", _pairs(headers), protocol="HTTP/1.1")
    record = builder().create_warc_record("http://a.test/old.htm", "response", payload=io.BytesIO(b""), length=0,
                                          http_headers=http)
    writer = WarcWriter(tmp_path, "RUN")
    file, (offset,), _ = writer.append([record_bytes(record)])
    writer.close()
    stored = dict(read_stored(tmp_path / file, offset, decoded=False).headers)
    assert stored["Location"] == "/caf%C3%A9.htm"  # as Scrapy follows the UTF-8 one, RFC 8187 style
    assert stored["X-Latin"] == "%C3%9C"  # Latin-1 bytes kept as the character they are


def test_a_decoded_body_is_kept_with_the_length_it_has() -> None:
    from scrapy.http import HtmlResponse

    from crawler.capture import _response_pairs

    decoded = HtmlResponse("http://a.test/p.htm", body=PAGE, headers={"Content-Length": "123"})
    assert dict(_response_pairs(decoded))["Content-Length"] == str(len(PAGE))
    encoded = HtmlResponse("http://a.test/p.htm", body=b"x" * 10,
                           headers={"Content-Length": "10", "Content-Encoding": "gzip"})
    assert dict(_response_pairs(encoded))["Content-Length"] == "10"


def test_the_index_keeps_a_good_capture_over_a_later_transient_failure_and_resolves_revisits(
        tmp_path: Path) -> None:
    from crawler.capture import WarcIndex

    def answer(url: str, status: str, body: bytes) -> bytes:
        http = StatusAndHeaders(status, [("Content-Type", "text/html")], protocol="HTTP/1.1")
        return record_bytes(builder().create_warc_record(url, "response", payload=io.BytesIO(body),
                                                         length=len(body), http_headers=http))

    writer = WarcWriter(tmp_path, "RUN")
    _, (good,), _ = writer.append([answer("http://a.test/p.htm", "200 OK", PAGE)])
    writer.append([answer("http://a.test/p.htm", "503 Service Unavailable", b"busy")])
    _, (gone,), _ = writer.append([answer("http://a.test/q.htm", "200 OK", b"old")])
    _, (removed,), _ = writer.append([answer("http://a.test/q.htm", "404 Not Found", b"gone")])
    other = builder().create_warc_record("http://a.test/copy.htm", "revisit",
                                         http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"))
    from output.warc import payload_digest

    other.rec_headers.add_header("WARC-Payload-Digest", payload_digest(PAGE))  # identical to p.htm's
    writer.append([record_bytes(other)])
    [sealed] = writer.close()
    index = WarcIndex([(tmp_path / "warc" / sealed.name, "x")])
    assert index.problems == []
    assert index.get("http://a.test/p.htm")[1].offset == good  # type: ignore[index]
    assert index.get("http://a.test/q.htm")[1].offset == removed  # type: ignore[index]
    assert gone != removed
    assert index.get("http://a.test/copy.htm")[1].offset == good  # type: ignore[index]
    assert index.get("http://a.test/never.htm") is None
