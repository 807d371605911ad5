"""The dialplan's arguments, read exactly: a comma in a dialled number adds arguments, and a
call whose arguments are not what Centrala writes is refused, never reinterpreted."""

from __future__ import annotations

import pytest

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow.call import Call
from pbx.callflow.stasis_args import StasisArgs, parse_stasis_args

from .fixtures import CHANNEL, KEY, T0, directory, phone_channel


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (("inbound", "+48221234567"), StasisArgs("inbound", dialled="+48221234567")),
        ((), StasisArgs("inbound", dialled="EXTEN")),
        (("internal", "1", "+48601234567"), StasisArgs("internal", dialled="+48601234567", over_tls=True)),
        (("internal", "0", "102"), StasisArgs("internal", dialled="102", over_tls=False)),
        (
            ("callback", "7", "+48601234567", "101"),
            StasisArgs("callback", task_id="7", number="+48601234567", staff="101"),
        ),
        (("leg", "call-1"), StasisArgs("leg")),
        # a comma dialled from a phone: '+48601234567,1' becomes two arguments
        (("internal", "0", "+48601234567", "1"), None),
        (("internal", "+48601234567", "1"), None),  # the old order, a flag where the number belongs
        (("internal", "", "102"), None),
        (("inbound", "+48221234567", "x"), None),
        (("callback", "7", "+48601234567"), None),
        (("dial", "1"), None),
        # a caller a restarted Stasis worker passed to the first (pbx/stasis/to_first.py)
        (("resume", "call-1", "1"), StasisArgs("resume", call_key="call-1", known=True)),
        (("resume", "call-1", "0"), StasisArgs("resume", call_key="call-1", known=False)),
        (("resume", "", "1"), None),
        (("resume", "call-1", "yes"), None),
        (("resume", "call-1"), None),
        (("resume", "call-1", "1", "x"), None),
    ],
)
def test_the_arguments_are_read_exactly(args, parsed):
    assert parse_stasis_args(args, "EXTEN") == parsed


def test_a_comma_dial_from_a_plain_sip_phone_is_refused_and_recorded():
    call = Call(KEY, CHANNEL, directory())
    channel = phone_channel("101", exten="+48601234567,1")
    out = call.receive(
        e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel, args=("internal", "0", "+48601234567", "1"))
    )
    assert not [x for x in out if isinstance(x, c.Originate | c.Play)]
    assert [x.kind for x in out if isinstance(x, c.CallStep)] == ["bad_arguments", "hangup"]
    assert out[-1] == c.Hangup(CHANNEL, reason="rejected")
    started = next(x for x in out if isinstance(x, c.CallStarted))
    assert (started.direction, started.caller, started.called) == ("outbound", "101", "+48601234567,1")
    ended = call.receive(e.StasisEnd(at=T0, channel_id=CHANNEL))
    assert [x.outcome for x in ended if isinstance(x, c.CallEnded)] == ["rejected"]
