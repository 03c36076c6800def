"""A lean HTTP/1.1 keep-alive client for load generation (used by `bench_api.py --mixed`).

httpx costs 4–6 ms of client CPU per request, so on a 2-core machine a load generator sending 200
reads/s takes most of a core from the server it measures. This client writes the request bytes and
reads the status line, headers and body (Content-Length or chunked) over at most `size` persistent
asyncio connections, and returns the status: about a tenth of that CPU. Loopback only, no TLS, no
redirects; a connection that fails or says `Connection: close` is dropped and a new one opened, and a
request on a kept connection the server closed while idle is sent again on a new one.
"""

from __future__ import annotations

import asyncio


class KeepAliveClient:
    def __init__(self, host: str, port: int, size: int, timeout: float = 60.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str) -> int:
        return await self.request("GET", path)

    async def post_json(self, path: str, body: bytes) -> int:
        return await self.request("POST", path, body)

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        """The response status; raises OSError / asyncio.TimeoutError / IncompleteReadError."""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if method != "GET" else "")
                + "\r\n").encode()
        async with self._slots:
            while True:
                reused = bool(self._idle)
                reader, writer = self._idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
                try:
                    status, keep = await asyncio.wait_for(self._exchange(reader, writer, head + body), self.timeout)
                    break
                except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                    writer.close()
                    stale = reused and not getattr(exc, "partial", b"")  # closed by the server while idle
                    if not stale:
                        raise
                except BaseException:
                    writer.close()
                    raise
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return status

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        data: bytes) -> tuple[int, bool]:
        writer.write(data)
        head = (await reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        length = _header(head, b"content-length")
        if length is not None:
            await reader.readexactly(int(length))
        elif _header(head, b"transfer-encoding") == b"chunked":
            while (size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        return status, _header(head, b"connection") != b"close"

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


def _header(head: bytes, name: bytes) -> bytes | None:
    start = head.find(b"\r\n" + name + b":")
    if start < 0:
        return None
    end = head.find(b"\r\n", start + 2)
    return head[start + len(name) + 3 : end].strip()
