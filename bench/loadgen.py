"""A small closed-loop load generator for GET /hits, over HTTP or straight to a uWSGI socket.

Standard library only (Python 3.11): http_bench.py runs it inside the www container (`python3 -`
reading this file on stdin) and on the host, so every path is measured by the same code. Each
connection first gets a session of its own (the session cookie), then sends GET /hits back to back;
a response is an error unless it is 200 with the session's next count, so the Redis session path
is exercised and checked. Prints one JSON line.

  loadgen.py uwsgi:/var/dotcloud/uwsgi.sock --host www.app.localhost
  loadgen.py http://gateway:8080 --host www.app.localhost
"""

from __future__ import annotations

import argparse
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PATH = "/hits"
TIMEOUT = 10.0


@dataclass
class Reply:
    status: int
    body: bytes
    cookie: str | None


class UwsgiClient:
    """One request per connection, like nginx's uwsgi_pass: the uwsgi packet, then read to EOF."""

    def __init__(self, socket_path: str, host: str) -> None:
        self.socket_path = socket_path
        self.host = host

    def get(self, path: str, cookie: str | None) -> Reply:
        variables = {
            "REQUEST_METHOD": "GET",
            "REQUEST_URI": path,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "CONTENT_TYPE": "",
            "CONTENT_LENGTH": "",
            "SCRIPT_NAME": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_SCHEME": "http",
            "SERVER_NAME": self.host,
            "SERVER_PORT": "8080",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "0",
            "HTTP_HOST": self.host,
        }
        if cookie:
            variables["HTTP_COOKIE"] = cookie
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.connect(self.socket_path)
            sock.sendall(uwsgi_packet(variables))
            return parse_response(read_all(sock))

    def close(self) -> None:
        pass


def uwsgi_packet(variables: dict[str, str]) -> bytes:
    """modifier1 0, the vars' size (u16 little-endian), modifier2 0, then length-prefixed pairs."""
    body = b"".join(
        length_prefixed(key.encode("latin-1")) + length_prefixed(value.encode("latin-1"))
        for key, value in variables.items()
    )
    return struct.pack("<BHB", 0, len(body), 0) + body


def length_prefixed(data: bytes) -> bytes:
    return struct.pack("<H", len(data)) + data


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse_response(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    cookie = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "set-cookie":
            cookie = value.strip().split(";")[0]
    return Reply(status, body, cookie)


class HttpClient:
    """HTTP/1.1 over one keep-alive socket, with the same minimal parsing as the uWSGI client."""

    def __init__(self, url: str, host: str) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.host = host
        self.sock: socket.socket | None = None
        self.buffer = b""

    def get(self, path: str, cookie: str | None) -> Reply:
        cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{cookie_line}\r\n"
        try:
            sock = self.connected()
            sock.sendall(request.encode("latin-1"))
            head = self.read_until(b"\r\n\r\n")
            reply = parse_response(head)
            reply.body = self.read_exactly(content_length(head))
        except (OSError, ValueError):
            self.close()
            raise
        if b"\r\nconnection: close" in head.lower():
            self.close()
        return reply

    def connected(self) -> socket.socket:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=TIMEOUT)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        return self.sock

    def read_until(self, marker: bytes) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            self.receive()
        end += len(marker)
        data, self.buffer = self.buffer[:end], self.buffer[end:]
        return data

    def read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.receive()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def receive(self) -> None:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError("a response without Content-Length (the generator reads only those)")


Client = UwsgiClient | HttpClient


def make_client(target: str, host: str) -> Client:
    if target.startswith("uwsgi:"):
        return UwsgiClient(target.removeprefix("uwsgi:"), host)
    return HttpClient(target, host)


@dataclass
class Worker:
    client: Client
    measure_from: float
    stop_at: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    last_error: str = ""
    finished: float = 0.0

    def run(self) -> None:
        cookie, count = self.start_session()
        while (now := time.perf_counter()) < self.stop_at:
            error = self.attempt(cookie, count + 1)
            elapsed = time.perf_counter() - now
            if not error:
                count += 1
            elif not self.last_error:
                self.last_error = error
            if now >= self.measure_from:
                self.record(not error, elapsed)
        self.finished = time.perf_counter()
        self.client.close()

    def attempt(self, cookie: str | None, expected: int) -> str:
        """One GET /hits; the error's description, or "" when the session's next count came back."""
        try:
            reply = self.client.get(PATH, cookie)
        except (OSError, ValueError) as exc:
            return f"{exc.__class__.__name__}: {exc}"
        if reply.status != 200 or reply.body.strip() != str(expected).encode():
            return f"status {reply.status}, body {reply.body[:60]!r}"
        return ""

    def record(self, ok: bool, elapsed: float) -> None:
        if ok:
            self.latencies.append(elapsed)
        else:
            self.errors += 1

    def start_session(self) -> tuple[str | None, int]:
        reply = self.client.get(PATH, None)
        if reply.status != 200 or not reply.cookie:
            raise RuntimeError(f"no session: status {reply.status}, body {reply.body[:60]!r}")
        return reply.cookie, int(reply.body.strip())


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(
    target: str, host: str, concurrency: int, warmup: float, duration: float
) -> dict[str, object]:
    start = time.perf_counter()
    measure_from = start + warmup
    workers = [
        Worker(make_client(target, host), measure_from, measure_from + duration)
        for _ in range(concurrency)
    ]
    threads = [threading.Thread(target=worker.run) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(latency for worker in workers for latency in worker.latencies)
    seconds = max(worker.finished for worker in workers) - measure_from
    errors = sum(worker.errors for worker in workers)
    return {
        "target": target,
        "concurrency": concurrency,
        "seconds": round(seconds, 3),
        "requests": len(latencies),
        "errors": errors,
        "last_error": next((w.last_error for w in workers if w.last_error), ""),
        "rps": len(latencies) / seconds if seconds > 0 else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="uwsgi:SOCKET_PATH or http://HOST:PORT")
    parser.add_argument("--host", required=True, help="the Host header (HTTP_HOST for uWSGI)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    args = parser.parse_args()
    result = run(args.target, args.host, args.concurrency, args.warmup, args.duration)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
