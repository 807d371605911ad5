"""A staff member's own page as they use it: on a phone-sized screen in Debian's Chromium (driven
by Playwright). Anna, an agent who is not staff of the admin, signs in with her second step,
switches do-not-disturb on, sets follow-me to her mobile, hears a voicemail message in the page
and writes a note on a call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, ViewportSize

from compliance.roles import sync_roles
from pbx.models import Call, Device, Extension
from tests.browser.test_admin_in_a_browser import PASSWORD, browser, screenshots  # noqa: F401  (the fixture)
from tests.django.test_voicemail import a_message
from voicemail.models import Mailbox

pytestmark = pytest.mark.django_db(transaction=True)
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(locale="pl-PL", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_anna_uses_her_page_on_her_phone(live_server, phone_page: Page, tmp_path: Path):
    sync_roles(Group, Permission)  # a transactional test starts from an empty database
    anna = User.objects.create_user("anna", password=PASSWORD, first_name="Anna", last_name="Nowak")
    anna.groups.add(Group.objects.get(name="Agent"))
    extension = Extension.objects.create(number="101", display_name="Anna Nowak", user=anna, mobile="+48601111222")
    # Written directly: the writer would push Asterisk's config from Playwright's event loop.
    Device.objects.create(extension=extension, name="Komórka", sip_username="101-2", sip_ha1="0" * 32)
    box = Mailbox.objects.create(name="Biuro")
    box.owners.add(extension)
    message = a_message(tmp_path, box, "vm1")
    assert message is not None
    call = Call.objects.get(pk=message.recording.call_id)
    call.staff.add(extension)
    page, base, shots = phone_page, live_server.url, screenshots(tmp_path)

    # Signing in: the staff login, then the second step her role needs (she hears recordings).
    page.goto(f"{base}/me/")
    page.wait_for_url("**/me/login/**")
    assert "Twoja strona w Centrali" in page.inner_text("main")
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/admin/2fa/**")
    device = TOTPDevice.objects.get(user=anna)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.fill("#id_code", f"{code:06d}")
    page.click("input[type=submit]")
    page.click("#recovery-continue")  # the recovery codes, shown once after the set-up
    page.wait_for_url(f"{base}/me/")
    assert "Anna Nowak · numer wewnętrzny 101" in page.inner_text("#status h1")
    assert fits_the_screen(page)
    assert "101-2" in page.inner_text("#phones")
    page.screenshot(path=str(shots / "staff-page.png"), full_page=True)

    # Do-not-disturb, one tap.
    page.click("#status button[type=submit]")
    page.wait_for_selector("#dnd-state.dnd-on")
    assert "Włączono" in page.inner_text(".messages")
    extension.refresh_from_db()
    assert extension.dnd is True

    # Follow-me: her office phones first, then her mobile after 15 s.
    page.select_option("#id_forward_no_answer", label="moja komórka (+48601111222)")
    page.fill("#id_forward_after_seconds", "15")
    page.click("#forwarding button[type=submit]")
    page.wait_for_selector(".messages li.success")
    extension.refresh_from_db()
    assert extension.forward_no_answer is not None
    assert (extension.forward_no_answer.external_number, extension.forward_after_seconds) == ("+48601111222", 15)
    assert page.locator("#id_forward_no_answer").input_value() == "mobile"  # shown as chosen

    # Her voicemail, played in the page: the audio arrives, the browser decodes it, it is heard.
    player = f"#message-{message.pk} audio"
    with page.expect_response(lambda r: f"/me/voicemail/{message.pk}/audio" in r.url) as fetched:
        page.eval_on_selector(player, "a => { a.muted = true; return a.play(); }")
    assert fetched.value.status == 200
    page.wait_for_function(f"() => document.querySelector('{player}').duration > 1.5")
    message.refresh_from_db()
    assert message.heard_at is not None and message.heard_by == "anna"

    # A note on the call, written on the phone.
    page.click(f"#call-{call.pk} summary")
    page.fill(f"#call-{call.pk} textarea", "Klient prosi o ofertę do piątku")
    page.click(f"#call-{call.pk} details button[type=submit]")
    page.wait_for_selector(f"#call-{call.pk} >> text=Klient prosi o ofertę do piątku")
    assert call.notes.get().author_name == "anna"
    assert fits_the_screen(page)
