"""Voicemail played on staff phones, for the executor: voicemail/phone.py in the database
thread (it reads the messages and decrypts them into the sounds library)."""

from __future__ import annotations

import asyncio
import logging

from pbx.callflow import events as e
from voicemail.phone import close_for_phone, open_for_phone

from .database import DatabaseThread
from .executor import MailboxUnavailable

log = logging.getLogger(__name__)


class DatabaseMailboxes:
    def __init__(self, db: DatabaseThread) -> None:
        self.db = db

    async def open(self, extension: str, call_key: str) -> tuple[e.VoiceMessage, ...]:
        try:
            return await self.db.run(open_for_phone, extension, call_key)
        except Exception as exc:
            log.error("could not open the voicemail of %s: %s", extension, exc)
            raise MailboxUnavailable(str(exc)) from exc

    async def close(self, call_key: str) -> None:
        await asyncio.to_thread(close_for_phone, call_key)
