"""Messages Asterisk does not create at all (the rendered stasis.conf): on the real Asterisk, an
application that subscribes to everything sees a put-through call's channels enter and leave
the bridge, and never a variable set on them."""

from __future__ import annotations

import json
import threading

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pbx.ari.stream import events_url
from pbx.sandbox import sipp_call

from .conftest import running_stasis
from .harness import phone
from .listening import ari_login
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import office, queue, registered, steps, the_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WATCHER = "centrala-test-everything"


def test_no_variable_set_on_a_call_becomes_an_event_and_the_call_is_put_through(staff):
    url = events_url(settings.ARI_URL, WATCHER, subscribe_all=True)
    seen: list[str] = []
    office(queue("ring_all"))
    with connect(url, additional_headers={"Authorization": ari_login()}) as ws:

        def read() -> None:
            try:
                for raw in ws:
                    seen.append(str(json.loads(raw).get("type")))
            except ConnectionClosed:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
            result = sipp_call(
                "caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5191
            )
            assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
            call = the_call()
            # Every channel of the call is gone: the RTP statistics Asterisk sets on each at its
            # hang-up (RTPAUDIOQOS and five more) have been set by now.
            wait_for(lambda: seen.count("ChannelDestroyed") >= 3, timeout=10)
    assert ("connected", {"target": "102"}) in steps(call)
    # The watcher saw the call (each channel joining and leaving the bridge; before stasis.conf
    # declined them, dozens of ChannelVarset events came with it) and no variable being set.
    assert seen.count("ChannelEnteredBridge") >= 2, sorted(set(seen))
    assert "ChannelVarset" not in seen, seen.count("ChannelVarset")
