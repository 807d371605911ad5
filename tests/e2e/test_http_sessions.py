"""Asterisk's HTTP session limit on the real Asterisk: past http.conf's sessionlimit it closes
each new connection, and Centrala renders the limit to fit every Stasis worker's connections
(pbx.asterisk.http_session_limit), so a third worker does not find Asterisk shut."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from django.conf import settings

from pbx.asterisk_config import apply_config
from pbx.sandbox import sandbox

from .conftest import Asterisk
from .listening import ari_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HELD = 130  # more than Asterisk's default limit of 100; under three workers' 161 with room for other clients


def answered_while_held(count: int) -> int:
    """Open `count` connections to ARI together and keep each open once answered: how many
    Asterisk answered before any was closed."""

    async def ask(request: bytes) -> tuple[asyncio.StreamWriter, bool]:
        reader, writer = await asyncio.open_connection("127.0.0.1", settings.ASTERISK_HTTP_PORT)
        writer.write(request)
        try:
            status = await asyncio.wait_for(reader.readline(), 10)
        except (ConnectionError, TimeoutError):
            status = b""
        return writer, status.startswith(b"HTTP/1.1 200")

    async def hold_all() -> int:
        request = (
            f"GET /ari/asterisk/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {ari_login()}\r\n\r\n"
        ).encode()
        held = await asyncio.gather(*(ask(request) for _ in range(count)))
        for writer, _ in held:
            writer.close()
        return sum(answered for _, answered in held)

    return asyncio.run(hold_all())


def render_for(asterisk: Asterisk, workers: int) -> str:
    """http.conf rendered for `workers` Stasis workers, and Asterisk's HTTP server reloaded."""
    settings.STASIS_WORKERS = workers
    apply_config(asterisk.etc, reload=False)
    sandbox("cli", "test", "module reload http")
    return (asterisk.etc / "http.conf").read_text()


@pytest.fixture
def one_worker_after(asterisk: Asterisk) -> Iterator[None]:
    yield
    render_for(asterisk, 1)


def test_asterisk_holds_every_connection_three_stasis_workers_may_open(asterisk: Asterisk, one_worker_after: None):
    assert "\nsessionlimit = 100\n" in render_for(asterisk, 1)
    assert answered_while_held(HELD) <= 100  # the default limit shuts out the rest
    assert "\nsessionlimit = 161\n" in render_for(asterisk, 3)
    assert answered_while_held(HELD) == HELD
