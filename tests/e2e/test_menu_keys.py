"""A caller who chooses voicemail in the menu leaves a message, whenever the key comes: during
the menu's prompt, after it, twice, or with another key during the voicemail's own prompt."""

from __future__ import annotations

import pytest
from django.conf import settings

from pbx.models import Call, CallbackTask, Destination, Menu, MenuOption, Prompt
from pbx.sandbox import copy_scenarios, sipp_call
from recordings.models import Recording

from .conftest import running_stasis
from .dtmf_pcap import write_key_presses
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import office, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG_PROMPT = "demo-moreinfo"  # 14.7 s
SHORT_PROMPT = "hello-world"  # 1.4 s
VOICEMAIL_PROMPT = "vm-intro"  # 5.7 s


def menu_office() -> tuple[Destination, Destination]:
    voicemail_prompt = Prompt.objects.create(name="Nagraj wiadomość", sound=VOICEMAIL_PROMPT)
    voicemail = Destination.objects.create(name="Poczta", kind="voicemail", prompt=voicemail_prompt, seconds=60)
    bye = Prompt.objects.create(name="Do widzenia", sound="goodbye")
    goodbye = Destination.objects.create(name="Do widzenia", kind="announcement", prompt=bye)
    return voicemail, goodbye


@pytest.mark.parametrize(
    ("prompt", "presses"),
    [
        pytest.param(LONG_PROMPT, [(2000, "0")], id="during the prompt"),
        pytest.param(SHORT_PROMPT, [(3500, "0")], id="after the prompt"),
        pytest.param(LONG_PROMPT, [(2000, "0"), (2700, "0")], id="twice"),
        pytest.param(LONG_PROMPT, [(2000, "0"), (4500, "1")], id="another key during the voicemail prompt"),
    ],
)
def test_choosing_voicemail_in_the_menu_keeps_the_message(asterisk, prompt, presses):
    voicemail, goodbye = menu_office()
    menu = Menu.objects.create(name="Menu", prompt=Prompt.objects.create(name="Menu", sound=prompt), timeout_seconds=8)
    MenuOption.objects.create(menu=menu, digit="0", destination=voicemail)
    MenuOption.objects.create(menu=menu, digit="1", destination=goodbye)
    office(Destination.objects.create(name="Menu", kind="menu", menu=menu))
    write_key_presses(copy_scenarios() / "keys.pcap", presses, audio_ms=24_000)
    with running_stasis():
        result = sipp_call(
            "caller_presses_keys.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5110
        )
        call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=30)
        assert (result.successful, result.failed) == (1, 0), (steps(call), result.output[-3000:])
        message = wait_for(lambda: Recording.objects.filter(call=call).first(), timeout=30)
    kinds = [kind for kind, _ in steps(call)]
    assert "command_failed" not in kinds, steps(call)
    assert ("menu_choice", {"digit": "0"}) in steps(call) and kinds.count("menu_choice") == 1
    assert (call.outcome, message.kind) == (Call.Outcome.VOICEMAIL, Recording.Kind.VOICEMAIL)
    # The caller spoke from the beep (after the 5.7 s prompt) until hanging up at 25 s.
    assert 10 <= message.duration_seconds <= 22, message.duration_seconds
    assert CallbackTask.objects.get(call=call).reason == "voicemail"
