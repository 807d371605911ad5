"""The admin as a person uses it, in a real browser: Debian's Chromium driven by Playwright
(no browser download). Log in with the second step, see the dashboard, play a recording and
find the play in the access log, simulate a call."""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connections
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, sync_playwright

from compliance.models import AuditEntry
from compliance.roles import ROLES, sync_roles
from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.models import Extension, Prompt
from recordings.actions import do_ingest_recording
from tests.django.test_admin_language import problems
from tests.django.test_admin_pages import _pages, make_a_row_of_everything
from tests.django.test_reports import make_week
from voicemail.models import Mailbox

pytestmark = pytest.mark.django_db(transaction=True)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "Iod-Long-Password-1"
KEY = "6f0e8f5e-3a4b-4c2d-9e1f-0a1b2c3d4e0b"


@pytest.fixture(scope="module")
def browser(django_db_setup: None) -> Iterator[Browser]:
    """Playwright's sync API keeps an event loop in this thread; Django then refuses ORM calls
    here unless told it is deliberate (its documented switch for this case), for this module's
    tests only."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package", pytrace=False)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        flags = ["--no-sandbox", "--mute-audio", "--autoplay-policy=no-user-gesture-required"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            yield browser
        finally:
            browser.close()
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="pl-PL")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def recorded_call(tmp_path: Path) -> str:
    now = timezone.now()
    do_apply_facts(
        [
            c.CallStarted(
                KEY,
                call_key=KEY,
                at=now - timedelta(minutes=5),
                direction="inbound",
                caller="+48601234567",
                called="+48221234567",
                sip_call_id="",
            ),
            c.CallEnded(KEY, call_key=KEY, at=now - timedelta(minutes=4), outcome="answered", cause=16, cause_text=""),
        ]
    )
    path = tmp_path / "r.wav"
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x10" * 8000 * 2)
    return str(do_ingest_recording(KEY, "browser-test", "wav", path).pk)


def log_in_with_second_step(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/2fa/**")
    assert page.locator("#totp-qr svg").count() == 1  # first login: the QR code to scan
    device = TOTPDevice.objects.get(user=user)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.fill("#id_code", f"{code:06d}")
    page.click("input[type=submit]")
    # The click does not wait for the answer's page: wait for the codes, or for the form's error.
    page.wait_for_selector("#recovery-codes, .errorlist")
    assert page.locator("#recovery-codes li").count() == 10, page.inner_text("#content")  # shown once, after set-up
    page.click("#recovery-continue")
    page.wait_for_url(f"{base}/admin/")


def office_manager_logs_in(page: Page, base: str, then: str) -> None:
    """Basia, an office manager (no second step for her role), signs in and lands on `then`."""
    sync_roles(Group, Permission)  # a transactional test starts from an empty database
    manager = User.objects.create_user("basia", password=PASSWORD, is_staff=True)
    manager.groups.add(Group.objects.get(name="Office manager"))
    page.goto(f"{base}/admin/login/?next={then}")
    page.fill("#id_username", "basia")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{then}")


def test_a_dpo_logs_in_plays_a_recording_and_the_play_is_logged(live_server, page, recorded_call, tmp_path):
    dpo = User.objects.create_superuser("iod", "iod@firma.test", PASSWORD)
    base = live_server.url
    log_in_with_second_step(page, base, dpo)
    # The dashboard, in Polish, with its charts drawn in the page.
    assert page.locator("#dashboard h2").inner_text().startswith("Dzisiaj")
    assert page.locator("#calls-per-hour svg rect").count() == 24
    assert page.locator("#calls-today").inner_text() == "1"
    # The recording's page: its player fetches the audio, which the browser can decode.
    page.goto(f"{base}/admin/recordings/recording/{recorded_call}/change/")
    with page.expect_response(lambda r: f"/recordings/{recorded_call}/audio" in r.url) as fetched:
        page.eval_on_selector("audio", "a => { a.muted = true; return a.play(); }")
    assert fetched.value.status == 200
    page.wait_for_function("() => document.querySelector('audio').duration > 1.5")
    page.screenshot(path=str(tmp_path / "recording.png"))
    play = AuditEntry.objects.filter(action="recording.play", actor="iod", target=recorded_call)
    assert play.count() >= 1
    # The access log in the admin shows it too.
    page.goto(f"{base}/admin/compliance/auditentry/?action=recording.play")
    assert recorded_call in page.content()


def test_the_simulate_a_call_page_walks_a_call(live_server, page):
    from company_numbers.models import CompanyNumber
    from pbx.models import Destination, Prompt, Scenario

    hello = Destination.objects.create(
        name="Powitanie", kind="announcement", prompt=Prompt.objects.create(name="Powitanie", sound="hello-world")
    )
    CompanyNumber.objects.create(
        e164="+48221234567",
        label="Biuro",
        scenario=Scenario.objects.create(name="Biuro", when_open=hello),
        is_main=True,
    )
    base = live_server.url
    office_manager_logs_in(page, base, "/admin/simulate/")
    page.select_option("#id_number", label="+48221234567 Biuro")
    page.fill("#id_when", "2026-11-24T10:00")
    page.click("#content form input[type=submit]")
    page.wait_for_url("**/admin/simulate/?number=*")
    steps = page.inner_text("#content")
    assert "Dzwoniący słyszy: Powitanie" in steps, steps  # the prompt by its name, not a sound file


def screenshots(tmp_path: Path) -> Path:
    """Where the screenshots go: docs/img/ when CENTRALA_DOC_SCREENSHOTS=1 (to refresh the
    pictures in docs/office-manager.md), else the test's own folder."""
    if os.environ.get("CENTRALA_DOC_SCREENSHOTS") == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "img"
    return tmp_path


def test_the_office_uploads_its_greeting_hears_it_and_sets_up_a_voicemail_box(live_server, page, tmp_path, settings):
    settings.CENTRALA_SOUNDS_DIR = tmp_path / "sounds"
    Extension.objects.create(number="101", display_name="Anna Nowak")
    greeting = tmp_path / "powitanie.mp3"
    tone = ["-f", "lavfi", "-i", "sine=frequency=660:duration=3", "-ac", "2"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", *tone, str(greeting)], check=True)
    shots = screenshots(tmp_path)
    base = live_server.url
    office_manager_logs_in(page, base, "/admin/pbx/prompt/add/")
    page.fill("#id_name", "Powitanie")
    page.select_option("#id_source", "upload")
    page.set_input_files("#id_upload", str(greeting))
    page.screenshot(path=str(shots / "prompt-upload.png"), full_page=True)
    page.click("input[name=_continue]")
    page.wait_for_url("**/admin/pbx/prompt/*/change/")
    prompt = Prompt.objects.get(name="Powitanie")
    assert page.locator(".field-length .readonly").inner_text() == "3.0 s"
    with page.expect_response(lambda r: f"/admin/prompts/{prompt.pk}/audio" in r.url) as fetched:
        page.eval_on_selector(".field-player audio", "a => { a.muted = true; return a.play(); }")
    assert fetched.value.status == 200
    page.wait_for_function("() => document.querySelector('.field-player audio').duration > 2.5")
    page.screenshot(path=str(shots / "prompt-saved.png"), full_page=True)
    # A text read out instead, in the same form: a bad one is refused with the reason.
    page.select_option("#id_source", "speech")
    page.fill("#id_text", "")
    page.click("input[name=_continue]")
    assert "Wpisz tekst do odczytania." in page.inner_text("#content")
    # The office's voicemail box, owned by Anna.
    page.goto(f"{base}/admin/voicemail/mailbox/add/")
    page.fill("#id_name", "Biuro")
    page.select_option("#id_owners_from", label="101 Anna Nowak")
    page.click("#id_owners_add")
    page.select_option("#id_greeting", label="Powitanie")
    page.screenshot(path=str(shots / "voicemail-box.png"), full_page=True)
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/voicemail/mailbox/")
    box = Mailbox.objects.get(name="Biuro")
    assert [x.number for x in box.owners.all()] == ["101"] and box.greeting == prompt


def test_the_admin_reads_as_a_product_at_1366_px(live_server, browser, recorded_call, tmp_path):
    """An office manager's screen (1366 x 768, pl-PL): the menu grouped by task, a call's page
    titled as history with its timeline in sentences and times in the office's zone, the
    call list keeping outcome and recording in view, opening hours as a week grid, and a
    data-subject request with its buttons. Screenshots for docs/office-manager.md."""
    from compliance.models import DataSubjectRequest

    context = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    shots = screenshots(tmp_path)
    manager = User.objects.create_superuser("ola", "ola@firma.test", PASSWORD)
    base = live_server.url
    log_in_with_second_step(page, base, manager)
    captions = [c.upper() for c in page.locator("#content-main caption a.section").all_inner_texts()]
    assert captions[:4] == ["POŁĄCZENIA", "SCENARIUSZ", "LUDZIE", "NAGRANIA I RODO"], captions  # set in capitals
    page.screenshot(path=str(shots / "admin-home.png"), full_page=True)
    page.goto(f"{base}/admin/pbx/call/")
    for column in ("column-outcome_badge", "column-duration"):
        box = page.locator(f"th.{column}").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366, (column, box)  # in view, no scrolling
    page.screenshot(path=str(shots / "call-list.png"))
    page.goto(f"{base}/admin/recordings/recording/")
    player = page.locator("td.field-player audio").first.bounding_box()
    assert player is not None and player["x"] + player["width"] <= 1366, player  # play without scrolling
    page.goto(f"{base}/admin/pbx/call/{KEY}/change/")
    assert page.locator("#content h1").inner_text().startswith("Połączenie")
    timeline = page.locator("#events-group, .inline-group").last.inner_text()
    assert "Połączenie od +48 601 234 567 na numer +48 22 123 45 67" in timeline, timeline
    page.screenshot(path=str(shots / "call-page.png"), full_page=True)
    page.goto(f"{base}/admin/pbx/schedule/add/")
    assert page.locator("input[type=time]").count() >= 14  # Monday to Sunday, opens and closes
    assert "przesunięty" not in page.inner_text("#content")  # no "your clock is shifted" notes
    page.screenshot(path=str(shots / "opening-hours.png"), full_page=True)
    request = DataSubjectRequest.objects.create(
        kind="erasure", number="+48601234567", requester="Jan Kowalski", received_on=timezone.localdate()
    )
    page.goto(f"{base}/admin/compliance/datasubjectrequest/{request.pk}/change/")
    assert page.locator("#dsar-export").is_visible() and page.locator("#dsar-erase").is_visible()
    page.screenshot(path=str(shots / "data-subject-request.png"), full_page=True)
    context.close()


# What the page shows, but <code> (identifiers and raw detail shown for support, as in
# tests/django/test_admin_language.py).
SHOWN_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, script, style").forEach((element) => element.remove());
  return body.innerText || body.textContent;
}"""


@pytest.fixture
def everything(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    """A row of every model (tests/django/test_admin_pages.py), made in a thread of its own:
    the demo pushes its configuration with asyncio.run, which Playwright's loop in this thread
    forbids. Nothing listens at ARI_URL: the push fails gracefully, as the admin's does."""
    from concurrent.futures import ThreadPoolExecutor

    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"
    sync_roles(Group, Permission)  # a transactional test starts from an empty database
    manager = User.objects.create_superuser("ola", "ola@firma.test", PASSWORD)

    def make() -> None:
        try:
            make_a_row_of_everything(tmp_path, manager)
        finally:
            connections.close_all()  # this thread's own; the test database is dropped at the end

    with ThreadPoolExecutor(1) as thread:
        thread.submit(make).result()


@pytest.mark.parametrize("who", ["superuser", *ROLES])
def test_every_admin_page_reads_in_polish_in_a_browser(live_server, browser, everything, who):
    """Every list, add and change page, opened in Chromium (pl-PL) as `who`: what the page
    shows once its scripts ran has no English left over, no "object (" and no UTC time
    (tests/django/test_admin_language.py has the same checks on the HTML, and their own test)."""
    context = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    base = live_server.url
    if who == "superuser":
        user = User.objects.get(is_superuser=True)  # Ola, whose phone is set up already
    else:
        user = User.objects.create_user(f"osoba-{len(who)}", password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=who))
    if who == "superuser":
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/2fa/**")
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
        page.fill("#id_code", f"{code:06d}")
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
    elif user.has_perm("recordings.view_recording"):
        log_in_with_second_step(page, base, user)
    else:
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{base}/admin/")
    failed = []
    for _model, url in [(None, "/admin/"), *_pages()]:
        response = page.goto(f"{base}{url}")
        status = response.status if response is not None else 0
        if status >= 500:
            failed.append(f"{url}: {status}")
        elif status == 200 and (found := problems(page.evaluate(SHOWN_TEXT))):
            failed.append(f"{url}: {'; '.join(found)}")
    context.close()
    assert not failed, "\n".join(failed)


@pytest.fixture
def week(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    """The reports' hand-counted week (tests/django/test_reports.py), made in a thread of its
    own: creating its extensions pushes the configuration with asyncio.run (see `everything`)."""
    from concurrent.futures import ThreadPoolExecutor

    settings.ASTERISK_CONFIG_DIR = tmp_path
    settings.ARI_URL = "http://127.0.0.1:9/ari"

    def make() -> None:
        try:
            make_week()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(make).result()


@pytest.mark.usefixtures("week")
def test_the_office_manager_reads_a_week_s_report_follows_a_number_and_downloads_it(live_server, browser, tmp_path):
    """From the menu to the reports, a week chosen in the form, the figures and the busiest
    hours on screen at 1366 px, a number followed to the calls behind it, the XLSX downloaded."""
    context = browser.new_context(
        locale="pl-PL", timezone_id="Europe/Warsaw", viewport={"width": 1366, "height": 768}, accept_downloads=True
    )
    page = context.new_page()
    base = live_server.url
    log_in_with_second_step(page, base, User.objects.create_superuser("ola", "ola@firma.test", PASSWORD))
    page.click("#content-main a[href='/admin/reports/']")
    page.select_option("#id_kind", "week")
    page.fill("#id_day", "2026-11-25")
    page.click("#report-form input[type=submit]")
    page.wait_for_url("**/admin/reports/?kind=week*")
    assert page.inner_text("#period") == "23 listopada 2026 - 29 listopada 2026"
    figures = page.inner_text("#outcomes")
    assert "Połączenia\t8" in figures and "odebrane przez osobę\t4\t50%" in figures, figures
    drawn = page.evaluate(
        "() => window.Chart.getChart('calls-per-day').data.datasets.map(d => d.data.reduce((a, b) => a + b, 0))"
    )
    assert drawn == [4, 1, 2, 1], drawn  # answered, messages, missed, other: the week's 8 calls, drawn
    assert page.locator("#heatmap tbody tr").count() == 7 and page.locator("#heatmap td[title$=': 2']").count() == 2
    box = page.locator("#heatmap").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366, box  # the whole day without scrolling
    assert problems(page.evaluate(SHOWN_TEXT)) == []
    page.screenshot(path=str(screenshots(tmp_path) / "reports.png"), full_page=True)
    page.click("#outcomes a:text-is('4')")
    page.wait_for_url("**/admin/pbx/call/?*")
    assert page.locator("#result_list tbody tr").count() == 4
    page.go_back()
    with page.expect_download() as download:
        page.click("a.button:text-is('XLSX')")
    assert download.value.suggested_filename == "raport-2026-11-23-2026-11-29.xlsx"
    context.close()
