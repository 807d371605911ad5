"""The call rows of a batch of facts, written for the whole batch at once.

Under load the call store writes hundreds of calls a second, and on a busy machine each round
trip to the database costs the Stasis app more CPU than the statement itself (sending, waiting,
reading). So a batch's starts, answers and ends are written in a few statements for the whole
batch, not a few per call:

1. one INSERT of the calls the batch starts, leaving a call whose row is there (a fact written
   again, from the spool after an outage), post_save sent for each new one as save() would;
   for calls dialled from a staff phone one INSERT of who was on the call; only a caller taken
   back under a new key costs a look-up first;
2. one UPDATE for the batch's answers and one for its ends, each taking a call's first answer
   (end) only, and returning the call as it stands after it;
3. for the batch's timeline steps that say more of the call: one UPDATE for the queues calls
   went through (a call's last), one for who answered first and how long the caller waited,
   and one INSERT of the staff who talked (every extension a call was connected to);
4. one UPDATE of the staff phones' last call and its encryption (a phone's last in the batch).

The caller (pbx.actions) then walks the facts in their order, writing each one's timeline line
and webhooks from what `write_call_rows` returns: the same history, in the same order, as
writing the facts one by one. The timeline goes in last, in one INSERT (`insert_timeline`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models.signals import post_save

from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.models import Call, CallEvent, Extension, Queue

# What a webhook says of a call (pbx.actions.call_summary reads these fields).
SUMMARY_FIELDS = ("id", "direction", "caller", "called", "started_at", "answered_at", "ended_at", "outcome")

Retire = Callable[[str, datetime], None]


@dataclass
class CallRows:
    """What the batch's row statements did, by fact (its id()): the new call of a start that
    inserted one, and the call after an answer or an end that took effect. A fact missing here
    did nothing (written before, or not its call's first)."""

    started: dict[int, Call] = field(default_factory=dict)
    answered: dict[int, Call] = field(default_factory=dict)
    ended: dict[int, Call] = field(default_factory=dict)


def write_call_rows(facts: Iterable[c.Fact], retire: Retire) -> CallRows:
    """Write the rows of the batch's starts, answers and ends (in the caller's transaction).
    `retire(channel_id, at)` closes the older rows on a channel whose caller a restarted app
    took back under a new key, before the new row takes the channel."""
    starts: list[c.CallStarted] = []
    answers: dict[str, c.CallAnswered] = {}
    ends: dict[str, c.CallEnded] = {}
    queues: dict[str, str] = {}  # call -> the queue it rang last in the batch
    connected: dict[str, c.CallStep] = {}  # call -> its first connection in the batch
    talked: list[tuple[str, str]] = []  # (call, extension number) of every connection
    phones: dict[str, c.PhoneEncryption] = {}  # extension -> its last call's encryption
    for fact in facts:
        if isinstance(fact, c.CallStarted):
            starts.append(fact)
        elif isinstance(fact, c.CallAnswered):
            answers.setdefault(fact.call_key, fact)
        elif isinstance(fact, c.CallEnded):
            ends.setdefault(fact.call_key, fact)
        elif isinstance(fact, c.CallStep):
            if fact.kind.startswith("ring_") and fact.detail.get("queue"):
                queues[fact.call_key] = str(fact.detail["queue"])
            elif fact.kind == StepKind.CONNECTED:
                connected.setdefault(fact.call_key, fact)
                talked.append((fact.call_key, str(fact.detail.get("target", ""))))
        elif isinstance(fact, c.PhoneEncryption):
            phones[fact.extension] = fact
    rows = CallRows()
    if starts:
        rows.started = _insert_calls(starts, retire)
    if answers:
        rows.answered = _update_answered(answers)
    if ends:
        rows.ended = _update_ended(ends)
    if queues:
        _update_queues(queues)
    if connected:
        _update_connected(connected)
        _insert_staff(talked)
    if phones:
        _update_phones(phones)
    return rows


def _insert_calls(starts: list[c.CallStarted], retire: Retire) -> dict[int, Call]:
    written: set[str] = set()
    if any(fact.adopted for fact in starts):  # the older row on its channel goes first (retire)
        keys = [f.call_key for f in starts]
        written = {str(pk) for pk in Call.objects.filter(pk__in=keys).order_by().values_list("pk", flat=True)}
    new: dict[int, Call] = {}
    for fact in starts:
        if fact.call_key in written:
            continue
        written.add(fact.call_key)
        if fact.adopted:
            retire(fact.channel_id, fact.at)
        new[id(fact)] = Call(
            id=fact.call_key,
            channel_id=fact.channel_id,
            sip_call_id=fact.sip_call_id,
            direction=fact.direction,
            caller=fact.caller,
            called=fact.called,
            started_at=fact.at,
            stasis_worker=fact.worker,
        )
    inserted = _insert_new(list(new.values()))
    new = {key: call for key, call in new.items() if str(call.pk) in inserted}
    for call in new.values():  # as save() would: the reports forget a counted day a late call joins
        call._state.adding, call._state.db = False, connection.alias
        post_save.send(sender=Call, instance=call, created=True, raw=False, using=connection.alias, update_fields=None)
    dialled = [(str(call.pk), call.caller) for call in new.values() if call.direction != Call.Direction.INBOUND]
    if dialled:  # dialled from a staff phone: the phone was on the call
        _insert_staff(dialled)
    return new


def _insert_new(calls: list[Call]) -> set[str]:
    """The calls in one INSERT, each field's column as one array, the values as the model saves
    them; a call whose row is there already (a fact written again, from the spool after an
    outage) is left as it is. Returns the keys inserted. Django's bulk_create, with the look-up
    before it, was half the database thread's time at 100 light calls a second."""
    if not calls:
        return set()
    fields = Call._meta.concrete_fields
    values = [pg_array(f.get_db_prep_save(getattr(call, f.attname), connection) for call in calls) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_calls_sql(), values)
        return {str(row[0]) for row in cursor.fetchall()}


@functools.cache
def _insert_calls_sql() -> str:
    """`_insert_new`'s statement: the same for every batch (the model's fields and their column
    types), so built once, not per batch on the database thread."""
    fields = Call._meta.concrete_fields
    table = connection.ops.quote_name(Call._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = _arrays(*(str(f.db_type(connection)) for f in fields))
    return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) ON CONFLICT (id) DO NOTHING RETURNING id"


def _insert_staff(calls_and_numbers: list[tuple[str, str]]) -> None:
    """Each call's staff: the extensions of these numbers (a number no extension has adds no
    one), in one INSERT; a person already on the call stays once."""
    staff = Call.staff.through
    table, extensions = (connection.ops.quote_name(model._meta.db_table) for model in (staff, Extension))
    sql = (
        f"INSERT INTO {table} (call_id, extension_id) "
        f"SELECT DISTINCT v.call_id, e.id FROM unnest({_arrays('uuid', 'text')}) AS v(call_id, number) "
        f"JOIN {extensions} AS e ON e.number = v.number "
        "ON CONFLICT (call_id, extension_id) DO NOTHING"
    )
    calls, numbers = zip(*calls_and_numbers, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pg_array(calls), pg_array(numbers)])


def _update_queues(queues: dict[str, str]) -> None:
    """The queue each call went through (none if no queue has that name any more)."""
    queue_table = connection.ops.quote_name(Queue._meta.db_table)
    _update(
        f"queue_id = (SELECT q.id FROM {queue_table} AS q WHERE q.name = v.name ORDER BY q.id LIMIT 1)",
        "v(id, name)",
        "TRUE",
        [(list(queues), "uuid"), (list(queues.values()), "text")],
        returning=False,
    )


def _update_phones(phones: dict[str, c.PhoneEncryption]) -> None:
    """Each staff phone's last call: when, and whether it was over TLS with SRTP audio."""
    table = connection.ops.quote_name(Extension._meta.db_table)
    sql = (
        f"UPDATE {table} AS e SET last_call_at = v.at, last_call_tls = v.tls, last_call_srtp = v.srtp "
        f"FROM unnest({_arrays('text', 'timestamptz', 'boolean', 'boolean')}) AS v(number, at, tls, srtp) "
        "WHERE e.number = v.number"
    )
    facts = list(phones.values())
    with connection.cursor() as cursor:
        columns = (phones, [f.at for f in facts], [f.tls for f in facts], [f.srtp for f in facts])
        cursor.execute(sql, [pg_array(column) for column in columns])


def _update_connected(connected: dict[str, c.CallStep]) -> None:
    """A call's first connection: when a person answered, who, and how long the caller waited."""
    _update(
        "connected_at = v.at, answered_by = left(v.target, 32), waited = v.at - c.started_at",
        "v(id, at, target)",
        "c.connected_at IS NULL",
        [
            (list(connected), "uuid"),
            ([f.at for f in connected.values()], "timestamptz"),
            ([str(f.detail.get("target", "")) for f in connected.values()], "text"),
        ],
        returning=False,
    )


def _update_answered(answers: dict[str, c.CallAnswered]) -> dict[int, Call]:
    calls = _update(
        "answered_at = v.at",
        "v(id, at)",
        "c.answered_at IS NULL",
        [(list(answers), "uuid"), ([f.at for f in answers.values()], "timestamptz")],
    )
    return {id(fact): calls[key] for key, fact in answers.items() if key in calls}


def _update_ended(ends: dict[str, c.CallEnded]) -> dict[int, Call]:
    facts = list(ends.values())
    calls = _update(
        "ended_at = v.at, outcome = v.outcome, hangup_cause = v.cause, hangup_cause_text = v.cause_text, "
        "hung_up_by = v.hung_up_by, abandoned = v.abandoned",
        "v(id, at, outcome, cause, cause_text, hung_up_by, abandoned)",
        "c.ended_at IS NULL",
        [
            (list(ends), "uuid"),
            ([f.at for f in facts], "timestamptz"),
            ([f.outcome for f in facts], "text"),
            ([f.cause for f in facts], "integer"),
            ([f.cause_text for f in facts], "text"),
            ([f.hung_up_by for f in facts], "text"),
            ([f.abandoned for f in facts], "boolean"),
        ],
    )
    return {id(fact): calls[key] for key, fact in ends.items() if key in calls}


def _update(
    assignments: str, values: str, only: str, columns: list[tuple[list[Any], str]], returning: bool = True
) -> dict[str, Call]:
    """One UPDATE of many calls from parallel arrays (unnest), returning each updated call's
    summary fields as they stand after it (unless `returning` is off). Call's fields are its
    columns (no db_column), which a test keeps so."""
    table = connection.ops.quote_name(Call._meta.db_table)
    arrays = _arrays(*(kind for _, kind in columns))
    sql = f"UPDATE {table} AS c SET {assignments} FROM unnest({arrays}) AS {values} WHERE c.id = v.id AND {only}"
    if returning:
        sql += " RETURNING " + ", ".join(f"c.{name}" for name in SUMMARY_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pg_array(values) for values, _ in columns])
        rows = cursor.fetchall() if returning else []
    return {str(row[0]): Call(**dict(zip(SUMMARY_FIELDS, row, strict=True))) for row in rows}


# One line of a call's timeline: the call's key, when, what (CallEvent.Kind), its detail.
TimelineLine = tuple[Any, datetime, str, dict[str, Any]]


def insert_timeline(lines: list[TimelineLine]) -> None:
    """The batch's timeline lines in one INSERT from arrays, in the batch's order (their ids
    follow it, and a call's timeline is read by time, then id). Django's bulk_create built
    and quoted each row's values in Python, a fifth of the database thread's time."""
    if not lines:
        return
    # One encoder for the batch (json.dumps with cls= builds one per line), as the field's own.
    encode = (CallEvent._meta.get_field("detail").encoder or json.JSONEncoder)().encode  # type: ignore[union-attr]
    table = connection.ops.quote_name(CallEvent._meta.db_table)
    sql = (
        f"INSERT INTO {table} (call_id, at, kind, detail) "
        "SELECT v.call_id, v.at, v.kind, v.detail::jsonb "
        f"FROM unnest({_arrays('uuid', 'timestamptz', 'text', 'text')}) "
        "WITH ORDINALITY AS v(call_id, at, kind, detail, n) ORDER BY v.n"
    )
    call_ids, ats, kinds, details = zip(*lines, strict=True)
    columns = (call_ids, ats, kinds, [encode(detail) for detail in details])
    with connection.cursor() as cursor:
        cursor.execute(sql, [pg_array(column) for column in columns])


# An array parameter, passed as one text literal (`pg_array`) and cast by PostgreSQL: psycopg
# dumping a list (a Python call or more per element, then quoting the whole) was a quarter of the
# database thread's time under load; one string of the same values costs a quarter of that.
_ARRAY = "%%s::text::%s[]"


def _arrays(*kinds: str) -> str:
    return ", ".join(_ARRAY % kind for kind in kinds)


def pg_array(values: Iterable[Any]) -> str:
    """`values` as a PostgreSQL array literal, for a `%s::text::<type>[]` parameter: None is
    NULL, booleans t/f, whole numbers as they are, durations in seconds, anything else (text,
    keys, aware datetimes in ISO form) quoted, with its quotes and backslashes escaped."""
    return "{" + ",".join(map(_element, values)) + "}"


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, timedelta):
        return f'"{value.total_seconds()} seconds"'
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
