"""The WARC files themselves (output.warc): sealed when they reach their size, each listed once with its
size and hash; a file a killed process left open cut back to its whole records; responses read back as
they were received, or with their Content-Encoding undone."""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from output.warc import OPEN, Sealed, WarcWriter, builder, describe, read_stored, record_bytes, repair, sealed_files

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
    for n in range(40):  # in the writer's thread, as a crawl writes them
        body = PAGE + str(n).encode()
        file, (offset,), made_room = writer.submit([_response(f"http://a.test/{n}.htm", body)]).result()
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
