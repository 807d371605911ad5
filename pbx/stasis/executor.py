"""A command of the call-flow core as an ARI request. A failed request goes back to its call
as a CommandFailed event; the call decides what follows."""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from pbx.ari.client import AriClient, AriError, AriNotFound
from pbx.callflow import commands as c
from pbx.callflow import events as e

from .routes import Routes
from .worker import CallWorker, now

log = logging.getLogger(__name__)


class MailboxUnavailable(Exception):
    """The messages could not be fetched (the database is away): the call hears of it as a
    failed command, like a failed ARI request."""


class PhoneMailboxes(Protocol):
    """Voicemail played on staff phones (voicemail/phone.py, through the database thread)."""

    async def open(self, extension: str, call_key: str) -> tuple[e.VoiceMessage, ...]: ...

    async def close(self, call_key: str) -> None: ...


class AriExecutor:
    def __init__(self, ari: AriClient, app_name: str, routes: Routes[CallWorker], mailboxes: PhoneMailboxes) -> None:
        self.ari = ari
        self.app_name = app_name
        self.routes = routes
        self.mailboxes = mailboxes

    async def execute(self, worker: CallWorker, command: c.Command) -> bool:
        """Run one action; False if it failed (the call hears of it as CommandFailed)."""
        if isinstance(command, c.StartTimer):
            worker.start_timer(command.name, command.seconds)
            return True
        if isinstance(command, c.CancelTimer):
            worker.cancel_timer(command.name)
            return True
        try:
            await self._ari_action(worker, command)
            return True
        except (AriError, MailboxUnavailable) as exc:
            self._failed(worker, command, exc)
            return False

    async def answer_and_play(self, worker: CallWorker, answer: c.Answer, play: c.Play) -> bool:
        """Answer a caller and play to them, the play sent right behind the answer (the
        client's `answer_and_play`); False if either failed (the call hears of the first that
        did)."""
        try:
            failed = await self.ari.answer_and_play(answer.channel_id, play.media, play.playback_id)
        except AriError as exc:
            self._failed(worker, answer, exc)
            return False
        if failed is not None:
            self._failed(worker, play, failed)
            return False
        return True

    def _failed(self, worker: CallWorker, command: c.Command, exc: Exception) -> None:
        gone = isinstance(exc, AriNotFound)
        log.info("%s on %s failed: %s", type(command).__name__, command.channel_id, exc)
        worker.feed(
            e.CommandFailed(
                at=now(), channel_id=command.channel_id, command=type(command).__name__, error=str(exc), gone=gone
            )
        )

    async def _ari_action(self, worker: CallWorker, command: c.Command) -> None:
        ari = self.ari
        match command:
            case c.Answer(channel_id=channel):
                await ari.answer(channel)
            case c.Play(channel_id=channel, playback_id=playback, media=media):
                await ari.play(channel, media, playback)
            case c.Record(channel_id=channel, name=name, fmt=fmt, max_seconds=seconds, beep=beep):
                await ari.record(channel, name, fmt, seconds, beep=beep, terminate_on=command.terminate_on)
            case c.DeleteRecording(name=name):
                with contextlib.suppress(AriNotFound):  # never written (hung up at once), or gone
                    await ari.delete_stored_recording(name)
            case c.OpenMailbox(extension=extension):
                messages = await self.mailboxes.open(extension, worker.call.key)
                worker.feed(e.MailboxOpened(at=now(), channel_id=command.channel_id, messages=messages))
            case c.CloseMailbox():
                await self.mailboxes.close(worker.call.key)
            case c.Hangup(channel_id=channel, reason=reason):
                await ari.hangup(channel, reason)
            case c.Ring(channel_id=channel):
                await ari.ring(channel)
            case c.StartMoh(channel_id=channel, moh_class=moh_class):
                await ari.start_moh(channel, moh_class)
            case c.StopMoh(channel_id=channel):
                await ari.stop_moh(channel)
            case c.StopPlayback(playback_id=playback):
                with contextlib.suppress(AriNotFound):  # it ended meanwhile (a key as the prompt ends): stopped
                    await ari.stop_playback(playback)
            case c.Originate():
                self.routes.legs[command.channel_id] = worker  # its events must find this call
                caller_id = (
                    f'"{command.caller_name}" <{command.caller_number}>'
                    if command.caller_name
                    else command.caller_number
                )
                await ari.originate(
                    command.channel_id,
                    command.endpoint,
                    self.app_name,
                    command.args,
                    caller_id,
                    command.timeout_seconds,
                )
            case c.CreateBridge(bridge_id=bridge):
                self.routes.bridges[bridge] = worker  # events of the bridge's playbacks name the bridge
                await ari.create_bridge(bridge)
            case c.Listen(channel_id=listener, target=target):
                self.routes.listeners[listener] = worker  # its StasisStart and recording are the call's
                await ari.snoop(target, listener, self.app_name)
            case c.PauseRecording(name=name):
                await ari.pause_recording(name)
            case c.ResumeRecording(name=name):
                await ari.resume_recording(name)
            case c.AddToBridge(bridge_id=bridge, channels=channels):
                await ari.add_to_bridge(bridge, channels)
            case c.RemoveFromBridge(bridge_id=bridge, leg=leg):
                try:
                    await ari.remove_from_bridge(bridge, leg)
                except AriError as exc:
                    # 404 bridge gone, 409 bridge being torn down (its call ended meanwhile),
                    # 422 not in it: either way the leg is free already
                    if exc.status not in (404, 409, 422):
                        raise
            case c.TransferProgress(channel_id=channel, state=state):
                await ari.transfer_progress(channel, state)
            case c.PlayBridge(bridge_id=bridge, playback_id=playback, media=media):
                await ari.play_bridge(bridge, media, playback)
            case c.StartBridgeMoh(bridge_id=bridge):
                await ari.start_bridge_moh(bridge)
            case c.StopBridgeMoh(bridge_id=bridge):
                await ari.stop_bridge_moh(bridge)
            case c.DestroyBridge(bridge_id=bridge):
                await ari.destroy_bridge(bridge)
            case _:
                raise TypeError(f"no ARI action for {command!r}")
