"""Issue 6 on the real Asterisk: phones on TLS with SRTP (as Asterisk reports it), a scanner
that learns nothing and gets banned while allow-listed phones keep working, and the toll-fraud
guard refusing premium and foreign numbers and holding the concurrent-call cap."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from pbx.models import Call, CallingPolicy, Extension
from pbx.sandbox import sandbox, sipp_call
from security.models import SipAuthFailure, SipBan, TollFraudAlert

from .conftest import running_stasis
from .harness import allow_plain_sip, carrier, phone, phone_dials
from .test_first_call import CUSTOMER, OFFICE, wait_for
from .test_scenarios import office, queue, registered, steps, the_call

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ATTACKER = "127.0.0.66"  # a loopback address of its own, so that only the scanner is banned


def test_a_tls_phone_registers_and_its_call_is_srtp_as_asterisk_reports_it(staff):
    office(queue("ring_all"))
    with phone("102", staff["102"][1], answers=True, registered=registered), running_stasis():
        contacts = sandbox("cli", "test", "pjsip show aor 102")
        result = sipp_call("caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5181)
        assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
        call = the_call()
        piotr = wait_for(lambda: Extension.objects.filter(number="102", last_call_at__isnull=False).first())
    assert "transport=tls" in contacts.lower() and "transport=udp" not in contacts.lower(), contacts
    assert (piotr.last_call_tls, piotr.last_call_srtp) == (True, True)
    assert ("encryption", {"extension": "102", "tls": True, "srtp": True}) in steps(call)


def with_a_stolen_password(number: str, password: str, port: int) -> tuple[Call, str]:
    """101's password used without its TLS phone (SRTP offered over UDP, so that Asterisk lets
    the call in) to dial `number`: the call as the history has it, and what the carrier got.
    The phone never gets through."""
    with carrier() as trunk, running_stasis():
        result = phone_dials(number, "101", password, port, scenario="phone_dials_out_sdes.xml", timeout_s=20)
        call = wait_for(lambda: Call.objects.filter(ended_at__isnull=False).first(), timeout=20)
        time.sleep(1)
        received = trunk.received()
    assert result.successful == 0, result.output[-3000:]
    return call, received


def test_a_tls_phone_s_password_used_over_plain_sip_places_no_call(staff):
    """Someone who has 101's password but not its TLS phone: the app refuses the call."""
    call, received = with_a_stolen_password("0600111222", staff["101"][1], 5182)
    assert "INVITE sip:+48600111222" not in received
    blocked = [detail for kind, detail in steps(call) if kind == "outbound_blocked"]
    assert blocked == [{"number": "0600111222", "reason": "the phone did not connect over TLS"}]


def test_a_comma_in_the_dialled_number_cannot_pass_for_tls(staff):
    """The same stolen password, dialling '+48600111222,1': before, the comma shifted the
    Stasis arguments and the '1' read as "came over TLS". Now the call is refused outright."""
    call, received = with_a_stolen_password("+48600111222,1", staff["101"][1], 5188)
    assert "INVITE sip:+48600111222" not in received
    assert (call.caller, call.called, call.outcome) == ("101", "+48600111222,1", "rejected")
    assert ("bad_arguments", {"args": ["internal", "0", "+48600111222", "1"]}) in steps(call)


@contextmanager
def watching_security() -> Iterator[list[str]]:
    """`manage.py watch_security` as deployed, on the test database and the test instance's log.
    Yields its output so far. It starts at the log's end, so only what happens once it says it
    is watching counts: that line is awaited (a fixed sleep lost the scanner's attempts when
    the watcher took longer to start on a loaded machine)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**settings.DATABASES["default"]),
        "ASTERISK_CONFIG_DIR": str(settings.ASTERISK_CONFIG_DIR),
        "ASTERISK_CHROOT": settings.ASTERISK_CHROOT,
        "ASTERISK_SECURITY_LOG": str(security_log()),
        "LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "watch_security", "--interval", "0.3"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    watching = threading.Event()

    def drain() -> None:  # read all of it, so that a full pipe never stops the watcher
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            if " watching " in line:
                watching.set()
        watching.set()  # it ended: the check below says so

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert watching.wait(60) and proc.poll() is None, f"watch_security did not start:\n{''.join(output)}"
        yield output
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        reader.join(timeout=5)
        if proc.stdout is not None:  # always: a pipe, set above
            proc.stdout.close()


def sipvicious(tool: str, *args: str, seconds: int = 60) -> str:
    """A sipvicious tool (from PyPI) against the test instance, from the attacker's own
    loopback address, bounded in time."""
    argv = [
        sys.executable,
        str(Path(__file__).with_name("sipvicious_from.py")),
        ATTACKER,
        tool,
        "-p",
        str(settings.ASTERISK_SIP_PORT),
        "--maximumtime",
        str(seconds),
        *args,
        "127.0.0.1",
    ]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 5, check=False)
    except subprocess.TimeoutExpired as exc:  # a banned scanner may wait for answers that never come
        captured = b"".join(part for part in (exc.stdout, exc.stderr) if isinstance(part, bytes))
        return captured.decode(errors="replace") + f"\n(stopped after {seconds + 5} s)"
    return proc.stdout + proc.stderr


def options_from(address: str) -> str:
    """The status line Asterisk answers a SIP OPTIONS from `address` with ('' for no answer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        sock.settimeout(3)
        port = sock.getsockname()[1]
        sock.sendto(
            (
                f"OPTIONS sip:127.0.0.1:{settings.ASTERISK_SIP_PORT} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {address}:{port};branch=z9hG4bK-{port}-probe;rport\r\n"
                f"From: <sip:probe@{address}>;tag=probe\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe-{port}@{address}\r\n"
                "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            ).encode(),
            ("127.0.0.1", settings.ASTERISK_SIP_PORT),
        )
        try:
            return sock.recv(4096).decode(errors="replace").split("\r\n", 1)[0]
        except TimeoutError:
            return ""


def security_log() -> Path:
    return Path(settings.ASTERISK_CONFIG_DIR).parent / "log" / "security.log"


def test_a_scanner_finds_no_extension_gets_banned_and_allow_listed_phones_keep_working(staff):
    office(queue("ring_all"))
    with watching_security() as watcher, phone("102", staff["102"][1], answers=True, registered=registered):
        found = sipvicious("svwar", "-e100-110", seconds=15)
        cracked = sipvicious("svcrack", "-u", "102", "-r", "100000-100030", seconds=15)
        try:  # the watcher reads the log every 0.3 s: the ban follows the attempts, not at once
            ban = wait_for(lambda: SipBan.objects.filter(source=ATTACKER).first(), timeout=10)
        except AssertionError as exc:
            log = security_log().read_text()[-3000:]
            raise AssertionError(f"no ban: {exc}\n{found}\n{cracked}\n{''.join(watcher)}\n{log}") from None
        refused = wait_for(lambda: (answer := options_from(ATTACKER)).startswith("SIP/2.0 403") and answer, timeout=10)
        pjsip = (Path(settings.ASTERISK_CONFIG_DIR) / "pjsip.conf").read_text()
        # The phone on the never-ban list still works: a call reaches it and is answered.
        with running_stasis():
            result = sipp_call(
                "caller_talks.xml", OFFICE, CUSTOMER, sip_port=settings.ASTERISK_SIP_PORT, local_port=5183
            )
            assert (result.successful, result.failed) == (1, 0), result.output[-3000:]
            assert ("connected", {"target": "102"}) in steps(the_call())
    # Asterisk challenges unknown and known users alike, so svwar cannot tell them apart.
    assert "authentication request for an unknown extension" in found and "found nothing" in found, found
    assert "Password" not in cracked, cracked  # svcrack's table of cracked passwords is absent
    assert (ban.banned_by, ban.active) == ("automatic", True)
    assert f"deny = {ATTACKER}\n" in pjsip and refused == "SIP/2.0 403 Forbidden"  # live, without a restart
    assert SipAuthFailure.objects.filter(source=ATTACKER).count() >= settings.SIP_BAN_AFTER
    assert list(SipBan.objects.values_list("source", flat=True)) == [ATTACKER]


# --- toll fraud ---------------------------------------------------------------------------------


def test_premium_and_foreign_numbers_are_refused_with_a_message_and_logged(staff):
    allow_plain_sip("101")  # SIPp plays the phone
    with carrier() as trunk, running_stasis():
        premium = phone_dials("0701234567", "101", staff["101"][1], 5184, timeout_s=20)
        abroad = phone_dials("+4930901820", "101", staff["101"][1], 5185, timeout_s=20)
        time.sleep(1)
        received = trunk.received()
        calls = wait_for(
            lambda: (
                list(Call.objects.filter(ended_at__isnull=False).order_by("started_at"))
                if Call.objects.filter(ended_at__isnull=False).count() == 2
                else None
            )
        )
    assert premium.successful == 0 and abroad.successful == 0
    assert "INVITE sip:+48701234567" not in received and "INVITE sip:+4930901820" not in received
    reasons = [next(e.detail["reason"] for e in call.events.all() if e.kind == "outbound_blocked") for call in calls]
    assert reasons == ["premium-rate numbers are blocked", "calls to DE are not allowed"]
    assert [call.outcome for call in calls] == ["rejected", "rejected"]
    assert [call.hangup_cause for call in calls] == [21, 21]
    # Each phone heard the whole message (cannot-complete-as-dialed, 2.6 s) before the refusal:
    # the call ends when Asterisk reports the playback finished, not before.
    for call in calls:
        blocked = next(e.at for e in call.events.all() if e.kind == "outbound_blocked")
        assert (call.ended_at - blocked).total_seconds() >= 2.4, (call.ended_at, blocked)


def test_the_concurrent_call_cap_holds(staff):
    policy = CallingPolicy.objects.create(name="Jedna linia", max_concurrent=1)
    Extension.objects.filter(number="101").update(calling_policy=policy)
    allow_plain_sip("101")
    with carrier(calls=2) as trunk, running_stasis():
        pool = ThreadPoolExecutor(1)
        first = pool.submit(phone_dials, "0600111222", "101", staff["101"][1], 5186)
        wait_for(lambda: Call.objects.filter(answered_at__isnull=False).exists(), timeout=20)
        second = phone_dials("0600111333", "101", staff["101"][1], 5187, timeout_s=20)
        assert first.result(timeout=60).successful == 1
        time.sleep(1)
        received = trunk.received()
    assert second.successful == 0
    assert "INVITE sip:+48600111333" not in received and "INVITE sip:+48600111222" in received
    alert = TollFraudAlert.objects.get()
    assert (alert.kind, alert.extension, alert.number) == ("concurrent", "101", "+48600111333")
