"""Reports (reports/): the figures of a hand-counted week, written through the history writer as
the Stasis app writes them; periods in the office's time zone; the page, its links to the calls
behind each number, team scope, and the exports (CSV, XLSX) with the same filters as on screen."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from company_numbers.models import CompanyNumber
from pbx.actions import do_apply_facts
from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.extensions import do_create_extension
from pbx.models import Call, CallbackTask, Queue
from reports import figures as f
from reports.models import SummarisedDay
from reports.periods import Period, PeriodError
from tests.conftest import signed_in
from tests.django.test_admin_language import problems, visible_text

from .personas import person

pytestmark = pytest.mark.django_db

MAIN, SECOND = "+48221230001", "+48221230002"
WEEK = Period.around("week", date(2026, 11, 25))  # Monday 23 to Sunday 29 November 2026, CET (UTC+1)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, Warsaw time (UTC+1 then)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


def call(
    at: datetime,
    outcome: str,
    *,
    queue: str = "",
    answered_by: str = "",
    after: int = 0,  # seconds to a person answering, or to giving up
    talk: int = 0,
    abandoned: bool = False,
    called: str = MAIN,
    direction: str = "inbound",
) -> str:
    """What the Stasis app writes for one call, through the same writer."""
    key = str(uuid.uuid4())
    facts: list[c.Fact] = [
        c.CallStarted(
            key, call_key=key, at=at, direction=direction, caller="+48601234567", called=called, sip_call_id=""
        )
    ]
    if queue:
        facts.append(c.CallStep(key, call_key=key, at=at, kind=StepKind.RING_QUEUE, detail={"queue": queue}))
    if answered_by:
        connected = at + timedelta(seconds=after)
        facts.append(
            c.CallStep(key, call_key=key, at=connected, kind=StepKind.CONNECTED, detail={"target": answered_by})
        )
    end = at + timedelta(seconds=after + talk)
    if abandoned:
        facts.append(
            c.CallbackRequested(key, call_key=key, at=end, number="+48601234567", reason="abandoned", assign_to="")
        )
    facts.append(c.CallEnded(key, call_key=key, at=end, outcome=outcome, cause=16, cause_text="", abandoned=abandoned))
    do_apply_facts(facts)
    return key


@pytest.fixture
def week() -> dict[str, str]:
    return make_week()


def make_week() -> dict[str, str]:
    """The hand-counted week: 8 inbound calls (4 answered, 3 in time, 1 message, 2 missed of
    which 1 gave up, 1 refused), one call the week before, and two that must not count."""
    CompanyNumber.objects.create(e164=MAIN, label="Biuro", is_main=True)
    CompanyNumber.objects.create(e164=SECOND, label="Serwis")
    Queue.objects.create(name="Sprzedaż", service_level_seconds=10)
    Queue.objects.create(name="Serwis", service_level_seconds=30)
    do_create_extension("101", "Anna")
    do_create_extension("102", "Piotr")
    keys = {
        "fast": call(local(23, 9), "answered", queue="Sprzedaż", answered_by="101", after=5, talk=60),
        "slow": call(local(23, 9, 10), "answered", queue="Sprzedaż", answered_by="102", after=25, talk=60),
        "service": call(local(24, 14), "answered", queue="Serwis", answered_by="102", after=25, talk=120),
        "gave_up": call(local(24, 14, 5), "missed", queue="Serwis", after=40, abandoned=True),
        "direct": call(local(25, 10), "answered", answered_by="101", after=15, talk=30),
        "message": call(local(26, 11), "voicemail", called=SECOND),
        "late_sunday": call(local(29, 23, 30), "missed"),  # 22:30 UTC: still this week
        "refused": call(local(27, 12), "rejected"),
        "next_week": call(local(30, 0, 30), "answered", answered_by="101", after=3, talk=10),  # 29th in UTC
        "outbound": call(local(24, 10), "answered", answered_by="+48601000000", direction="outbound", talk=50),
        "week_before": call(local(16, 10), "answered", answered_by="101", after=5, talk=40),
    }
    task = CallbackTask.objects.get(call_id=keys["gave_up"])
    ended = Call.objects.get(pk=keys["gave_up"]).ended_at
    assert ended is not None
    done = ended + timedelta(minutes=10)
    do_apply_facts([c.CallbackConnected("cb", call_key=keys["gave_up"], at=done, task_id=str(task.pk))])
    return keys


@pytest.fixture(params=["from the calls", "from the summary"])
def report(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A report over every call, counted both ways: the figures must not differ."""
    summarised = request.param == "from the summary"

    def make(period: Period, **scope: object) -> f.Report:
        return f.Report(Call.objects.all(), period, scope, summarised=summarised)

    yield make
    # the path was really taken: the week's closed days were counted, or nothing was
    assert SummarisedDay.objects.filter(day__gte=WEEK.first, day__lte=WEEK.last).count() == (7 if summarised else 0)


def test_the_week_s_figures_match_the_hand_count_and_the_outcomes_add_up(week, report):
    x = f.totals(report(WEEK))
    assert x.calls == 8
    assert (x.answered, x.voicemail, x.missed, x.others) == (4, 1, 2, [("rejected", 1)])
    assert x.answered + x.voicemail + x.missed + sum(n for _, n in x.others) == x.calls
    assert x.answered_in_time == 3 and x.service_level == 38  # fast (5 <= 10), service (25 <= 30), direct (15 <= 20)
    assert (x.abandoned, x.abandoned_after) == (1, 40.0)
    assert (x.wait_average, x.wait_longest) == (17.5, 25.0)
    assert (x.talk_total, x.talk_average) == (270.0, 67.5)
    assert (x.called_back, x.callback_after) == (1, 600.0)
    before = f.totals(report(WEEK).before())
    assert (before.calls, before.answered) == (1, 1)


def test_the_breakdowns_by_queue_person_and_number(week, report):
    calls = report(WEEK)
    queues = {Queue.objects.get(pk=k).name: x for k, x in f.by(calls, "queue")}
    assert {name: (x.calls, x.answered, x.answered_in_time, x.abandoned) for name, x in queues.items()} == {
        "Sprzedaż": (2, 2, 1, 0),
        "Serwis": (2, 1, 1, 1),
    }
    people = {k: (x.calls, x.talk_total) for k, x in f.by(calls, "person")}
    assert people == {"101": (2, 90.0), "102": (2, 180.0)}
    assert [(k, x.calls) for k, x in f.by(calls, "number")] == [(MAIN, 7), (SECOND, 1)]


def test_busiest_hours_are_counted_in_the_office_s_time(report):
    grid_of = f.heatmap
    do_create_extension("101", "Anna")
    call(local(29, 23, 30), "missed")
    call(local(23, 9), "answered", answered_by="101", after=2, talk=5)
    grid = grid_of(report(WEEK))
    assert grid[6][23] == 1 and grid[0][9] == 1  # Sunday 23:00 and Monday 9:00 local, not UTC
    assert sum(map(sum, grid)) == 2


def test_periods_follow_the_calendar_and_refuse_what_makes_no_sense():
    assert (WEEK.first, WEEK.last) == (date(2026, 11, 23), date(2026, 11, 29))
    assert WEEK.start == local(23, 0) and WEEK.end == local(30, 0)
    march = Period.around("month", date(2026, 3, 15))
    assert (march.first, march.last, march.previous().first, march.previous().last) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    assert march.end.astimezone(UTC) - march.start.astimezone(UTC) == timedelta(days=31, hours=-1)  # summer time
    assert Period.around("day", date(2026, 1, 1)).previous().first == date(2025, 12, 31)
    custom = Period.custom(date(2026, 11, 2), date(2026, 11, 11))
    assert (custom.previous().first, custom.previous().last) == (date(2026, 10, 23), date(2026, 11, 1))
    with pytest.raises(PeriodError, match="before it starts"):
        Period.custom(date(2026, 11, 11), date(2026, 11, 2))
    with pytest.raises(PeriodError, match="three years"):
        Period.custom(date(2020, 1, 1), date(2026, 1, 1))


def test_the_writer_keeps_who_answered_how_long_they_waited_and_who_gave_up(week):
    fast, gave_up = Call.objects.get(pk=week["fast"]), Call.objects.get(pk=week["gave_up"])
    assert (fast.answered_by, fast.waited, fast.connected_at) == (
        "101",
        timedelta(seconds=5),
        local(23, 9) + timedelta(seconds=5),
    )
    assert (gave_up.abandoned, gave_up.answered_by, gave_up.waited) == (True, "", None)


def count_on(client: Client, link: str) -> int:
    page = client.get(link)
    assert page.status_code == 200, link
    return page.context["cl"].result_count


def test_the_report_page_reads_in_polish_and_each_number_links_to_its_calls(week, manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    page = client.get("/admin/reports/", {"kind": "week", "day": "2026-11-25"})
    assert page.status_code == 200
    text = visible_text(page.content.decode())
    assert problems(text) == []
    assert "23 listopada 2026 - 29 listopada 2026" in text and "Godziny największego ruchu" in text
    rows = {row["label"]: row for row in page.context["rows"]}
    assert [(label, row["value"]) for label, row in rows.items()] == [
        ("Połączenia", 8),
        ("odebrane przez osobę", 4),
        ("zostawił wiadomość", 1),
        ("nieodebrane", 2),
        ("w tym dzwoniący zrezygnował z czekania", 1),
        ("odrzucone", 1),
    ]
    for row in rows.values():  # the list behind each number holds exactly those calls
        assert count_on(client, row["link"]) == row["value"], row["label"]
    assert rows["Połączenia"]["before"] == 1 and rows["Połączenia"]["trend"] == "+7"
    for _title, lines in page.context["breakdowns"]:
        for line in lines:
            assert count_on(client, line["link"]) == line["figures"].calls, line["name"]
    # one queue, one person: the same page scoped
    serwis = Queue.objects.get(name="Serwis")
    scoped = client.get("/admin/reports/", {"kind": "week", "day": "2026-11-25", "queue": serwis.pk})
    assert scoped.context["now"].calls == 2
    piotr = client.get("/admin/reports/", {"kind": "week", "day": "2026-11-25", "person": "102"})
    assert (piotr.context["now"].calls, piotr.context["now"].talk_total) == (2, 180.0)


def test_bad_periods_are_named_and_nothing_is_counted(manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    backwards = client.get("/admin/reports/", {"kind": "custom", "first": "2026-11-11", "last": "2026-11-02"})
    assert "kończy się (2 listopada 2026) przed rozpoczęciem (11 listopada 2026)" in visible_text(
        backwards.content.decode()
    )
    assert "now" not in backwards.context
    missing = client.get("/admin/reports/", {"kind": "custom", "first": "2026-11-11"})
    assert "Podaj pierwszy i ostatni dzień okresu." in visible_text(missing.content.decode())
    nonsense = client.get("/admin/reports/", {"kind": "year", "day": "jutro"})
    assert nonsense.status_code == 200 and nonsense.context["form"].errors.keys() == {"kind", "day"}


def test_a_supervisor_s_report_counts_their_own_queues_calls_only(week, manager: User):
    ewa = person("ewa", "Team supervisor")
    Queue.objects.get(name="Serwis").supervisors.add(ewa)
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), ewa)
    page = client.get("/admin/reports/", {"kind": "week", "day": "2026-11-25"})
    assert page.status_code == 200 and page.context["now"].calls == 2
    assert [q.name for q in page.context["form"].fields["queue"].queryset] == ["Serwis"]
    exported = client.get("/admin/reports/calls.csv", {"started_at__gte": WEEK.start.isoformat()})
    lines = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert len(lines) == 1 + 2  # the header and her queue's two calls
    agent = person("ola2", "Agent")  # on no call of the week: an empty report, not the firm's
    assert (
        signed_in(Client(), agent).get("/admin/reports/", {"kind": "week", "day": "2026-11-25"}).context["now"].calls
        == 0
    )


def test_the_call_list_exports_with_its_filters_in_polish_and_local_time(week, manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    listed = client.get("/admin/pbx/call/", {"outcome__exact": "missed"}).content.decode()
    assert "/admin/reports/calls.csv?outcome__exact=missed" in listed
    response = client.get("/admin/reports/calls.csv", {"outcome__exact": "missed"})
    assert response["Content-Type"].startswith("text/csv") and "polaczenia-" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:3] == ["rozpoczęto", "kierunek", "dzwoniący"]
    rows = sorted(lines[1:])
    assert [(r[0], r[7], r[8]) for r in rows] == [
        ("2026-11-24 14:05:00", "nieodebrane", "tak"),
        ("2026-11-29 23:30:00", "nieodebrane", "nie"),
    ]
    book = load_workbook(io.BytesIO(b"".join(client.get("/admin/reports/calls.xlsx").streaming_content)))
    sheet = book.active
    assert sheet is not None and sheet.max_row == 1 + Call.objects.count()
    assert client.get("/admin/reports/calls.pdf").status_code == 404


def test_the_report_exports_as_csv_and_xlsx_with_the_same_figures(week, manager: User):
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    query = {"kind": "week", "day": "2026-11-25"}
    response = client.get("/admin/reports/report.csv", query)
    assert 'filename="raport-2026-11-23-2026-11-29.csv"' in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    firm = lines[1]
    assert firm[0].startswith("cała firma") and firm[1:8] == ["8", "4", "3", "1", "2", "1", "1"]
    assert firm[8:12] == ["0:00:18", "0:00:25", "0:04:30", "1"]
    assert lines[[row[0] for row in lines].index("kolejka: Serwis")][:8] == [
        "kolejka: Serwis",
        "2",
        "1",
        "1",
        "0",
        "1",
        "1",
        "0",
    ]
    book = load_workbook(io.BytesIO(b"".join(client.get("/admin/reports/report.xlsx", query).streaming_content)))
    sheet = book.active
    assert sheet is not None and [cell.value for cell in sheet[2]][:3] == [firm[0], 8, 4]


def test_last_month_s_report_is_e_mailed_once_to_the_office_managers(week, manager: User, mailoutbox):
    from django.core.management import call_command

    from reports.models import MonthlyReport
    from reports.monthly import do_send_monthly_report

    assert do_send_monthly_report(today=date(2026, 12, 1))
    [email] = mailoutbox
    assert email.to == ["ola@firma.test"] and email.subject == "Centrala: raport połączeń, Listopad 2026"
    html, kind = email.alternatives[0]
    assert kind == "text/html"
    assert problems(visible_text(html)) == []
    # November: the hand-counted week's 8, the week before's 1, and Monday the 30th's 1
    assert '<b>Połączenia</b></td>\n    <td align="right">10</td>' in html
    assert 'id="heatmap"' in html and "poniedziałek" in html
    assert "Połączenia: 10; poprzedni okres: 0" in email.body
    name, content, mimetype = email.attachments[0]
    assert name == "raport-2026-11.xlsx" and mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None and sheet["B2"].value == 10
    # the scheduler runs it every day: sent once
    assert not do_send_monthly_report(today=date(2026, 12, 2))
    call_command("send_monthly_report", stdout=io.StringIO())
    assert len(mailoutbox) == 1 and MonthlyReport.objects.get().month == date(2026, 11, 1)


def test_with_nobody_to_send_to_the_monthly_report_waits_for_the_next_run(week, mailoutbox):
    from reports.models import MonthlyReport
    from reports.monthly import do_send_monthly_report

    assert not do_send_monthly_report(today=date(2026, 12, 1))
    assert not mailoutbox and not MonthlyReport.objects.exists()


def test_calls_per_day_cover_every_day_of_the_period_by_outcome(week, report):
    days = f.per_day(report(WEEK))
    assert [day for day, _ in days] == [date(2026, 11, 23) + timedelta(days=n) for n in range(7)]
    assert [(c["answered"], c["voicemail"], c["missed"], c["other"]) for _, c in days] == [
        (2, 0, 0, 0),  # Monday
        (1, 0, 1, 0),
        (1, 0, 0, 0),
        (0, 1, 0, 0),
        (0, 0, 0, 1),  # Friday: the refused call
        (0, 0, 0, 0),
        (0, 0, 1, 0),  # Sunday 23:30 in Warsaw
    ]


def test_a_day_counted_into_the_summary_is_counted_again_when_one_of_its_calls_changes(week):
    from reports.summary import summarise

    assert f.totals(f.Report(Call.objects.all(), WEEK, summarised=True)).calls == 8
    wednesday = date(2026, 11, 25)
    assert SummarisedDay.objects.get(day=wednesday).calls == 1
    late = call(local(25, 16), "missed")  # written afterwards (from the spool after a database outage)
    assert not SummarisedDay.objects.filter(day=wednesday).exists()
    assert f.totals(f.Report(Call.objects.all(), WEEK, summarised=True)).calls == 9
    assert SummarisedDay.objects.get(day=wednesday).calls == 2
    Call.objects.get(pk=late).delete()  # as the admin deletes
    assert not SummarisedDay.objects.filter(day=wednesday).exists()
    assert f.totals(f.Report(Call.objects.all(), WEEK, summarised=True)).calls == 8
    assert summarise([wednesday]) == {}  # counted already (or by another process): never twice
    assert f.totals(f.Report(Call.objects.all(), WEEK, summarised=True)).calls == 8


def test_today_and_a_day_with_a_call_still_going_on_are_counted_from_the_calls(week, monkeypatch):
    from django.utils import timezone

    from reports.summary import first_open_day

    going_on = str(uuid.uuid4())
    started = c.CallStarted(
        going_on, call_key=going_on, at=local(27, 15), direction="inbound", caller="", called=MAIN, sip_call_id=""
    )
    do_apply_facts([started])
    assert first_open_day() == date(2026, 11, 27)
    x = f.totals(f.Report(Call.objects.all(), WEEK, summarised=True))
    assert x.calls == 9 and x.outcomes["in_progress"] == 1
    assert sorted(SummarisedDay.objects.values_list("day", flat=True)) == [date(2026, 11, d) for d in (23, 24, 25, 26)]
    ended = c.CallEnded(going_on, call_key=going_on, at=local(27, 15, 1), outcome="missed", cause=16, cause_text="")
    do_apply_facts([ended])
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: real(*a, **k) if a else date(2026, 11, 28))
    assert first_open_day() == date(2026, 11, 28)  # the 28th is "today": never counted
    x = f.totals(f.Report(Call.objects.all(), WEEK, summarised=True))
    assert (x.calls, x.missed) == (9, 3)
    assert SummarisedDay.objects.filter(day__gte=date(2026, 11, 28)).count() == 0


def test_summarise_calls_counts_closed_days_once_and_again_when_asked(week):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("summarise_calls", stdout=out)
    assert "counted" in out.getvalue() and SummarisedDay.objects.filter(day=date(2026, 11, 24)).get().calls == 2
    counted = SummarisedDay.objects.count()
    call_command("summarise_calls", stdout=(out := io.StringIO()))
    assert out.getvalue().startswith("counted 0 days") and SummarisedDay.objects.count() == counted
    Queue.objects.filter(name="Serwis").update(service_level_seconds=20)  # a stricter level, for past days too
    call_command("summarise_calls", "--again", "2026-11-24", "2026-11-24", stdout=(out := io.StringIO()))
    assert "counted 1 days (2 calls)" in out.getvalue()
    assert f.totals(f.Report(Call.objects.all(), WEEK, summarised=True)).answered_in_time == 2
    with pytest.raises(CommandError, match=r"'24\.11\.2026' is not a day; write it as YYYY-MM-DD"):
        call_command("summarise_calls", "--again", "24.11.2026", "2026-11-30")
    with pytest.raises(CommandError, match=r"ends \(2026-11-01\) before it starts \(2026-11-30\)"):
        call_command("summarise_calls", "--again", "2026-11-30", "2026-11-01")


def test_a_large_xlsx_of_the_call_list_is_built_by_the_worker_and_only_its_asker_gets_it(
    week, manager: User, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    from reports import exports, views
    from reports.models import Export

    monkeypatch.setattr(views, "XLSX_CALLS", 3)  # more calls than a request may build
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), manager)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.get("/admin/reports/calls.xlsx?direction__exact=inbound")
    export = Export.objects.get()
    assert asked.status_code == 302 and asked["Location"] == f"/admin/reports/exports/{export.pk}/"
    assert [q.func() for q in OrmQ.objects.all()] == ["reports.exports.build_calls_export"]
    waiting = client.get(asked["Location"]).content.decode()
    assert "Plik jest przygotowywany" in waiting and 'http-equiv="refresh"' in waiting
    inbound = Call.objects.filter(direction="inbound").count()
    assert inbound == 10  # the week's eight, the week before's and the next week's
    assert exports.build_calls_export(str(export.pk)) == "wyeksportowane połączenia: 10"  # as the worker runs it
    ready = client.get(asked["Location"]).content.decode()
    assert "Plik jest gotowy: 10 połączeń." in ready and "refresh" not in ready
    download = client.get(f"/admin/reports/exports/{export.pk}/file")
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "rozpoczęto" and len(rows) == 1 + inbound and {r[1] for r in rows[1:]} == {"przychodzące"}
    stored = Export.objects.get().file.name
    with default_storage.open(stored, "rb") as handle:
        assert not handle.read().startswith(b"PK")  # encrypted at rest, not a readable zip
    # someone else: not theirs to see, nor to know of
    other = signed_in(Client(HTTP_ACCEPT_LANGUAGE="pl"), person("ola3", "Office manager"))
    assert other.get(f"/admin/reports/exports/{export.pk}/file").status_code == 404
    # a day later it is gone, file and all
    Export.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert exports.forget_old_exports() == 1 and not Export.objects.exists()
    assert not default_storage.exists(stored)


def test_the_first_count_takes_years_of_calls_at_once():
    """More than the three years a report may cover: the first nightly run counts them all."""
    from reports.summary import first_open_day, summarise_closed_days

    for year in (2021, 2023, 2026):
        call(datetime(year, 3, 2, 9, tzinfo=UTC), "answered", answered_by="101", after=2, talk=5)
    counted = summarise_closed_days()
    assert sum(counted.values()) == 3 and counted[date(2021, 3, 2)] == 1
    assert len(counted) == (first_open_day() - date(2021, 3, 2)).days  # every day since, calls or none


def test_a_report_and_the_period_before_ask_once_for_the_first_open_day(week, monkeypatch):
    """The page compares the period with the one before: both read the summary up to the first
    day not closed, which takes a query (the oldest call still going on); it is asked once."""
    asked: list[date] = []
    real = f.summary.first_open_day

    def counted() -> date:
        asked.append(real())
        return asked[-1]

    monkeypatch.setattr(f.summary, "first_open_day", counted)
    report = f.Report(Call.objects.all(), WEEK, summarised=True)
    now, before = f.totals(report), f.totals(report.before())
    assert (now.calls, before.calls) == (8, 1)
    assert len(asked) == 1
    assert f.totals(f.Report(Call.objects.all(), WEEK)).calls == 8 and len(asked) == 1  # not summarised: never
