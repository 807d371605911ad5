"""The only way the call history changes. The Stasis pump, the admin and commands use these.

Each function is idempotent where the pump may repeat itself (a fact re-applied after a
reconnect does no harm).
"""

import functools
import logging
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet

from api.webhooks import do_enqueue, one_read_of_endpoints
from compliance.audit import do_audit
from pbx.call_rows import CallRows, TimelineLine, insert_timeline, write_call_rows
from pbx.callflow import commands as c
from pbx.callflow import names
from pbx.callflow.vocabulary import HistoryKind, StepKind
from pbx.callflow.workers import SOLE, Worker
from pbx.extensions import do_phone_forward, phone_actor
from pbx.models import Call, CallbackTask, CallEvent, CallNote, Extension
from pbx.phone import InvalidPhoneNumber, to_e164
from recordings.models import Recording, RecordingRule
from security.actions import do_raise_toll_alert, do_record_emergency_call
from voicemail.phone import do_mark_heard_on_phone

log = logging.getLogger(__name__)


def _call_started(fact: c.CallStarted, rows: CallRows) -> None:
    call = rows.started.get(id(fact))
    if call is None:
        return  # written before (a fact written again, from the spool after an outage)
    _event(call.pk, fact.at, HistoryKind.STARTED, caller=fact.caller, called=fact.called, direction=fact.direction)
    do_enqueue("call.started", lambda: call_summary(call), fact.at)


def _call_answered(fact: c.CallAnswered, rows: CallRows) -> None:
    call = rows.answered.get(id(fact))
    if call is not None:
        _event(fact.call_key, fact.at, HistoryKind.ANSWERED)
        do_enqueue("call.answered", lambda: call_summary(call), fact.at)


def do_record_call_step(fact: c.CallStep) -> None:
    """A step on the call's timeline. What a step says of the call row itself (the queue it
    went through, who answered, the staff who talked: who may see the call later) was written
    for the whole batch by pbx.call_rows."""
    _event(fact.call_key, fact.at, fact.kind, **fact.detail)
    if fact.kind == StepKind.TOLL_ALERT:
        do_raise_toll_alert(fact.call_key, fact.at, fact.detail)
    elif fact.kind == StepKind.EMERGENCY_CALL:
        do_record_emergency_call(fact.call_key, fact.at, fact.detail)


def _call_ended(fact: c.CallEnded, rows: CallRows) -> None:
    call = rows.ended.get(id(fact))
    if call is not None:
        _event(
            fact.call_key,
            fact.at,
            HistoryKind.ENDED,
            outcome=fact.outcome,
            cause=fact.cause,
            cause_text=fact.cause_text,
            hung_up_by=fact.hung_up_by,
        )
        summary = functools.cache(lambda: call_summary(call))  # made once, and only if a webhook wants it
        do_enqueue("call.ended", summary, fact.at)
        if fact.outcome == Call.Outcome.MISSED:
            do_enqueue("call.missed", summary, fact.at)


def call_summary(call: Call) -> dict[str, Any]:
    """A call as webhooks carry it (the API's /api/calls/{id}/ has the rest)."""
    return {
        "call": str(call.pk),
        "direction": call.direction,
        "caller": call.caller,
        "called": call.called,
        "started_at": call.started_at.isoformat(),
        "answered_at": call.answered_at and call.answered_at.isoformat(),
        "ended_at": call.ended_at and call.ended_at.isoformat(),
        "outcome": call.outcome,
    }


LOST_WHY = "the call ended while the app was not following it"
RESUMED_ELSEWHERE = "the app restarted and took the caller back in a new history row"


def _retire_rows_on(channel_id: str, at: datetime) -> None:
    """A caller taken back under a new key (its row could not be looked up): the older row on
    the same channel is closed, and gives the channel up to the new one."""
    for old in Call.objects.filter(channel_id=channel_id):
        Call.objects.filter(pk=old.pk).update(
            channel_id=f"{channel_id}~{old.pk}"[:150],
            ended_at=old.ended_at or at,
            outcome=old.outcome if old.ended_at else Call.Outcome.LOST,
        )
        if old.ended_at is None:
            _event(old.pk, at, HistoryKind.LOST, why=RESUMED_ELSEWHERE)


def open_calls_on(channel_ids: Iterable[str]) -> dict[str, str]:
    """Channel id -> key of the call still open in the history on it (a call the restarted
    app takes back keeps its row)."""
    rows = Call.objects.filter(ended_at__isnull=True, channel_id__in=list(channel_ids))
    return {channel: str(pk) for channel, pk in rows.values_list("channel_id", "pk")}


# After a recording's notice, these say it is not owed: the caller objected, a rule for the
# person said never, or it was tried and failed.
_NOT_OWED = {StepKind.RECORDING_OBJECTION, StepKind.NOT_RECORDED, StepKind.RECORDING_FAILED}


def recordings_owed(call_keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Call key -> (the rule whose notice the caller heard, who they were connected to), for
    the calls whose history shows a recording announced, not objected to nor refused, and the
    caller connected: the restarted app starts it if Asterisk has no such recording. Not while
    staff had it paused (card details): the restarted app could not start it paused."""
    pausing = [StepKind.RECORDING_PAUSED, StepKind.RECORDING_RESUMED]
    kinds = [StepKind.RECORDING_NOTICE, StepKind.CONNECTED, *_NOT_OWED, *pausing]
    rows = CallEvent.objects.filter(call_id__in=list(call_keys), kind__in=kinds).order_by("at", "pk")
    notices: dict[str, str] = {}
    connected: dict[str, str] = {}
    refused: set[str] = set()
    paused: set[str] = set()
    for call_id, kind, detail in rows.values_list("call_id", "kind", "detail"):
        key = str(call_id)
        if kind == StepKind.RECORDING_NOTICE:
            notices[key] = str(detail.get("rule", ""))
        elif kind == StepKind.CONNECTED:
            connected[key] = str(detail.get("target", ""))
        elif kind == StepKind.RECORDING_PAUSED:
            paused.add(key)
        elif kind == StepKind.RECORDING_RESUMED:
            paused.discard(key)
        else:
            refused.add(key)
    return {
        key: (rule, connected[key])
        for key, rule in notices.items()
        if rule and key not in refused and key not in paused and connected.get(key)
    }


def served_by(worker: Worker) -> QuerySet[Call]:
    """The calls Stasis worker `worker` served (STASIS_WORKERS): its own to close and store."""
    if worker.first:
        return Call.objects.exclude(stasis_worker__in=list(worker.others))
    return Call.objects.filter(stasis_worker=worker.number)


def do_close_lost_calls(live_channel_ids: Iterable[str], at: datetime, worker: Worker = SOLE) -> int:
    """Close calls of `worker` still open in the history whose channel Asterisk no longer has.

    Called after every (re)connect to ARI and periodically: their end happened while nobody
    listened (the app was down, or the call was from before its restart). Another worker's
    calls are its own to close: only it knows which of its facts are still being written.
    Returns how many were closed.
    """
    lost = served_by(worker).filter(ended_at__isnull=True).exclude(channel_id__in=list(live_channel_ids))
    ids = list(lost.values_list("pk", flat=True))
    with transaction.atomic():
        Call.objects.filter(pk__in=ids).update(ended_at=at, outcome=Call.Outcome.LOST)
        lost_events = [CallEvent(call_id=pk, at=at, kind=HistoryKind.LOST, detail={"why": LOST_WHY}) for pk in ids]
        CallEvent.objects.bulk_create(lost_events)
    return len(ids)


def find_orphan_recordings(
    stored: list[dict[str, str]], worker: Worker = SOLE
) -> tuple[list[c.RecordingReady], set[str]]:
    """Sort Asterisk's finished recordings of our calls, from one look at what is stored here:

    - orphans, finished while no Stasis app listened (it was down or restarted): files named
      after a call of ours that has ended, and not stored yet. As RecordingReady facts, ready
      for the usual ingest; the purpose comes from the rule the call recorded under, a
      message's box from the call's timeline;
    - the names of those stored here already, whose deletion from Asterisk failed."""
    named = {m[0]: (entry, m[1]) for entry in stored if (m := names.parse_recording(entry.get("name", "")))}
    calls = served_by(worker).filter(pk__in=list(named), ended_at__isnull=False)
    known = set(
        Recording.objects.filter(
            asterisk_name__in=[e["name"] for e, _ in named.values()], call__in=served_by(worker)
        ).values_list("asterisk_name", flat=True)
    )
    out = []
    for call in calls:
        entry, kind = named[str(call.pk)]
        if entry["name"] in known:
            continue
        rule = (
            CallEvent.objects.filter(call=call, kind=StepKind.RECORDING).values_list("detail__rule", flat=True).first()
        )
        purpose = RecordingRule.objects.filter(name=rule).values_list("purpose_id", flat=True).first() if rule else None
        # a message's box, as the call's timeline named it
        box = CallEvent.objects.filter(call=call, kind=StepKind.VOICEMAIL).values_list("detail__mailbox", flat=True)
        out.append(
            c.RecordingReady(
                call.channel_id,
                call_key=str(call.pk),
                at=call.ended_at or call.started_at,
                name=entry["name"],
                fmt=entry.get("format", "wav"),
                kind=kind,
                purpose_id=purpose,
                mailbox_id=box.first() if kind == "voicemail" else None,
            )
        )
    return out, known


def do_request_callback(fact: c.CallbackRequested) -> CallbackTask | None:
    """Turn a missed, abandoned or requested call into a task, once per call and reason.

    A caller with no number (withheld) or a number that is no valid phone number (a carrier
    sends what it likes) cannot be called back: nothing is created.
    """
    try:
        to_e164(fact.number)
    except InvalidPhoneNumber:
        return None
    task, created = CallbackTask.objects.get_or_create(
        call_id=fact.call_key,
        reason=fact.reason,
        defaults={
            "number": fact.number,
            "requested_at": fact.at,
            "assigned_to": Extension.objects.filter(number=fact.assign_to).first() if fact.assign_to else None,
        },
    )
    _event(fact.call_key, fact.at, HistoryKind.CALLBACK_TASK, reason=fact.reason, assigned_to=fact.assign_to)
    if created:
        do_enqueue(
            "callback.requested",
            {
                "callback": str(task.pk),
                "call": fact.call_key,
                "number": task.number,
                "reason": task.reason,
                "assigned_to": fact.assign_to,
            },
            fact.at,
        )
    return task


def do_record_callback_connected(fact: c.CallbackConnected) -> None:
    CallbackTask.objects.filter(pk=fact.task_id).update(status=CallbackTask.Status.DONE, done_at=fact.at)


def do_record_call_passed(fact: c.CallPassed) -> None:
    """The call is now served by Stasis worker `fact.worker` (pbx/stasis/to_first.py): its sweep
    closes it and stores its recordings. The timeline says "resumed" from that worker's side."""
    Call.objects.filter(pk=fact.call_key).update(stasis_worker=fact.worker)


def do_note_encryption(fact: c.PhoneEncryption) -> None:
    """On the call's timeline; the phone's own row was written for the batch (pbx.call_rows)."""
    _event(fact.call_key, fact.at, HistoryKind.ENCRYPTION, extension=fact.extension, tls=fact.tls, srtp=fact.srtp)


def do_record_dnd_changed(fact: c.DndChanged) -> None:
    """Do-not-disturb switched on the phone: the extension's setting, audited (the call flow
    sees it at its next configuration refresh, within seconds)."""
    if Extension.objects.filter(number=fact.extension).update(dnd=fact.on):
        do_audit(
            phone_actor(fact.extension), "extension.dnd", f"extension:{fact.extension}", on=fact.on, source="phone"
        )


def do_record_forward_changed(fact: c.ForwardChanged) -> None:
    """Forwarding set on the phone (*72 / *73): the extension's setting, through its writer."""
    extension = Extension.objects.filter(number=fact.extension).first()
    if extension is not None:
        do_phone_forward(extension, fact.to_extension, fact.to_number, phone_actor(fact.extension))


def do_record_message_heard(fact: c.MessageHeard) -> None:
    do_mark_heard_on_phone(fact.message_id, fact.extension)


_APPLY = {
    c.PhoneEncryption: do_note_encryption,
    c.MessageHeard: do_record_message_heard,
    c.DndChanged: do_record_dnd_changed,
    c.ForwardChanged: do_record_forward_changed,
    c.CallbackRequested: do_request_callback,
    c.CallbackConnected: do_record_callback_connected,
    c.CallPassed: do_record_call_passed,
    c.CallStep: do_record_call_step,
}
# Facts whose rows write_call_rows wrote for the whole batch: their timeline and webhooks.
_AFTER_ROWS = {c.CallStarted: _call_started, c.CallAnswered: _call_answered, c.CallEnded: _call_ended}


def do_apply_facts(facts: Iterable[c.Fact]) -> None:
    """Write a batch of facts from the call-flow core, in order, in one transaction.

    A fact that cannot be written (bad data from outside, a bug) must not cost the rest of the
    batch: if the batch fails for any reason but the database being unreachable, the facts are
    written one by one and only the bad one is dropped, with the reason in the log. Database
    outages propagate, so the call store keeps the batch and tries again."""
    facts = list(facts)
    try:
        _apply(facts)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        log.exception("a batch of %d call facts failed; writing them one by one", len(facts))
        for fact in facts:
            try:
                _apply([fact])
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                log.exception("dropped a call fact that cannot be written: %r", fact)


# Timeline lines of the batch being written: inserted together at its end (one INSERT for a
# batch instead of one round trip per line; the DB thread's largest cost under load).
_batch_events: ContextVar[list[TimelineLine] | None] = ContextVar("_batch_events", default=None)


def _apply(facts: list[c.Fact]) -> None:
    pending: list[TimelineLine] = []
    token = _batch_events.set(pending)
    try:
        with transaction.atomic(), one_read_of_endpoints():
            rows = write_call_rows(facts, _retire_rows_on)
            for fact in facts:
                after_rows = _AFTER_ROWS.get(type(fact))
                if after_rows is not None:
                    after_rows(fact, rows)  # type: ignore[operator]
                    continue
                apply = _APPLY.get(type(fact))
                if apply is not None:
                    apply(fact)  # type: ignore[operator]
            insert_timeline(pending)  # in order, so the timeline keeps its order
    finally:
        _batch_events.reset(token)


def _event(call_id: Any, at: datetime, kind: str, **detail: Any) -> None:
    pending = _batch_events.get()
    if pending is None:
        CallEvent.objects.create(call_id=call_id, at=at, kind=kind, detail=detail)
    else:
        pending.append((call_id, at, kind, detail))


def do_add_call_note(call: Call, user: Any, text: str, source: str = "") -> CallNote:
    """A note on a call (what was agreed); notes are never edited. Audited with where from."""
    with transaction.atomic():
        note = CallNote.objects.create(call=call, author=user, author_name=user.get_username(), text=text)
        do_audit(user.get_username(), "call.note", f"call:{call.pk}", source=source)
    return note
