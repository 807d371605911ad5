"""A worker other than the first hands the calls it may not serve to the first (STASIS_WORKERS,
pbx/callflow/workers.py): ARI's `move` to the first worker's app.

Two kinds of call come to such a worker although they may ring someone, both because a number's
scenario changed since Asterisk's last reload (a scenario edit does not reload the dialplan):

- a new call (its StasisStart): passed on at once, before it is answered, with the arguments
  the dialplan gave it; the first worker starts it as any call and writes its history.
- a caller this worker took back after it restarted (pbx/stasis/adoption.py) whose scenario
  would start again from its entry: passed on as `resume,<call key>,<1 if its history row
  exists>`. The first worker takes it back under that key (the line was interrupted, then the
  scenario from its entry) and the row becomes the first worker's (`CallPassed`), so each
  worker's sweep still closes only its own calls. Both workers say so: the first when it takes
  the caller, this one once the channel has left it (its own sweep waits for that fact to be
  written). Until then the channel counts as followed here (`channels`): neither sweep takes
  it for lost, whichever worker's fact is written first.

Should the first worker not take a call (the move refused, or `ApplicationMoveFailed`
afterwards: Asterisk accepts a move and only then finds the app not connected, leaving the
channel where it was), it is served here rather than left in silence."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from pbx.ari.client import AriClient, AriError
from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.stasis_args import RESUME

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Passing:
    """A call on its way to the first worker: what serves it here, should the move fail."""

    first_event: e.StasisStart | e.Adopted
    key: str = ""  # an adopted call's key

    @property
    def known(self) -> bool:
        """An adopted call whose history row exists: the row becomes the first worker's."""
        return isinstance(self.first_event, e.Adopted) and self.first_event.known


# Serve a call here after all: (channel, the event it starts with, an adopted call's key).
ServeHere = Callable[[str, e.StasisStart | e.Adopted, str], None]


class ToFirst:
    def __init__(self, ari: AriClient, first_app: str, serve_here: ServeHere, submit: Callable[[c.Fact], None]) -> None:
        self.ari = ari
        self.first_app = first_app
        self._serve_here = serve_here
        self._submit = submit
        self._passing: dict[str, Passing] = {}  # channel -> the call, while handed to the first
        self._moves: set[asyncio.Task[None]] = set()

    def __contains__(self, channel_id: str) -> bool:
        return channel_id in self._passing

    def channels(self) -> set[str]:
        """The channels on their way: the sweep counts them as followed."""
        return set(self._passing)

    def pass_start(self, event: e.StasisStart) -> None:
        """A new call, with the arguments the dialplan gave it."""
        self._move(event.channel_id, Passing(event), event.args)

    def pass_adopted(self, event: e.Adopted, key: str) -> None:
        """A caller taken back here whose scenario would start again, now for the first worker."""
        self._move(event.channel_id, Passing(event, key), (RESUME, key, "1" if event.known else "0"))

    def on_event(self, event: e.Event) -> None:
        """An event for a channel being handed over: it left (StasisEnd), or it stays here
        (MoveFailed); anything else before either is not this worker's to act on."""
        if isinstance(event, e.StasisEnd):
            passing = self._passing.pop(event.channel_id, None)
            if passing is not None and passing.known:  # its history row is the first's now
                self._submit(c.CallPassed(event.channel_id, call_key=passing.key, at=event.at, worker=1))
            log.info("passed call %s to %s", event.channel_id, self.first_app)
        elif isinstance(event, e.MoveFailed):
            self._serve(event.channel_id, f"{event.destination} is not connected")

    def _move(self, channel_id: str, passing: Passing, args: tuple[str, ...]) -> None:
        self._passing[channel_id] = passing

        async def move() -> None:
            try:
                await self.ari.move(channel_id, self.first_app, args)
            except AriError as exc:
                self._serve(channel_id, str(exc))

        task = asyncio.create_task(move(), name=f"pass-{channel_id}")
        self._moves.add(task)
        task.add_done_callback(self._moves.discard)

    def _serve(self, channel_id: str, why: str) -> None:
        passing = self._passing.pop(channel_id, None)
        if passing is None:
            return  # gone meanwhile, or served already
        log.warning("could not pass call %s to %s (%s); serving it here", channel_id, self.first_app, why)
        self._serve_here(channel_id, passing.first_event, passing.key)


__all__ = ["ToFirst"]
