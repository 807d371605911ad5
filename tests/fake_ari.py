"""A stand-in for Asterisk's ARI over real HTTP on loopback, for the tiers without Asterisk:
it answers every request as Asterisk answers one that succeeds, and keeps what it was sent.
The API's operations that ring phones run their success paths against it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class FakeAri:
    url: str
    requests: list[tuple[str, str, dict[str, list[str]], object]] = field(default_factory=list)

    def sent(self, method: str, path_start: str) -> list[tuple[dict[str, list[str]], object]]:
        """(query, JSON body) of each request with this method whose path starts so."""
        return [(query, body) for m, path, query, body in self.requests if m == method and path.startswith(path_start)]


def _handler(fake: FakeAri) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            path = parts.path.removeprefix("/ari/")
            fake.requests.append((self.command, path, parse_qs(parts.query), body))
            answer = json.dumps({"id": path.rsplit("/", 1)[-1], "state": "Down"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake_ari(settings) -> Iterator[FakeAri]:  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(FakeAri("")))
    fake = FakeAri(f"http://127.0.0.1:{server.server_address[1]}/ari")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.ARI_URL = fake.url
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
