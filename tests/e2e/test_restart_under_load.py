"""Nobody is left in silence when the app dies under load (pbx/callflow/resume.py,
pbx/stasis/adoption.py), on the real Asterisk.

Twenty callers at once, four in each of: a long greeting, a menu, a queue whose phone rings
and is never answered, voicemail (speaking), and a conversation with Piotr (recorded). With
every one of them in place, `manage.py stasis` is killed with SIGKILL and started again 2 s
later, the way a container's restart policy would. Within 2 s of its return each caller has
a defined path: the conversations go on, the messages are finished, the others hear that the
line was interrupted and start the scenario again; the phones still ringing for the lost
calls are hung up. Every call is closed in the history (none "lost"), says it was resumed and
where, and every recording and message is stored."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from company_numbers.models import CompanyNumber
from pbx.asterisk_config import apply_config
from pbx.callflow import names
from pbx.callflow.resume import ADOPTED_IDS
from pbx.models import Call, Destination, Extension, Menu, Prompt, Queue, QueueMember, Scenario
from pbx.prompts import audio_from_text, do_save_prompt
from pbx.sandbox import SippResult, sipp_call
from recordings.models import Recording
from voicemail.models import Mailbox, Message

from .sip_phone import sip_phone
from .test_fault_tolerance import start_stasis
from .test_first_call import CUSTOMER, ari, wait_for
from .test_scenarios import steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CALLERS = 4  # per kind
LONG_GREETING = " ".join(["Dzień dobry, dziękujemy za telefon do naszej firmy."] * 6)
# number -> (what the caller is doing when the app dies, its kinds of step, where it resumes)
KINDS = {
    "+48221230001": ("greeting", {"announcement"}, {"entry"}),
    "+48221230002": ("menu", {"menu", "menu_no_input"}, {"entry"}),
    "+48221230003": ("queue", {"ring_queue", "queue_place", "leg_failed"}, {"entry"}),
    # speaking 8 s: a message may end on silence while the app is away (then the call ends)
    "+48221230004": ("voicemail", {"voicemail"}, {"voicemail", "left_message"}),
    "+48221230005": ("conversation", {"recording"}, {"bridged"}),
}


def scenarios(staff: dict, rule) -> None:  # type: ignore[no-untyped-def]
    greeting = do_save_prompt(Prompt(name="Powitanie"), audio_from_text(LONG_GREETING), "speech", actor="test")
    sales = Queue.objects.create(name="Sprzedaż", strategy="ring_all", member_ring_seconds=60, max_wait_seconds=90)
    QueueMember.objects.create(queue=sales, extension=Extension.objects.get(number="101"), position=0)
    menu = Menu.objects.create(
        name="Menu", prompt=Prompt.objects.create(name="Menu", sound="hello-world"), timeout_seconds=8
    )
    entries = [
        Destination.objects.create(name="Powitanie", kind="announcement", prompt=greeting),
        Destination.objects.create(name="Menu", kind="menu", menu=menu),
        Destination.objects.create(name="Kolejka", kind="queue", queue=sales),
        Destination.objects.create(
            name="Poczta", kind="voicemail", seconds=60, mailbox=Mailbox.objects.create(name="Biuro")
        ),
        Destination.objects.create(name="Piotr", kind="extension", extension=staff["102"][0], seconds=30),
    ]
    for (number, (label, _, _)), entry in zip(KINDS.items(), entries, strict=True):
        scenario = Scenario.objects.create(name=label, when_open=entry)
        CompanyNumber.objects.create(e164=number, label=label, scenario=scenario, is_main=number.endswith("1"))
    rule.company_number = CompanyNumber.objects.get(e164="+48221230005")  # only the conversations are recorded
    rule.save()


def in_place(call: Call) -> bool:
    label, kinds, _ = KINDS[call.called]
    if not kinds & {kind for kind, _ in steps(call)}:
        return False
    if label == "voicemail":  # past the mailbox's greeting and the beep: the message is recording
        return bool(ari(lambda client: client.recording_is_live(names.recording(str(call.pk), "voicemail"))))
    return True


def test_every_caller_has_a_path_within_2_s_of_the_apps_return(staff, rule):
    Extension.objects.filter(number__in=["101", "102"]).update(plain_sip=True)
    scenarios(staff, rule)
    apply_config(settings.ASTERISK_CONFIG_DIR, reload=True)
    server = ("127.0.0.1", settings.ASTERISK_SIP_PORT)
    results: dict[str, SippResult] = {}
    with (
        sip_phone("101", staff["101"][1], server, port=5310, rings_only=True),
        sip_phone("102", staff["102"][1], server, port=5311) as piotr,
    ):
        first = start_stasis()
        answering = threading.Thread(target=lambda: [piotr.answer(timeout=30) for _ in range(CALLERS)], daemon=True)
        answering.start()
        callers = [
            threading.Thread(
                target=lambda number=number, port=port: results.__setitem__(
                    number,
                    sipp_call(
                        "caller_stays.xml",
                        number,
                        CUSTOMER,
                        sip_port=settings.ASTERISK_SIP_PORT,
                        local_port=port,
                        calls=CALLERS,
                        rate=CALLERS,
                        timeout_s=90,
                        extra=("-mp", str(port * 2 + 10000)),  # each SIPp its own audio port
                    ),
                )
            )
            for port, number in zip(range(5320, 5330), KINDS, strict=False)
        ]
        for thread in callers:
            thread.start()
        wait_for(
            lambda: (
                Call.objects.filter(direction="inbound").count() == CALLERS * len(KINDS)
                and all(in_place(call) for call in Call.objects.filter(direction="inbound"))
            ),
            timeout=40,
        )
        time.sleep(1)
        first.stop(signal.SIGKILL, timeout=10)
        time.sleep(2)
        second = start_stasis()
        back = datetime.now(UTC)
        try:
            # The phones that rang for the lost calls were hung up: only the resumed calls' ring.
            time.sleep(3)
            bridged = {ch for bridge in ari(lambda client: client.bridges()) for ch in bridge["channels"]}
            legs = [ch["id"] for ch in ari(lambda client: client.channels()) if "-leg" in ch["id"]]
            old = [leg for leg in legs if int(leg.rsplit("-leg", 1)[1]) < ADOPTED_IDS]
            assert old and all(leg in bridged for leg in old), (old, bridged)  # Piotr's conversations only
            assert len(old) == CALLERS and len(legs) > len(old), legs  # and the queue rings again
            for thread in callers:
                thread.join(90)
            wait_for(lambda: not Call.objects.filter(ended_at__isnull=True).exists(), timeout=30)
            wait_for(lambda: Message.objects.count() == CALLERS, timeout=30)
            wait_for(lambda: Recording.objects.filter(kind="call").count() == CALLERS, timeout=30)
        finally:
            output = second.stop()
    assert second.returncode == 0, output[-4000:]
    for number, result in results.items():
        assert (result.successful, result.failed) == (CALLERS, 0), (number, result.output[-3000:])
    calls = list(Call.objects.filter(direction="inbound"))
    assert len(calls) == CALLERS * len(KINDS)
    for call in calls:
        label, _, where = KINDS[call.called]
        resumed = [event for event in call.events.all() if event.kind == "resumed"]
        assert len(resumed) == 1 and resumed[0].detail["where"] in where, (label, steps(call))
        assert resumed[0].at <= back + timedelta(seconds=2), (label, resumed[0].at, back)
        assert call.outcome != Call.Outcome.LOST, (label, steps(call))
        after = [kind for kind, _ in steps(call)][[kind for kind, _ in steps(call)].index("resumed") :]
        if where == {"entry"}:  # told, then the scenario again from its start
            _, kinds, _ = KINDS[call.called]
            assert kinds & set(after), (label, after)
    by_kind = {KINDS[call.called][0]: call.outcome for call in calls}
    assert by_kind["conversation"] == Call.Outcome.ANSWERED
    assert by_kind["voicemail"] == Call.Outcome.VOICEMAIL
    # one message per voicemail caller: none was asked to leave a second after the restart
    messages = Message.objects.values_list("recording__call__called", flat=True)
    assert sorted(messages) == ["+48221230004"] * CALLERS, list(messages)
