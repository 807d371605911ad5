"""Personas and data shared by the Django tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from company_numbers.models import CompanyNumber
from pbx.models import Destination, Prompt, Scenario

pytest_plugins = ["tests.fake_ari"]  # the fake_ari fixture

# Where no Asterisk listens (the discard port): what the tests outside the real-Asterisk tier reach.
NO_ASTERISK = "http://127.0.0.1:9/ari"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs the suite in two processes (pytest-xdist, --dist loadgroup): the
    real-Asterisk tier, which shares one Asterisk instance, stays together in one of them."""
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("asterisk"))


@pytest.fixture(autouse=True)
def asterisk_only_for_its_tier(request: pytest.FixtureRequest) -> None:
    """The real-Asterisk tier's instance may be running in the other process: no other test
    pushes its configuration there or asks it anything (tests/fake_ari.py stands in for it)."""
    if request.node.get_closest_marker("e2e") is None:
        settings = request.getfixturevalue("settings")
        settings.ARI_URL = NO_ASTERISK


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path_factory) -> None:
    """Each test stores files in its own folder, so no test sees another's leftovers."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def manager(db: None) -> User:
    """Ola, the office manager: a superuser in this first version."""
    return User.objects.create_superuser("ola", "ola@firma.test", "Ola-Long-Password-1")


@pytest.fixture
def greeting(db: None) -> Prompt:
    return Prompt.objects.create(name="Powitanie", sound="hello-world")


@pytest.fixture
def message_line(greeting: Prompt) -> CompanyNumber:
    """A message-taking line: greeting, then 3 s of the caller recorded (no beep)."""
    record = Destination.objects.create(name="Nagraj 3 s", kind="voicemail", seconds=3)
    hello = Destination.objects.create(name="Powitanie", kind="announcement", prompt=greeting, then=record)
    scenario = Scenario.objects.create(name="Linia wiadomości", when_open=hello)
    return CompanyNumber.objects.create(e164="+48221234567", label="Biuro", scenario=scenario, is_main=True)


# What a browser posts for the rota on an extension's page (pbx/admin/people.py) with no slots.
NO_ROTA = {"weeklyduty_set-TOTAL_FORMS": "0", "weeklyduty_set-INITIAL_FORMS": "0"}


def signed_in(client, user: User):  # type: ignore[no-untyped-def]
    """Log `client` in as `user` the way a person gets through: with the second step done when
    their role needs one (tests/django/test_security_admin.py tests that step itself)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from security.twofactor import needs_two_factor

    client.force_login(user)
    if needs_two_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test authenticator", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Messages built in Python (problems, checks, errors) are asserted in English; the Polish
    default is tested where it is used (tests/django/test_translations.py, and every request
    follows its Accept-Language)."""
    from django.utils import translation

    with translation.override("en"):
        yield
