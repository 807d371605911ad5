"""The admin reads as a Polish product, on every page, for every role: every list, add and
change page opened in pl-PL, as the superuser and as each role, must show no server error, no
"object (" for a row without a name, no English left over (a list of words that are not
Polish, minus the terms a Polish office uses as they are), and no time in UTC. The menu is
grouped by task. What a test client cannot see (a layout, a chart) is in the browser tests."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from compliance.roles import ROLES
from config.admin_site import GROUPS
from pbx.models import Call
from tests.conftest import signed_in
from tests.django.test_admin_pages import _member_of, _pages, a_row_of_everything  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

# Words that are English and never Polish ("to", "a", "no", "go", "by", "on" are Polish too).
WORDS = """
the and of for with from this that is are be not or at your you will can has have been which when
where what all any none yes object change add delete save select filter search show hide history
view home log out password user users group groups device devices attempt attempts access failure
failures name date time enabled disabled true false count total calls call recording recordings
number numbers queue queues extension extensions mailbox message messages prompt prompts rule rules
purpose created updated last first next previous page items item unknown today yesterday week month
year clear run action actions selected confirmed key secret account accounts session sessions phone
phones notes note
"""
ENGLISH = frozenset(WORDS.split())
# Terms a Polish office reads as they are.
ALLOWED = {"token"}
UTC_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\s*(UTC|\+00:00)")
PUNCTUATION = ".,;:!?()[]\"'„”«»…"


def visible_text(page: str) -> str:
    """What a person reads: no scripts, styles, or <code> (identifiers shown for support)."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<code>.*?</code>|<!--.*?-->", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def problems(text: str) -> list[str]:
    found = []
    if "object (" in text:
        found.append('"object ("')
    # Words standing alone: "call" in "call.ended" or "<id>-call" is an identifier, not prose.
    words = {w.strip(PUNCTUATION).lower() for w in text.split()}
    english = sorted({w for w in words if w.isalpha()} & ENGLISH - ALLOWED)
    if english:
        found.append("English: " + " ".join(english))
    if UTC_TIME.search(text):
        found.append("a UTC time")
    return found


@pytest.mark.parametrize("who", ["superuser", *ROLES])
def test_every_admin_page_reads_in_polish(a_row_of_everything, manager: User, who: str):  # noqa: F811
    user = manager if who == "superuser" else _member_of(who)
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), user)
    failed = []
    for _model, url in [(None, "/admin/"), *_pages()]:
        response = client.get(url)
        if response.status_code >= 500:
            failed.append(f"{url}: {response.status_code}")
        elif response.status_code == 200 and (found := problems(visible_text(response.content.decode()))):
            failed.append(f"{url}: {'; '.join(found)}")
    assert not failed, "\n".join(failed)


def test_the_checks_catch_what_they_look_for():
    assert problems("Zmień Call object (1)") == ['"object ("', "English: call object"]
    assert problems("Początek: 2026-11-23 12:48 UTC") == ["a UTC time"]
    assert problems("Dzwoni do: 101; aby go zachować, naciśnij 1. Token API.") == []
    assert problems("Zdarzenie call.ended, nagranie 0f0e-call, strefa Etc/UTC") == []  # identifiers, a zone
    assert problems("Zapis: 2026-12-02 04:57:21.568678+00:00") == ["a UTC time"]


def test_a_calls_times_are_in_the_offices_zone_everywhere_on_its_page(manager: User):
    call = Call.objects.create(
        channel_id="1.9",
        direction="inbound",
        caller="+48601234567",
        started_at=datetime(2026, 11, 23, 12, 48, tzinfo=UTC),
    )
    call.events.create(at=call.started_at, kind="started", detail={"caller": call.caller, "called": "+48221234567"})
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    text = visible_text(client.get(f"/admin/pbx/call/{call.pk}/change/").content.decode())
    assert "13:48" in text and "12:48" not in text  # Warsaw in November is UTC+1: heading, fields, timeline
    assert "Połączenie +48601234567" in text  # read-only history: not "Zmień połączenie"
    assert "Połączenie od +48 601 234 567 na numer +48 22 123 45 67" in text  # the timeline in words


def test_the_menu_is_grouped_by_task_in_polish(manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    page = client.get("/admin/").content.decode()
    captions = re.findall(r'<caption>\s*<a[^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert captions[: len(GROUPS)] == [
        "Połączenia",
        "Scenariusz",
        "Ludzie",
        "Nagrania i RODO",
        "Numery",
        "Bezpieczeństwo",
        "Integracje",
        "Zadania w tle",
    ]
    assert "Inne" not in captions  # every screen has its place


def test_a_save_warns_in_polish_of_a_loop_it_made_and_never_of_an_unrelated_sound(settings, greeting):
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory
    from django.utils import translation

    from pbx.admin.pushing import report_problems
    from pbx.models import Destination, Prompt

    settings.ARI_URL = "http://127.0.0.1:9/ari"  # no Asterisk to ask about sounds: none is asked
    first = Destination.objects.create(name="Powitanie", kind="announcement", prompt=greeting)
    second = Destination.objects.create(
        name="Ogłoszenie", kind="announcement", prompt=Prompt.objects.create(name="X", sound="no-such-sound")
    )
    Destination.objects.filter(pk=first.pk).update(then=second)
    Destination.objects.filter(pk=second.pk).update(then=first)
    request = RequestFactory().post("/admin/")
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    with translation.override("pl"):
        report_problems(request)
    said = [(m.level_tag, m.message) for m in get_messages(request)]
    assert len(said) == 1 and said[0][0] == "warning", said  # the save itself succeeded
    assert re.fullmatch(
        r"(Powitanie|Ogłoszenie): kręci dzwoniących w pętli, choć niczego nie wybierają: "
        r"(Powitanie → Ogłoszenie → Powitanie|Ogłoszenie → Powitanie → Ogłoszenie)\. Zmień jeden z kroków\.",
        said[0][1],
    ), said  # the place, what is wrong, what to do; nothing about the sound nobody chose here


def test_opening_hours_are_a_week_grid_with_hours_as_people_write_them(manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    page = client.get("/admin/pbx/schedule/add/").content.decode()
    # Monday to Sunday, one row each, chosen already; the browser's time picker, no seconds.
    days = re.findall(r'name="intervals-(\d)-weekday"[^>]*>.*?<option value="(\d)" selected>', page, re.S)
    assert days == [(str(n), str(n)) for n in range(7)]
    opens = re.search(r'<input[^>]*name="intervals-0-opens"[^>]*>', page)
    assert opens and 'type="time"' in opens.group(0) and "vTimeField" not in opens.group(0)
    # the time zone is a choice, the office's first
    assert re.search(r'<select name="timezone"[^>]*>\s*<option value="Europe/Warsaw" selected>', page)
    form = {
        "name": "Biuro",
        "timezone": "Europe/Warsaw",
        "public_holidays": "on",
        "intervals-TOTAL_FORMS": "1",
        "intervals-INITIAL_FORMS": "0",
        "intervals-0-weekday": "0",
        "intervals-0-opens": "08:00",
        "intervals-0-closes": "16:00",
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
    }
    assert client.post("/admin/pbx/schedule/add/", form).status_code == 302
    from pbx.models import Schedule

    schedule = Schedule.objects.get(name="Biuro")
    assert [str(i) for i in schedule.intervals.all()] == ["poniedziałek 08:00-16:00"]
    assert client.post("/admin/pbx/schedule/add/", {**form, "name": "Inne", "timezone": "Mars/Base"}).status_code == 200


def test_titles_and_counts_read_right_for_every_name(manager: User):
    """Django's Polish puts a name after a verb in the wrong case ("Zmień kolejka") and counts
    "9 cele"; Centrala's titles and counts read right whatever the name."""
    from pbx.models import Queue

    for n in range(5):
        Queue.objects.create(name=f"Kolejka {n}")
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    listing = visible_text(client.get("/admin/pbx/queue/").content.decode())
    assert "5 pozycji" in listing and "Wybierz do zmiany: kolejka" in listing
    page = visible_text(
        client.get(f"/admin/pbx/queue/{Queue.objects.get(name='Kolejka 0').pk}/change/").content.decode()
    )
    assert "Edycja: kolejka" in page and "Zmień kolejka" not in page
    assert "Dodawanie: kolejka" in visible_text(client.get("/admin/pbx/queue/add/").content.decode())


def test_the_rota_reads_as_a_week(manager: User):
    from datetime import time

    from pbx.extensions import do_create_extension
    from pbx.models import WeeklyDuty

    anna, _ = do_create_extension("101", "Anna")
    WeeklyDuty.objects.create(extension=anna, weekday=0, starts=time(8), ends=time(16))
    WeeklyDuty.objects.create(extension=anna, weekday=0, starts=time(16), ends=time(20))
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    page = client.get("/admin/pbx/weeklyduty/").content.decode()
    week = visible_text(page.split('id="rota-week"')[1].split("</table>")[0])
    assert "poniedziałek 08:00-16:00 101 Anna , 16:00-20:00 101 Anna" in " ".join(week.split())
    assert week.count("nikt nie ma dyżuru") == 6  # Tuesday to Sunday


def test_the_rota_is_edited_a_week_at_a_time_and_a_persons_week_on_their_page(manager: User):
    from datetime import time

    from pbx.extensions import do_create_extension
    from pbx.models import WeeklyDuty

    anna, _ = do_create_extension("101", "Anna")
    piotr, _ = do_create_extension("102", "Piotr")
    monday = WeeklyDuty.objects.create(extension=anna, weekday=0, starts=time(8), ends=time(16))
    tuesday = WeeklyDuty.objects.create(extension=anna, weekday=1, starts=time(8), ends=time(16))
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)

    def rota(**rows: tuple[str, str, int]) -> dict[str, str]:
        form = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Zapisz"}
        for n, (slot, (starts, ends, who)) in enumerate(zip((monday, tuesday), rows.values(), strict=True)):
            form |= {f"form-{n}-id": str(slot.pk), f"form-{n}-starts": starts, f"form-{n}-ends": ends}
            form[f"form-{n}-extension"] = str(who)
        return form

    # the whole week in the list, saved at once
    answer = client.post(
        "/admin/pbx/weeklyduty/", rota(mon=("07:30", "15:30", anna.pk), tue=("12:00", "20:00", piotr.pk))
    )
    assert answer.status_code == 302, answer.content.decode()[-3000:]
    assert [(s.starts, s.ends, s.extension_id) for s in WeeklyDuty.objects.order_by("weekday")] == [
        (time(7, 30), time(15, 30), anna.pk),
        (time(12), time(20), piotr.pk),
    ]
    # a slot that ends before it starts: said, and nothing of the week saved
    refused = client.post(
        "/admin/pbx/weeklyduty/", rota(mon=("09:00", "17:00", anna.pk), tue=("20:00", "12:00", piotr.pk))
    )
    assert "Dyżur musi kończyć się po rozpoczęciu" in visible_text(refused.content.decode())
    assert WeeklyDuty.objects.get(pk=monday.pk).starts == time(7, 30)

    # a person's week on their own page
    page = client.get(f"/admin/pbx/extension/{piotr.pk}/change/").content.decode()
    assert "weeklyduty_set-TOTAL_FORMS" in page and 'value="12:00"' in page
    form = {
        "number": "102",
        "display_name": "Piotr",
        "kind": piotr.kind,
        "forward_after_seconds": "20",
        "weeklyduty_set-TOTAL_FORMS": "2",
        "weeklyduty_set-INITIAL_FORMS": "1",
        "weeklyduty_set-0-id": str(tuesday.pk),
        "weeklyduty_set-0-extension": str(piotr.pk),
        "weeklyduty_set-0-weekday": "1",
        "weeklyduty_set-0-starts": "12:00",
        "weeklyduty_set-0-ends": "20:00",
        "weeklyduty_set-1-extension": str(piotr.pk),
        "weeklyduty_set-1-weekday": "4",
        "weeklyduty_set-1-starts": "10:00",
        "weeklyduty_set-1-ends": "14:00",
    }
    saved = client.post(f"/admin/pbx/extension/{piotr.pk}/change/", form)
    assert saved.status_code == 302, visible_text(saved.content.decode())[-2000:]
    assert sorted(piotr.weeklyduty_set.values_list("weekday", "starts", "ends")) == [
        (1, time(12), time(20)),
        (4, time(10), time(14)),
    ]
