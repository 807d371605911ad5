"""ARI's failures as our own errors: every transport error and error status becomes an
AriError subclass, so callers handle "the call is gone" (AriNotFound), "Asterisk is not there"
(AriUnavailable) and "too slow" (AriTimeout) without knowing about httpx or websockets."""

from __future__ import annotations

from typing import Any, Protocol


class Reply(Protocol):
    """What `_request` returns: an httpx.Response over HTTP, a `SocketReply` over the socket."""

    @property
    def status_code(self) -> int: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    @property
    def reason_phrase(self) -> str: ...
    def json(self) -> Any: ...


class AriError(Exception):
    """ARI refused or failed a request. `status` is the HTTP status, 0 when none came back."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class AriNotFound(AriError):
    """404: the channel, recording or playback no longer exists (often: the caller hung up)."""


class AriConflict(AriError):
    """409/412: the object exists but is in the wrong state (e.g. not in Stasis any more)."""


class AriUnavailable(AriError):
    """Asterisk could not be reached, or answered 5xx/503."""


class AriTimeout(AriError):
    """No answer within the timeout."""


def raise_for_status(method: str, path: str, response: Reply) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{method} {path}: {status} {_reason(response)}"
    if status == 404:
        raise AriNotFound(message, status)
    if status in (409, 412):
        raise AriConflict(message, status)
    if status >= 500:
        raise AriUnavailable(message, status)
    raise AriError(message, status)


def _reason(response: Reply) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return response.reason_phrase
