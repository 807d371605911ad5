"""Call history written from the core's facts: order, idempotency, lost calls."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pbx.actions import RESUMED_ELSEWHERE, do_apply_facts, do_close_lost_calls, open_calls_on, recordings_owed
from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.extensions import do_create_extension
from pbx.models import Call, CallbackTask, Extension, Queue
from pbx.sip_credentials import sip_ha1

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KEY = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f"


def started(key: str = KEY, channel: str = "1.1") -> c.CallStarted:
    return c.CallStarted(
        channel,
        call_key=key,
        at=T0,
        direction="inbound",
        caller="+48601234567",
        called="+48221234567",
        sip_call_id="abc",
    )


def test_a_whole_call_lands_in_the_history_with_its_timeline():
    do_apply_facts(
        [
            started(),
            c.CallAnswered("1.1", call_key=KEY, at=T0 + timedelta(seconds=1)),
            c.CallStep(
                "1.1", call_key=KEY, at=T0 + timedelta(seconds=1), kind=StepKind.ANNOUNCEMENT, detail={"media": "x"}
            ),
            c.CallEnded(
                "1.1",
                call_key=KEY,
                at=T0 + timedelta(seconds=9),
                outcome="answered",
                cause=16,
                cause_text="Normal Clearing",
                hung_up_by="caller",
            ),
        ]
    )
    call = Call.objects.get()
    assert (call.caller, call.called, call.outcome, call.hangup_cause, call.hung_up_by) == (
        "+48601234567",
        "+48221234567",
        "answered",
        16,
        "caller",
    )
    assert call.duration_seconds == 9.0
    assert [e.kind for e in call.events.all()] == ["started", "answered", "announcement", "ended"]


def test_facts_applied_twice_change_nothing():
    facts = [
        started(),
        c.CallAnswered("1.1", call_key=KEY, at=T0),
        c.CallEnded("1.1", call_key=KEY, at=T0, outcome="missed", cause=19, cause_text=""),
    ]
    do_apply_facts(facts)
    do_apply_facts(facts)
    assert Call.objects.count() == 1
    assert Call.objects.get().events.count() == 3


def test_a_call_s_first_answer_and_end_count_even_when_repeated_in_one_batch():
    """The batch writes its answers and ends in one statement each: a fact repeated within the
    batch (a replay meeting its original) takes no effect, and the first of two ends stays."""
    later = T0 + timedelta(seconds=5)
    facts = [
        started(),
        c.CallAnswered("1.1", call_key=KEY, at=T0),
        c.CallEnded("1.1", call_key=KEY, at=T0, outcome="missed", cause=19, cause_text=""),
    ]
    do_apply_facts(
        [
            *facts,
            started(),
            c.CallAnswered("1.1", call_key=KEY, at=later),
            c.CallEnded("1.1", call_key=KEY, at=later, outcome="answered", cause=16, cause_text=""),
        ]
    )
    call = Call.objects.get()
    assert (call.answered_at, call.ended_at, call.outcome, call.hangup_cause) == (T0, T0, "missed", 19)
    assert list(call.events.values_list("kind", flat=True)) == ["started", "answered", "ended"]


def test_calls_dialled_from_staff_phones_in_one_batch_each_name_their_phone():
    """Who was on a call dialled from a phone is written for the whole batch at once."""
    anna, _ = do_create_extension("101", "Anna Nowak")
    piotr, _ = do_create_extension("102", "Piotr")
    keys = [str(uuid.UUID(int=n)) for n in (1, 2, 3)]
    do_apply_facts(
        [
            c.CallStarted(
                f"1.{n}",
                call_key=key,
                at=T0,
                direction="outbound",
                caller=caller,
                called="+48601234567",
                sip_call_id="",
            )
            for n, (key, caller) in enumerate(zip(keys, ["101", "102", "101"], strict=True))
        ]
    )
    staff = {str(pk): set(Call.objects.get(pk=pk).staff.all()) for pk in keys}
    assert staff == {keys[0]: {anna}, keys[1]: {piotr}, keys[2]: {anna}}


def step(call: str, seconds: int, kind: StepKind, **detail: str) -> c.CallStep:
    return c.CallStep("1.1", call_key=call, at=T0 + timedelta(seconds=seconds), kind=kind, detail=detail)


def test_who_answered_the_staff_who_talked_and_the_queue_are_written_for_a_whole_batch():
    """A call's first connection says who answered and how long the caller waited; every
    connection (a transfer) adds its extension to the staff who may see the call; a call's
    queue is the last it rang through, and none when no queue has that name any more."""
    anna, _ = do_create_extension("101", "Anna Nowak")
    piotr, _ = do_create_extension("102", "Piotr")
    sales = Queue.objects.create(name="Sprzedaż")
    transferred, queued, gone, unknown = (str(uuid.UUID(int=n)) for n in (1, 2, 3, 4))
    facts: list[c.Fact] = [started(key, f"1.{n}") for n, key in enumerate((transferred, queued, gone, unknown))]
    facts += [
        step(transferred, 4, StepKind.CONNECTED, target="101"),
        step(transferred, 30, StepKind.CONNECTED, target="102"),  # transferred to Piotr
        step(queued, 1, StepKind.RING_QUEUE, queue="Serwis"),  # no such queue (any more)
        step(queued, 2, StepKind.RING_QUEUE, queue="Sprzedaż"),
        step(queued, 12, StepKind.CONNECTED, target="102"),
        step(gone, 1, StepKind.RING_QUEUE, queue="Zamknięta"),
        step(unknown, 7, StepKind.CONNECTED, target="+48601234567"),  # an outside number: no staff
    ]
    do_apply_facts(facts[:6])  # the first connection in one batch, the transfer in the next
    do_apply_facts(facts[6:])
    calls = {str(call.pk): call for call in Call.objects.all()}
    assert (calls[transferred].answered_by, calls[transferred].waited) == ("101", timedelta(seconds=4))
    assert calls[transferred].connected_at == T0 + timedelta(seconds=4)
    assert set(calls[transferred].staff.all()) == {anna, piotr}
    assert (calls[queued].queue, calls[queued].answered_by, calls[queued].waited) == (
        sales,
        "102",
        timedelta(seconds=12),
    )
    assert set(calls[queued].staff.all()) == {piotr}
    assert calls[gone].queue is None and calls[gone].connected_at is None
    assert (calls[unknown].answered_by, list(calls[unknown].staff.all())) == ("+48601234567", [])
    timeline = list(calls[transferred].events.values_list("kind", flat=True))
    assert timeline == ["started", "connected", "connected"]


def test_each_staff_phone_keeps_its_last_call_s_encryption():
    """A phone's row says how its last call went (signalling over TLS, audio over SRTP); two
    calls of one phone in a batch leave the later one's; the timeline keeps each call's."""
    do_create_extension("101", "Anna Nowak")
    do_create_extension("102", "Piotr")
    first, second, third = (str(uuid.UUID(int=n)) for n in (1, 2, 3))

    def encryption(key: str, seconds: int, extension: str, tls: bool, srtp: bool) -> c.PhoneEncryption:
        at = T0 + timedelta(seconds=seconds)
        return c.PhoneEncryption("1.1", call_key=key, at=at, extension=extension, tls=tls, srtp=srtp)

    do_apply_facts(
        [
            *(started(key, f"1.{n}") for n, key in enumerate((first, second, third))),
            encryption(first, 5, "101", tls=True, srtp=True),
            encryption(second, 9, "101", tls=False, srtp=False),  # Anna's later call, on a plain phone
            encryption(third, 7, "102", tls=True, srtp=False),
            encryption(first, 8, "999", tls=True, srtp=True),  # no such phone: nothing to update
        ]
    )
    phones = {x.number: (x.last_call_at, x.last_call_tls, x.last_call_srtp) for x in Extension.objects.all()}
    assert phones == {
        "101": (T0 + timedelta(seconds=9), False, False),
        "102": (T0 + timedelta(seconds=7), True, False),
    }
    assert Call.objects.get(pk=first).events.filter(kind="encryption", detail__srtp=True).count() == 2


@pytest.mark.parametrize("calls", [1, 3])
def test_a_batch_of_answered_calls_costs_the_same_statements_whatever_its_size(calls):
    """The connection steps of a busy minute are written for the whole batch: one UPDATE of
    the queues, one of who answered, one INSERT of the staff and one UPDATE of the phones,
    however many calls it holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    do_create_extension("101", "Anna Nowak")
    Queue.objects.create(name="Sprzedaż")
    keys = [str(uuid.UUID(int=n + 1)) for n in range(calls)]
    do_apply_facts([started(key, f"1.{n}") for n, key in enumerate(keys)])
    facts: list[c.Fact] = []
    for key in keys:
        facts += [step(key, 2, StepKind.RING_QUEUE, queue="Sprzedaż"), step(key, 9, StepKind.CONNECTED, target="101")]
        facts.append(c.PhoneEncryption("1.1", call_key=key, at=T0, extension="101", tls=True, srtp=True))
    with CaptureQueriesContext(connection) as seen:
        do_apply_facts(facts)
    statements = [" ".join(q["sql"].split()[:3]) for q in seen.captured_queries]
    assert statements[1:-1] == [
        'UPDATE "pbx_call" AS',  # the queues
        'UPDATE "pbx_call" AS',  # who answered, and the wait
        'INSERT INTO "pbx_call_staff"',
        'UPDATE "pbx_extension" AS',  # the phones' last call
        'INSERT INTO "pbx_callevent"',
    ]
    assert Call.objects.filter(answered_by="101", queue__name="Sprzedaż", staff__number="101").count() == calls


def test_the_fields_written_by_name_in_sql_are_the_columns():
    """pbx/call_rows.py names the call's and the timeline's fields in its statements as columns."""
    from pbx.call_rows import SUMMARY_FIELDS
    from pbx.models import CallEvent

    names = {*SUMMARY_FIELDS, "hangup_cause", "hangup_cause_text", "hung_up_by", "abandoned"}
    names |= {"connected_at", "answered_by", "waited"}
    columns = {field.name: field.column for field in Call._meta.concrete_fields}
    assert all(columns[name] == name for name in names) and columns["queue"] == "queue_id"
    staff = {field.name: field.column for field in Call.staff.through._meta.concrete_fields}
    assert (staff["call"], staff["extension"]) == ("call_id", "extension_id")
    phone = {field.name: field.column for field in Extension._meta.concrete_fields}
    assert all(phone[name] == name for name in ("number", "last_call_at", "last_call_tls", "last_call_srtp"))
    timeline = {field.name: field.column for field in CallEvent._meta.concrete_fields}
    assert (timeline["call"], timeline["at"], timeline["kind"], timeline["detail"]) == (
        "call_id",
        "at",
        "kind",
        "detail",
    )


AWKWARD_TEXT = [
    'Kowalski "Szef"',
    "C:\\nagrania\\",
    "a,b{c}d",
    "NULL",
    "",
    " spacja ",
    "Zażółć gęślą jaźń",
    '\\"',
    None,
]


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("text", AWKWARD_TEXT),
        ("uuid", [uuid.UUID(int=7), KEY, None]),
        ("timestamptz", [T0, datetime(2026, 3, 29, 3, 30, 0, 123456, tzinfo=UTC) + timedelta(hours=1), None]),
        ("boolean", [True, False, None]),
        ("integer", [16, 0, -1, None]),
        ("interval", [timedelta(seconds=5.25), timedelta(days=1, seconds=3), -timedelta(seconds=2), None]),
    ],
)
def test_an_array_parameter_reaches_postgresql_as_it_was(kind, values):
    """The batch's statements pass each column as one array literal (pbx.call_rows.pg_array):
    quotes, backslashes, commas, braces, the word NULL, empty text and None all arrive intact."""
    from django.db import connection

    from pbx.call_rows import pg_array

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::text::{kind}[]", [pg_array(values)])
        (back,) = cursor.fetchone()
    expected = [uuid.UUID(str(v)) if kind == "uuid" and v is not None else v for v in values]
    assert back == expected


def test_a_call_the_batch_inserts_reads_back_as_the_orm_would_have_saved_it():
    """pbx.call_rows writes new calls in its own INSERT, every field as the model saves it."""
    from django.forms.models import model_to_dict

    fact = replace(started(), caller='O"Brien\\ +48 601', sip_call_id="a,b{c}", worker=2)
    do_apply_facts([fact])
    batch = Call.objects.get(pk=KEY)
    saved = Call(
        id=uuid.UUID(int=5),
        channel_id="9.9",
        sip_call_id=fact.sip_call_id,
        direction=fact.direction,
        caller=fact.caller,
        called=fact.called,
        started_at=fact.at,
        stasis_worker=2,
    )
    saved.save()
    saved.refresh_from_db()
    differs = {"id", "channel_id"}
    assert {k: v for k, v in model_to_dict(batch).items() if k not in differs} == {
        k: v for k, v in model_to_dict(saved).items() if k not in differs
    }
    assert batch.started_at == T0 and batch.outcome == Call.Outcome.IN_PROGRESS and batch.caller == fact.caller


def test_a_new_call_on_a_channel_another_open_call_holds_fails_alone(caplog):
    """The batch's INSERT leaves a call whose row is there; a different call on a channel that
    another row holds is an error, as with save(), and costs only that fact."""
    other = str(uuid.UUID(int=9))
    do_apply_facts([started()])
    do_apply_facts([started(other, channel="1.1"), started(str(uuid.UUID(int=10)), channel="2.2")])
    assert sorted(str(pk) for pk in Call.objects.values_list("pk", flat=True)) == sorted([KEY, str(uuid.UUID(int=10))])
    assert "dropped a call fact that cannot be written" in caplog.text


def test_a_timeline_detail_with_quotes_and_backslashes_is_written_as_it_was():
    detail = {"name": 'Biuro "Północ"', "path": "C:\\x", "list": ["a,b", "{c}"], "none": None}
    do_apply_facts([started(), c.CallStep("1.1", call_key=KEY, at=T0, kind=StepKind.ANNOUNCEMENT, detail=detail)])
    assert Call.objects.get().events.get(kind="announcement").detail == detail


def test_a_fact_that_cannot_be_written_costs_only_itself(caplog):
    """Found by the benchmark: one bad fact used to fail its whole batch, and after the retries
    the call store dropped the batch, calls and all. Each fact is now written on its own when
    the batch fails; only the bad one is dropped, whole, and logged."""
    other = "0f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f"
    # Two calls claiming one Asterisk channel: the second breaks the unique constraint.
    do_apply_facts(
        [
            started(),
            started(key=other, channel="1.1"),
            c.CallAnswered("1.1", call_key=KEY, at=T0 + timedelta(seconds=2)),
        ]
    )
    assert list(Call.objects.values_list("pk", "answered_at")) == [(uuid.UUID(KEY), T0 + timedelta(seconds=2))]
    assert "dropped a call fact that cannot be written" in caplog.text


def test_a_caller_number_that_is_no_phone_number_gets_no_callback_task():
    do_apply_facts(
        [
            started(),
            c.CallbackRequested("1.1", call_key=KEY, at=T0, number="+4860182", reason="no_answer", assign_to=""),
        ]
    )
    assert Call.objects.exists() and not CallbackTask.objects.exists()


def test_lost_calls_are_closed_and_live_ones_kept():
    do_apply_facts([started(KEY, "1.1"), started("0f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f", "1.2")])
    closed = do_close_lost_calls({"1.2"}, T0 + timedelta(minutes=5))
    assert closed == 1
    assert Call.objects.get(channel_id="1.1").outcome == Call.Outcome.LOST
    assert Call.objects.get(channel_id="1.2").ended_at is None


def test_open_calls_on_channels_name_their_keys_for_the_restarted_app():
    do_apply_facts([started(KEY, "1.1"), started("0f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f", "1.2")])
    do_close_lost_calls({"1.1"}, T0 + timedelta(minutes=5))  # 1.2 ended
    assert open_calls_on({"1.1", "1.2", "1.3"}) == {"1.1": KEY}


def test_the_history_names_the_recordings_announced_to_connected_callers_and_not_refused():
    keys = [str(uuid.uuid4()) for _ in range(6)]
    facts: list[c.Fact] = [started(key, f"1.{n}") for n, key in enumerate(keys)]
    notice = StepKind.RECORDING_NOTICE
    owing, recording_written, objected, never, failed, not_connected = keys
    for key in keys:
        facts.append(step(key, 1, notice, rule="Jakość obsługi"))
    for key in (owing, recording_written, objected, never, failed):
        facts.append(step(key, 9, StepKind.CONNECTED, target="101"))
    facts += [
        step(recording_written, 9, StepKind.RECORDING, rule="Jakość obsługi"),  # its file may never have started
        step(objected, 5, StepKind.RECORDING_OBJECTION, rule="Jakość obsługi", key="9"),
        step(never, 9, StepKind.NOT_RECORDED, rule="Anna bez nagrań"),
        step(failed, 10, StepKind.RECORDING_FAILED, cause="disk full"),
    ]
    do_apply_facts(facts)
    assert recordings_owed(set(keys)) == {
        owing: ("Jakość obsługi", "101"),
        recording_written: ("Jakość obsługi", "101"),
    }
    assert recordings_owed({objected, never, not_connected}) == {} and recordings_owed(set()) == {}


def test_a_recording_paused_before_it_began_is_not_owed_to_the_restarted_app_until_resumed():
    # Staff paused for card details before the recording began; the app restarted: starting the
    # recording now would write the card details.
    paused, resumed = str(uuid.uuid4()), str(uuid.uuid4())
    facts: list[c.Fact] = []
    for n, key in enumerate((paused, resumed)):
        facts += [
            started(key, f"1.{n}"),
            step(key, 1, StepKind.RECORDING_NOTICE, rule="Jakość obsługi"),
            step(key, 9, StepKind.CONNECTED, target="101"),
            step(key, 9, StepKind.RECORDING, rule="Jakość obsługi"),
            step(key, 10, StepKind.RECORDING_PAUSED, by="101"),
        ]
    facts.append(step(resumed, 30, StepKind.RECORDING_RESUMED, by="101"))
    do_apply_facts(facts)
    assert recordings_owed({paused, resumed}) == {resumed: ("Jakość obsługi", "101")}


def test_a_caller_taken_back_under_a_new_key_closes_the_older_row_on_its_channel():
    do_apply_facts([started(KEY, "1.1")])
    again = replace(started("0f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e5f", "1.1"), adopted=True)
    do_apply_facts([again, again])  # written again from the spool: still once
    old, new = Call.objects.get(pk=KEY), Call.objects.get(pk=again.call_key)
    assert (new.channel_id, new.ended_at) == ("1.1", None)
    assert old.outcome == Call.Outcome.LOST and old.ended_at is not None and old.channel_id != "1.1"
    assert old.events.filter(kind="lost", detail__why=RESUMED_ELSEWHERE).exists()


def test_extension_keeps_only_the_digest_of_a_strong_password():
    extension, password = do_create_extension("101", "Anna Nowak")
    assert len(password) == 24 and password.isalnum()
    assert password not in str(Extension.objects.filter(pk=extension.pk).values().get())
    assert extension.sip_ha1 == sip_ha1("101", "centrala", password)
    _, second = do_create_extension("102", "Piotr")
    assert second != password


@pytest.mark.parametrize("number", ["0101", "1", "123456", "12a"])
def test_bad_extension_numbers_are_refused_and_nothing_is_saved(number: str):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        do_create_extension(number, "X")
    assert "number" in caught.value.message_dict
    assert not Extension.objects.exists()
