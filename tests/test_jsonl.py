"""Tests for antifraud_common.format.jsonl: streaming entries files with limits."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antifraud_common.errors import BlacklistFormatError
from antifraud_common.format import jsonl
from antifraud_common.format.jsonl import (
    DEFAULT_LIMITS,
    Limits,
    StreamDigest,
    iter_lines,
    write_atomic,
    write_lines,
)


def _read(data: bytes, **kw: object) -> list[tuple[int, bytes]]:
    return list(iter_lines(io.BytesIO(data), **kw))  # type: ignore[arg-type]


def _error(data: bytes, **kw: object) -> BlacklistFormatError:
    with pytest.raises(BlacklistFormatError) as info:
        _read(data, **kw)
    return info.value


def test_defaults_documented() -> None:
    assert (
        Limits(max_line_bytes=4096, max_entries=50_000_000, max_total_bytes=16 * 1024**3)
        == DEFAULT_LIMITS
    )
    with pytest.raises(ValueError):
        Limits(max_line_bytes=0)


def test_reads_lines_and_digest() -> None:
    data = b'{"a":1}\n{"b":"\xc3\xa9"}\n'
    digest = StreamDigest()
    assert _read(data, digest=digest) == [(1, b'{"a":1}'), (2, b'{"b":"\xc3\xa9"}')]
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert digest.digest() == hashlib.sha256(data).digest()
    assert (digest.byte_count, digest.line_count) == (len(data), 2)
    assert "line_count=2" in repr(digest)


def test_empty_file_is_zero_entries() -> None:
    digest = StreamDigest()
    assert _read(b"", digest=digest) == []
    assert digest.hexdigest() == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b'{"a":1}', "jsonl_missing_final_newline", 1),
        (b'{"a":1}\n{"a":2}', "jsonl_missing_final_newline", 2),
        (b"\n", "jsonl_empty_line", 1),
        (b'{"a":1}\n\n', "jsonl_empty_line", 2),
        (b'{"a":1}\r\n', "jsonl_cr", 1),
        (b'{"a":1}\n{"a"\r:2}\n', "jsonl_cr", 2),
        (b'\xef\xbb\xbf{"a":1}\n', "jsonl_bom", 1),
        (b"\xef\xbb\xbf", "jsonl_bom", 1),
        (b'{"a":1}\n"\xff"\n', "jsonl_invalid_utf8", 2),
        (b'"\xed\xa0\x80"\n', "jsonl_invalid_utf8", 1),
    ],
)
def test_refuses(data: bytes, code: str, line: int) -> None:
    err = _error(data)
    assert (err.code, err.line) == (code, line)
    assert f"line {line}" in str(err)


def test_bom_later_is_left_to_the_json_parser() -> None:
    # Only a BOM at the start of the file is a file-level problem.
    assert _read(b"1\n\xef\xbb\xbf1\n")[1] == (2, b"\xef\xbb\xbf1")


def test_limits() -> None:
    limits = Limits(max_line_bytes=4, max_entries=2, max_total_bytes=12)
    assert _read(b"1234\n12\n", limits=limits) == [(1, b"1234"), (2, b"12")]
    err = _error(b"12345\n", limits=limits)
    assert (err.code, err.line) == ("jsonl_line_too_long", 1)
    err = _error(b"1\n2\n3\n", limits=limits)
    assert (err.code, err.line) == ("jsonl_too_many_entries", 3)
    err = _error(b"1\n" + b"1234567890123", limits=Limits(max_line_bytes=100, max_total_bytes=12))
    assert err.code == "jsonl_too_large"


def test_endless_line_stops_early(monkeypatch: pytest.MonkeyPatch) -> None:
    # A line without LF never grows beyond one chunk plus the limit in memory.
    monkeypatch.setattr(jsonl, "_CHUNK", 8)

    class Endless(io.RawIOBase):
        reads = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.reads += 1
            return b"x" * n

    stream = Endless()
    with pytest.raises(BlacklistFormatError) as info:
        list(iter_lines(stream, limits=Limits(max_line_bytes=20)))  # type: ignore[arg-type]
    assert info.value.code == "jsonl_line_too_long"
    assert stream.reads <= 4


@settings(deadline=None)  # several passes per example; timing is not the point
@given(
    st.lists(st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b))
)
def test_chunk_boundaries_do_not_matter(lines: list[bytes]) -> None:
    lines = [b.decode("utf-8", "replace").encode("utf-8") for b in lines]
    lines = [b for b in lines if not b.startswith(b"\xef\xbb\xbf")]
    data = b"".join(line + b"\n" for line in lines)
    original = jsonl._CHUNK
    try:
        for chunk in (1, 3, 7, 64):
            jsonl._CHUNK = chunk
            digest = StreamDigest()
            got = _read(data, digest=digest)
            assert [line for _, line in got] == lines
            assert [n for n, _ in got] == list(range(1, len(lines) + 1))
            assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    finally:
        jsonl._CHUNK = original


def test_path_source_and_text_stream(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    path.write_bytes(b"1\n2\n")
    assert list(iter_lines(path)) == [(1, b"1"), (2, b"2")]
    assert list(iter_lines(str(path))) == [(1, b"1"), (2, b"2")]
    with pytest.raises(TypeError):
        list(iter_lines(io.StringIO("1\n")))  # type: ignore[arg-type]


def test_write_lines_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    lines = [b'{"a":1}', '{"b":"é"}'.encode()]
    digest = write_lines(path, iter(lines))
    data = path.read_bytes()
    assert data == b'{"a":1}\n' + '{"b":"é"}'.encode() + b"\n"
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert (digest.byte_count, digest.line_count) == (len(data), 2)
    assert [line for _, line in iter_lines(path)] == lines
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.jsonl"]


def test_write_lines_empty_and_large(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    assert write_lines(path, []).byte_count == 0
    assert path.read_bytes() == b""
    many = [str(i).encode() for i in range(300_000)]
    digest = write_lines(path, many)
    assert digest.line_count == 300_000
    assert sum(1 for _ in iter_lines(path)) == 300_000


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([b"ok", b""], "jsonl_empty_line"),
        ([b"a\nb"], "jsonl_lf"),
        ([b"a\r"], "jsonl_cr"),
        ([b"\xef\xbb\xbf1"], "jsonl_bom"),
        ([b"\xff"], "jsonl_invalid_utf8"),
        ([b"x" * 4097], "jsonl_line_too_long"),
    ],
)
def test_write_lines_refuses_and_keeps_old_file(
    tmp_path: Path, lines: list[bytes], code: str
) -> None:
    path = tmp_path / "list.jsonl"
    path.write_bytes(b"old\n")
    with pytest.raises(BlacklistFormatError) as info:
        write_lines(path, lines)
    assert info.value.code == code
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.jsonl"]


def test_write_lines_limits(tmp_path: Path) -> None:
    with pytest.raises(BlacklistFormatError) as info:
        write_lines(tmp_path / "x", [b"1", b"2"], limits=Limits(max_entries=1))
    assert info.value.code == "jsonl_too_many_entries"
    with pytest.raises(BlacklistFormatError) as info:
        write_lines(tmp_path / "x", [b"12", b"34"], limits=Limits(max_total_bytes=5))
    assert info.value.code == "jsonl_too_large"
    with pytest.raises(TypeError):
        write_lines(tmp_path / "x", ["text"])  # type: ignore[list-item]
    assert not (tmp_path / "x").exists()


def test_write_atomic(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl.sig"
    write_atomic(path, b"one")
    write_atomic(path, b"two", mode=0o600)
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["list.jsonl.sig"]
