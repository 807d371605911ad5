"""How Centrala behaves with years of history: a million calls (and their recordings' rows)
in PostgreSQL, then the three things that must stay fast:

- finding everything about one phone number (a data-subject request),
- the retention run (dry run over everything, then deleting a batch of expired recordings),
- the call-history page of the admin (first page, and a search by number),
- the reports (reports/): a month, a year, one queue, one person, and their exports; the
  summary of closed days they read, counted the first time.

    python bench/data_scale.py [--calls 1000000] [--database centrala_bench]

Uses its own database (created if missing; refilled when the count differs). Prints figures;
it asserts nothing: figures go into docs/benchmark.md, never into tests.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--database", default="centrala_bench")
    parser.add_argument("--expired", type=int, default=2_000, help="recordings past retention to delete")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from bench.calls import create_database

    create_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fill(args.calls, args.expired)
    measure()


SUBJECT = "+48601000042"  # the number whose data is asked for: 20 calls among the million


def fill(calls: int, expired: int) -> None:
    """COPY rows straight into the tables: a million ORM saves would measure the loader."""
    from django.db import connection

    from pbx.models import Call, Queue

    if Call.objects.count() == calls and Call.objects.exclude(answered_by="").exists():
        print(f"reusing {calls:,} calls already in the database")
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE recordings_recording, pbx_callevent, pbx_call_staff, pbx_call CASCADE")
        queues = [Queue.objects.get_or_create(name=name)[0].pk for name in ("Sprzedaż", "Serwis", "Księgowość")]
        pg = cursor.connection
        now = datetime.now(UTC)
        call_ids: list[tuple[str, datetime]] = []
        with pg.cursor().copy(
            "COPY pbx_call (id, channel_id, sip_call_id, direction, caller, called, started_at, "
            "answered_at, ended_at, outcome, hung_up_by, hangup_cause_text, queue_id, connected_at, answered_by, "
            "waited, abandoned) FROM STDIN"
        ) as copy:
            for n in range(calls):
                key = uuid.uuid4()
                started_at = now - timedelta(minutes=n * 0.5)  # about a year and a half of calls
                caller = SUBJECT if n % (calls // 20) == 7 else f"+486{n % 90_000_000:08d}"
                # 70 % answered by one of ten people after 3-40 s, 10 % messages, 20 % missed
                # (half of them gave up waiting); three queues and direct calls
                outcome = "answered" if n % 10 < 7 else "voicemail" if n % 10 == 7 else "missed"
                answered = started_at + timedelta(seconds=8)
                waited = timedelta(seconds=3 + n % 38) if outcome == "answered" else None
                copy.write_row(
                    (
                        key,
                        f"bench-{n}",
                        "",
                        "inbound",
                        caller,
                        "+48221234567",
                        started_at,
                        answered,
                        started_at + timedelta(seconds=120),
                        outcome,
                        "caller",
                        "Normal Clearing",
                        queues[n % 4] if n % 4 < 3 else None,
                        started_at + waited if waited else None,
                        f"1{n % 10:02d}" if waited else "",
                        waited,
                        outcome == "missed" and n % 2 == 0,
                    )
                )
                if n % 3 == 0:
                    call_ids.append((str(key), started_at))
        with pg.cursor().copy(
            "COPY recordings_recording (id, call_id, kind, asterisk_name, file, format, size_bytes, "
            "duration_seconds, sha256, expires_at, hold_reason, wrapped_key, created_at) "
            "FROM STDIN"
        ) as copy:
            for n, (call_key, at) in enumerate(call_ids):
                expires = now - timedelta(days=1) if n < expired else at + timedelta(days=730)
                copy.write_row(
                    (
                        uuid.uuid4(),
                        call_key,
                        "call",
                        f"{call_key}-call",
                        f"recordings/bench/{call_key}.wav.enc",
                        "wav",
                        1_920_044,
                        120.0,
                        "0" * 64,
                        expires,
                        "",
                        b"",
                        at,
                    )
                )
        cursor.execute("ANALYZE")
    print(f"filled {calls:,} calls and {len(call_ids):,} recordings in {time.perf_counter() - started:.0f} s")


def timed(label: str, action, repeat: int = 5) -> None:  # type: ignore[no-untyped-def]
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        durations.append(time.perf_counter() - started)
    durations.sort()
    print(f"  {label:<58} median {durations[len(durations) // 2] * 1000:8.1f} ms   ({result})")


def measure() -> None:
    from django.contrib.auth.models import User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from compliance.dsar import find_everything
    from compliance.retention import do_apply_retention
    from pbx.models import Call
    from recordings.models import Recording

    print(f"\n{Call.objects.count():,} calls, {Recording.objects.count():,} recordings in PostgreSQL")

    def subject() -> str:
        found = find_everything(SUBJECT)
        return f"{len(found.calls)} calls, {len(found.recordings)} recordings"

    timed("everything about one number (data-subject request)", subject)
    timed("retention dry run (counts what is due)", lambda: do_apply_retention(apply=False).expired, repeat=3)
    started = time.perf_counter()
    deleted = do_apply_retention(apply=True).deleted
    elapsed = time.perf_counter() - started
    print(
        f"  {'retention run deleting expired recordings':<58} {elapsed * 1000:8.0f} ms total "
        f"({deleted} deleted, {elapsed / max(deleted, 1) * 1000:.1f} ms each, tombstones written)"
    )
    admin = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", "b@x.test", "x")
    device = TOTPDevice.objects.filter(user=admin).first() or TOTPDevice.objects.create(user=admin, name="b")
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    def page(url: str):  # type: ignore[no-untyped-def]
        return lambda: f"HTTP {client.get(url).status_code}"

    timed("admin call history, first page", page("/admin/pbx/call/"))
    timed("admin call history, search by number", page(f"/admin/pbx/call/?q={SUBJECT.replace('+', '%2B')}"))
    timed("admin call history, missed calls filter", page("/admin/pbx/call/?outcome__exact=missed"))
    reports(client, timed)


def reports(client, timed) -> None:  # type: ignore[no-untyped-def]
    """The reports over the newest calls: the page (every figure, the breakdowns, the busiest
    hours and the period before) and the exports."""
    from django.utils import timezone

    from pbx.models import Extension, Queue

    for n in range(10):  # the people who answered (the form offers only extensions that exist)
        Extension.objects.get_or_create(number=f"1{n:02d}", defaults={"display_name": f"Osoba {n}"})
    today = timezone.localdate()
    year = f"/admin/reports/?kind=custom&first={today.replace(year=today.year - 1)}&last={today}"
    month = f"/admin/reports/?kind=month&day={today}"
    queue = Queue.objects.get(name="Serwis").pk

    def download(url: str):  # type: ignore[no-untyped-def]
        def get() -> str:
            response = client.get(url)
            size = sum(len(chunk) for chunk in response.streaming_content)
            return f"HTTP {response.status_code}, {size / 1e6:.1f} MB"

        return get

    def report(url: str):  # type: ignore[no-untyped-def]
        def get() -> str:
            response = client.get(url)
            shown = 'id="outcomes"' in response.content.decode()
            return f"HTTP {response.status_code}, {'report shown' if shown else 'NO REPORT: the form refused'}"

        return get

    def count_all() -> str:
        from django.core.management import call_command

        out = io.StringIO()
        call_command("summarise_calls", stdout=out)
        return out.getvalue().split(";")[0]

    # The summary of closed days (reports/summary.py): what counting costs the first time, by
    # the first report that needs it and by the nightly command, then the reports that read it.
    from reports.models import SummarisedDay

    SummarisedDay.objects.all().delete()
    timed("report page, the last year, nothing counted yet", report(year), repeat=1)
    SummarisedDay.objects.all().delete()
    timed("summarise_calls, every closed day (first run)", count_all, repeat=1)
    from django.db import connection

    with connection.cursor() as cursor:  # as autovacuum leaves a table that grows a day a night
        cursor.execute("VACUUM ANALYZE reports_calltally")
    since = (timezone.now() - timedelta(days=31)).isoformat().replace("+", "%2B")
    measured = [
        ("report page, this month", report(month), 5),
        ("report page, the last year", report(year), 3),
        ("report page, the last year, one queue", report(f"{year}&queue={queue}"), 3),
        ("report page, the last year, one person", report(f"{year}&person=105"), 3),
        ("report export, the last year (XLSX)", download(year.replace("/?", "/report.xlsx?")), 3),
        ("call list export, a month of calls (CSV)", download(f"/admin/reports/calls.csv?started_at__gte={since}"), 1),
        (
            "call list export, a month of calls (XLSX)",
            download(f"/admin/reports/calls.xlsx?started_at__gte={since}"),
            1,
        ),
    ]
    for label, action, repeat in measured:
        timed(label, action, repeat=repeat)


if __name__ == "__main__":
    main()
