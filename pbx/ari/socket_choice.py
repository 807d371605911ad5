"""Which websocket an ARI request goes over (or none: HTTP). See `SocketChoice`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .socket_requests import SocketRequests


class SocketChoice:
    """The Stasis app's event socket and its spare sockets (websockets that carry requests only),
    and the choice between them.

    Asterisk works a socket's requests one at a time, each socket on a thread of its own, so
    spreading requests over sockets lets Asterisk work on several at once. A request that waits
    on a channel's own thread (a bridge join) may take seconds: it goes over an idle spare
    socket, which nothing else is sent to meanwhile, else over HTTP (never the event socket).
    Any other request goes over the connected socket with the fewest requests waiting, the
    event socket on a tie."""

    def __init__(self, events: SocketRequests | None = None, spares: Sequence[SocketRequests] = ()) -> None:
        self.events = events
        self.spares = tuple(spares)
        self._joining: set[SocketRequests] = set()  # spares carrying a request that waits on a channel

    def pick(self, waits_on_channel: bool) -> SocketRequests | None:
        """The socket for the next request; None: HTTP."""
        if waits_on_channel:
            for spare in self.spares:
                if spare.ready and not spare.pending:
                    return spare
            return None
        best = self.events if self.events is not None and self.events.ready else None
        for spare in self.spares:
            if spare.ready and spare not in self._joining and (best is None or spare.pending < best.pending):
                best = spare
        return best

    @contextmanager
    def carrying(self, socket: SocketRequests, waits_on_channel: bool) -> Iterator[None]:
        """Around a request sent over `socket`: while one that waits on a channel is out,
        nothing else is sent there."""
        if not waits_on_channel:
            yield
            return
        self._joining.add(socket)
        try:
            yield
        finally:
            self._joining.discard(socket)
