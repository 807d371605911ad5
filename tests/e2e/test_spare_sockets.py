"""Spare sockets (ARI_SPARE_SOCKETS) on the real Asterisk: it takes the app's requests over
websockets under app names no call enters, and a caller put through to a phone is joined to
the bridge over one of them."""

from __future__ import annotations

import pytest
from django.conf import settings

from pbx.ari.client import AriNotFound
from pbx.asterisk import spare_app_name
from pbx.sandbox import sipp_call

from .conftest import running_stasis
from .harness import phone
from .test_first_call import CUSTOMER, OFFICE, ari, wait_for
from .test_scenarios import office, queue, registered, steps, the_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def listed(app: str) -> bool:
    try:
        ari(lambda client: client.application(app))
    except AriNotFound:
        return False
    return True


def test_a_caller_is_put_through_over_a_spare_socket_and_asterisk_lists_the_spares_only_while_the_app_runs(staff):
    assert settings.ARI_SPARE_SOCKETS == 2  # the default
    spares = [spare_app_name(settings.ARI_APP, n) for n in (1, 2)]
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis() as pump:
        assert [listed(app) for app in spares] == [True, True]
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5189)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
        assert pump.app is not None
        sockets = pump.app.ari.sockets.spares
    assert ("connected", {"target": "102"}) in steps(call)
    # One call's requests go one after another over the idle event socket, all but the join,
    # which never does: it went over an idle spare socket (else it would have gone over HTTP).
    assert sum(spare.sent for spare in sockets) >= 1, [spare.sent for spare in sockets]
    wait_for(lambda: not any(listed(app) for app in spares), timeout=5)  # gone with the app's sockets
