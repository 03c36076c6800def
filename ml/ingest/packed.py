"""Compressed input files: gzip and zstd opened as streams (``open_packed``), with the limits a reader
checks while it reads (``ml.ingest.encoding.scan``: ``PACKED_RATIO`` against decompression bombs, ``BROKEN``: the
errors of a file cut short or corrupt)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import zstandard


def open_packed(path: Path, compression: str | None, mode: str = "rb", **kwargs):
    """``path`` opened through its compression (``ml.ingest.paths.suffix_format``): gzip, zstd (with the 2 GiB
    window Reddit's Pushshift dumps are written with), or none."""
    if compression == "gzip":
        return gzip.open(path, mode, **kwargs)
    if compression == "zstd":
        raw = io.BufferedReader(_ZstdReader(open(path, "rb")), 1 << 20)  # noqa: SIM115 - the with-block closes it
        return io.TextIOWrapper(raw, **kwargs) if "t" in mode else raw
    return open(path, mode, **kwargs)


class _ZstdReader(io.RawIOBase):
    """A zstd file's bytes, frame after frame; EOFError when the file ends inside a frame (a cut download:
    zstandard's own stream reader returns what it has and says nothing). Packed bytes are fed ``PIECE`` at a
    time: zstd expands at most about 32,000 times, so one step holds at most about 256 MB, and ``scan`` refuses
    a bomb before the next."""

    def __init__(self, handle):
        self._handle, self._out, self._at, self._left, self._frame = handle, memoryview(b""), 0, b"", None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._at >= len(self._out):
            data = self._left or self._handle.read(PIECE)
            if not data:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("the compressed data ends inside a frame: the file is incomplete")
                return 0
            if self._frame is None or self._frame.eof:
                self._frame = zstandard.ZstdDecompressor(max_window_size=2**31).decompressobj()
            self._out, self._at, self._left = memoryview(self._frame.decompress(data)), 0, b""
            if self._frame.eof:
                self._left = self._frame.unused_data
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = self._out[self._at:self._at + n]
        self._at += n
        return n

    def close(self) -> None:
        self._handle.close()
        super().close()


PIECE = 8192  # packed bytes per decompression step (_ZstdReader)
PACKED_RATIO = 1000  # a compressed file expanding more, past BOMB_MIN_BYTES, is refused (gzip cannot exceed ~1032)
BROKEN = (OSError, EOFError, gzip.BadGzipFile, zstandard.ZstdError)  # a compressed file cut short or corrupt
