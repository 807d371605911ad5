"""Whether a staff phone on a call really uses TLS and SRTP: asked of Asterisk, never assumed
from the configuration, off the call's own path. The answer is a fact for the history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Container

from pbx.ari.client import AriClient, AriError
from pbx.callflow import commands as c
from pbx.callflow.call import Call

from .worker import now

log = logging.getLogger(__name__)


class EncryptionProbe:
    def __init__(self, ari: AriClient, submit: Callable[[c.Fact], None]) -> None:
        self.ari = ari
        self.submit = submit
        self._probes: set[asyncio.Future[None]] = set()

    def note(self, call: Call, fact: c.Fact, staff: Container[str]) -> None:
        """A staff phone that starts a call, or answers one, gets its encryption checked."""
        if isinstance(fact, c.CallStarted) and fact.direction in ("outbound", "internal"):
            self._probe(fact.channel_id, call.key, fact.caller)
        elif isinstance(fact, c.CallStep) and fact.kind == "connected" and call.connected_leg:
            target = str(fact.detail.get("target", ""))
            if target in staff:
                self._probe(call.connected_leg, call.key, target)

    def _probe(self, channel_id: str, call_key: str, extension: str) -> None:
        task = asyncio.ensure_future(self._probe_encryption(channel_id, call_key, extension))
        self._probes.add(task)
        task.add_done_callback(self._probes.discard)

    async def _probe_encryption(self, channel_id: str, call_key: str, extension: str) -> None:
        try:
            tls = await self.ari.get_variable(channel_id, "CHANNEL(pjsip,secure)")
            srtp = await self.ari.get_variable(channel_id, "CHANNEL(rtp,secure)")
        except AriError as exc:
            log.info("could not check encryption of %s (%s): %s", extension, channel_id, exc)
            return
        self.submit(
            c.PhoneEncryption(
                channel_id, call_key=call_key, at=now(), extension=extension, tls=tls == "1", srtp=srtp == "1"
            )
        )
