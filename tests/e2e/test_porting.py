"""A ported number takes no calls while porting in, and reaches its scenario once completed."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings

from company_numbers.models import CompanyNumber
from company_numbers.porting.calendar import add_working_days
from company_numbers.porting.flow import do_create_request, do_move
from pbx.models import Call, Scenario
from pbx.sandbox import sipp_call

from .conftest import running_stasis
from .harness import phone
from .test_first_call import CUSTOMER, wait_for
from .test_scenarios import queue, registered, steps

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PORTED = "+48221234599"


def test_completing_a_port_makes_the_number_reach_its_scenario(staff):
    today = date(2026, 11, 23)
    port_day = add_working_days(today, 10)
    request = do_create_request(
        {
            "subscriber_type": "company",
            "subscriber_name": "ACME sp. z o.o.",
            "nip": "5261040828",
            "address": "ul. Prosta 1",
            "current_operator": "Orange",
            "requested_date": port_day,
        },
        ["22 123 45 99"],
        actor="it",
    )
    scenario = Scenario.objects.create(name="Biuro", when_open=queue("ring_all"))
    CompanyNumber.objects.filter(e164=PORTED).update(scenario=scenario)
    with running_stasis():
        result = sipp_call(
            "caller_unallocated.xml", PORTED, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5098
        )
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        refused = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=30)
    assert (refused.called, refused.outcome) == (PORTED, Call.Outcome.REJECTED)

    for state in ("validated", "submitted", "accepted"):
        do_move(request, state, "it", today)
    do_move(request, "scheduled", "it", today, port_date=port_day)
    do_move(request, "completed", "it", port_day)
    assert CompanyNumber.objects.get(e164=PORTED).status == "active"

    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        result = sipp_call("caller_talks.xml", PORTED, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5099)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        answered = wait_for(
            lambda: Call.objects.filter(ended_at__isnull=False).exclude(pk=refused.pk).first(), timeout=30
        )
    assert (answered.called, answered.outcome) == (PORTED, Call.Outcome.ANSWERED)
    assert ("connected", {"target": "102"}) in steps(answered)
