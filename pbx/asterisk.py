"""Django's settings -> the ARI client and event stream. pbx.ari knows no Django; this is
where the web side and `manage.py stasis` (the composition root) get their connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from django.conf import settings

from pbx.ari.client import MAX_CONNECTIONS, AriClient
from pbx.ari.socket_requests import SocketRequests
from pbx.ari.stream import Backoff, EventStream, events_url

T = TypeVar("T")


def ari_client(**kwargs: Any) -> AriClient:
    return AriClient(settings.ARI_URL, settings.ARI_USER, settings.ARI_PASSWORD, **kwargs)


def run_with_ari(action: Callable[[AriClient], Awaitable[T]]) -> T:
    """For synchronous callers (admin, commands, tests): a client from settings, `action`, closed."""

    async def run() -> T:
        async with ari_client() as ari:
            return await action(ari)

    return asyncio.run(run())


# Storing recordings (and finding those left over) runs on a client of its own: a few HTTP
# connections, never the event socket nor the live calls' pool, so a backlog of files can
# never make a caller's next request wait.
BACKGROUND_CONNECTIONS = 4


def background_client() -> AriClient:
    """The Stasis app's client for work no caller waits on (pbx/stasis/ingest.py)."""
    return ari_client(max_connections=BACKGROUND_CONNECTIONS)


# The ARI connections the web side and the commands may hold at once: an admin page, an API call
# or a command opens a client of its own for a few requests in turn (gunicorn runs 3 by default).
WEB_SESSIONS = 20
ASTERISK_DEFAULT_SESSION_LIMIT = 100


def ari_sessions() -> int:
    """The most HTTP sessions Centrala may hold open on Asterisk at once, websockets included:
    each Stasis worker's connections for live calls, its background ones, its event socket and
    its spare sockets, then the web side's."""
    sockets = 1 + settings.ARI_SPARE_SOCKETS if settings.ARI_REQUESTS_OVER_WEBSOCKET else 1
    return settings.STASIS_WORKERS * (MAX_CONNECTIONS + BACKGROUND_CONNECTIONS + sockets) + WEB_SESSIONS


def http_session_limit() -> int:
    """Asterisk's http.conf sessionlimit: past it Asterisk closes each new connection at once,
    so a busy worker's requests would fail as "Asterisk unavailable". Its default, or what
    Centrala may need if that is more (several Stasis workers)."""
    return max(ASTERISK_DEFAULT_SESSION_LIMIT, ari_sessions())


def app_name(worker: int = 1) -> str:
    """The ARI application of Stasis worker `worker` (STASIS_WORKERS): ARI_APP for the first,
    which serves every call that may ring someone, ARI_APP-<n> for the others."""
    return settings.ARI_APP if worker == 1 else f"{settings.ARI_APP}-{worker}"


def worker_apps() -> list[str]:
    """Every Stasis worker's application, the first first."""
    return [app_name(worker) for worker in range(1, settings.STASIS_WORKERS + 1)]


def app_connection(backoff: Backoff | None = None, worker: int = 1) -> tuple[AriClient, EventStream]:
    """Stasis worker `worker`'s client and event stream from settings. Unless
    ARI_REQUESTS_OVER_WEBSOCKET is off, the client's requests ride on the stream's socket and
    on ARI_SPARE_SOCKETS more, each under an app name of its own (`spare_app_name`)."""
    app = app_name(worker)
    requests = SocketRequests() if settings.ARI_REQUESTS_OVER_WEBSOCKET else None
    spares = [SocketRequests() for _ in range(settings.ARI_SPARE_SOCKETS)] if requests is not None else []
    ari = ari_client(socket=requests, spare_sockets=spares)
    user, password = settings.ARI_USER, settings.ARI_PASSWORD
    companions = [
        EventStream(
            events_url(settings.ARI_URL, spare_app_name(app, n)), user, password, backoff=backoff, requests=spare
        )
        for n, spare in enumerate(spares, 1)
    ]
    url = events_url(settings.ARI_URL, app)
    stream = EventStream(url, user, password, backoff=backoff, requests=requests, companions=companions)
    return ari, stream


def spare_app_name(app: str, n: int) -> str:
    """The app name spare socket `n` of `app` connects under: no call ever enters it."""
    return f"{app}-requests-{n}"
