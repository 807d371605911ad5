"""SIP security on the Django side: the security log, failed logins becoming bans (and never
for the allow-list), the ban ACL and TLS in Asterisk's config, strong SIP passwords, calling
policies and toll-fraud alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance.models import AuditEntry
from pbx.asterisk_config import ConfigError, render_all
from pbx.callflow import commands as c
from pbx.callflow.vocabulary import StepKind
from pbx.directory import load_directory, load_outbound_history
from pbx.extensions import do_create_extension, do_set_sip_password
from pbx.models import Call, CallingPolicy, Extension
from pbx.sip_credentials import sip_password_problems
from security.actions import do_ban, do_lift_ban, do_record_failures, never_banned
from security.management.commands.watch_security import watch_once
from security.models import AllowedNetwork, SipAuthFailure, SipBan, TollFraudAlert
from security.seclog import LogFollower, SecurityEvent, parse_line

pytestmark = pytest.mark.django_db
LINE = (
    '[2026-11-24 05:10:11.123] SECURITY[81] res_security_log.c: SecurityEvent="InvalidAccountID",'
    'EventTV="2026-11-24T05:10:11.123+0100",Severity="Error",Service="PJSIP",EventVersion="1",'
    'AccountID="100",SessionID="1-abc@127.0.0.66",LocalAddress="IPV4/UDP/127.0.0.1/15060",'
    'RemoteAddress="IPV4/UDP/127.0.0.66/5060"'
)
NOW = datetime(2026, 11, 24, 4, 10, tzinfo=UTC)


def failures(source: str, n: int, at: datetime = NOW) -> list[SecurityEvent]:
    return [SecurityEvent(at=at, event="InvalidPassword", source=source, account="101") for _ in range(n)]


def test_a_security_log_line_is_parsed():
    event = parse_line(LINE)
    assert event == SecurityEvent(
        at=datetime.fromisoformat("2026-11-24T05:10:11.123+01:00"),
        event="InvalidAccountID",
        source="127.0.0.66",
        account="100",
        service="PJSIP",
        transport="udp",
    )
    assert event.failure
    challenge = LINE.replace("InvalidAccountID", "ChallengeSent")
    challenged = parse_line(challenge)
    assert challenged is not None and challenged.failure is False
    assert parse_line("[2026-11-24] NOTICE[1] something else") is None
    assert parse_line(LINE.replace("IPV4/UDP/127.0.0.66/5060", "garbled")) is None


def test_the_follower_reads_only_new_whole_lines_and_survives_rotation(tmp_path):
    log = tmp_path / "security.log"
    log.write_text("old line\n")
    follower = LogFollower(log)
    assert follower.read_lines() == []  # what was there before is not counted again
    with log.open("a") as handle:
        handle.write("first\nsecond, half")
    assert follower.read_lines() == ["first"]
    with log.open("a") as handle:
        handle.write(" done\n")
    assert follower.read_lines() == ["second, half done"]
    log.rename(tmp_path / "security.log.1")
    log.write_text("after rotation\n")
    assert follower.read_lines() == ["after rotation"]


def test_five_failures_in_the_window_ban_the_source_and_audit_it(settings):
    assert do_record_failures(failures("198.51.100.9", 4), now=NOW) == []
    [ban] = do_record_failures(failures("198.51.100.9", 1), now=NOW)
    assert (ban.source, ban.reason, ban.banned_by) == (
        "198.51.100.9",
        "5 nieudanych logowań w ciągu 10 min",
        "automatic",
    )
    assert ban.until == NOW + timedelta(minutes=settings.SIP_BAN_MINUTES)
    assert SipAuthFailure.objects.count() == 5
    assert AuditEntry.objects.get(action="security.ban").target == "sip:198.51.100.9"
    assert do_record_failures(failures("198.51.100.9", 3), now=NOW) == []  # already banned: no second ban


def test_old_failures_outside_the_window_do_not_count():
    do_record_failures(failures("198.51.100.9", 4, at=NOW - timedelta(minutes=30)), now=NOW)
    assert do_record_failures(failures("198.51.100.9", 1), now=NOW) == []


def test_the_allow_list_carrier_and_loopback_are_never_banned(settings):
    AllowedNetwork.objects.create(network="203.0.113.0/24", note="biuro")
    for source in ("203.0.113.50", settings.TRUNK_MATCH, "127.0.0.1"):
        assert never_banned(source)
        assert do_record_failures(failures(source, 20), now=NOW) == []
        with pytest.raises(ValueError, match="never-ban list"):
            do_ban(source, "by hand", "ola")
    assert not SipBan.objects.exists()
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        do_ban("not-an-address", "x", "ola")


def test_bans_reach_pjsip_conf_as_an_acl_and_leave_it_when_lifted_or_expired():
    assert "type = acl" not in render_all()["pjsip.conf"]
    ban = do_ban("198.51.100.9", "by hand", "ola")
    do_ban("198.51.100.10", "short", "ola", minutes=5, now=timezone.now() - timedelta(minutes=10))
    pjsip = render_all()["pjsip.conf"]
    assert "[banned-sources]\n" in pjsip and "deny = 198.51.100.9\n" in pjsip and "198.51.100.10" not in pjsip
    do_lift_ban(ban, "ola")
    assert "type = acl" not in render_all()["pjsip.conf"]
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "security.ban",
        "security.ban",
        "security.unban",
    ]


def test_the_watcher_records_failures_and_re_renders_when_the_ban_list_changes(tmp_path, settings, monkeypatch):
    applied: list[bool] = []
    monkeypatch.setattr("security.management.commands.watch_security.apply_bans", lambda: applied.append(True))
    log = tmp_path / "security.log"
    log.write_text("")
    follower = LogFollower(log)
    fresh = LINE.replace("127.0.0.66", "198.51.100.7").replace(
        "2026-11-24T05:10:11.123+0100", timezone.now().isoformat()
    )
    log.write_text("\n".join([fresh] * 5) + "\n")
    now_banned = watch_once(follower, applied=[])
    assert now_banned == ["198.51.100.7"] and applied == [True]
    assert watch_once(follower, applied=now_banned) == now_banned and applied == [True]  # nothing new
    SipBan.objects.update(until=timezone.now() - timedelta(seconds=1))
    assert watch_once(follower, applied=now_banned) == [] and applied == [True, True]  # ran out: re-rendered


def test_staff_endpoints_use_tls_and_srtp_and_plain_ones_are_fenced_to_loopback(settings):
    do_create_extension("101", "Anna")
    test_phone, _ = do_create_extension("102", "Tester")
    Extension.objects.filter(pk=test_phone.pk).update(plain_sip=True)
    pjsip = render_all()["pjsip.conf"]
    anna = pjsip[pjsip.index("[101]\ntype = endpoint") : pjsip.index("[101-auth]")]
    assert "transport = transport-tls\nmedia_encryption = sdes\nmedia_encryption_optimistic = no\n" in anna
    tester = pjsip[pjsip.index("[102]\ntype = endpoint") : pjsip.index("[102-auth]")]
    assert "transport = transport-loopback-udp\ndeny = 0.0.0.0/0.0.0.0\ndeny = ::/0\npermit = 127.0.0.0/8\n" in tester
    assert "media_encryption" not in tester
    keys = Path(settings.ASTERISK_CONFIG_DIR) / "keys"
    assert f"cert_file = {keys / 'asterisk.crt'}\n" in pjsip and (keys / "ca.crt").exists()
    assert f"bind = 127.0.0.1:{settings.ASTERISK_TLS_PORT}\n" in pjsip


def test_production_needs_a_certificate(settings):
    settings.TLS_DEVELOPMENT_CERTIFICATES = False
    with pytest.raises(ConfigError, match="TLS_CERT_FILE and TLS_KEY_FILE must be set outside development"):
        render_all()
    settings.TLS_CERT_FILE = "/etc/letsencrypt/live/pbx/fullchain.pem"
    with pytest.raises(ConfigError, match="go together"):
        render_all()
    settings.TLS_KEY_FILE = "/etc/letsencrypt/live/pbx/privkey.pem"
    assert "priv_key_file = /etc/letsencrypt/live/pbx/privkey.pem\n" in render_all()["pjsip.conf"]
    settings.SIP_PLAIN_NETWORKS = ["loopback"]
    with pytest.raises(ConfigError, match="SIP_PLAIN_NETWORKS"):
        render_all()


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Zq7rT2mW9xKp4LbN", []),
        ("short1A", ["at least 16 characters (this one has 7)"]),
        ("alllowercaseletters", ["lower-case letters, capitals and digits together"]),
        ("Abcdef101ghijklmn", ["not the extension number inside it"]),
        ("Aa1Aa1Aa1Aa1Aa1Aa1", ["not so many repeated characters"]),
        ("Zq7rT2mW9 xKp4LbN", ["no spaces, quotes or ';'"]),
    ],
)
def test_weak_sip_passwords_are_refused_by_name(password, problems):
    assert sip_password_problems(password, "101") == problems


def test_setting_a_sip_password_by_hand_or_generated(settings):
    extension, _ = do_create_extension("101", "Anna")
    before = extension.sip_ha1
    with pytest.raises(ValueError, match="too weak; it needs at least 16 characters"):
        do_set_sip_password(extension, "haslo123", "ola")
    extension.refresh_from_db()
    assert extension.sip_ha1 == before
    generated = do_set_sip_password(extension, None, "ola")
    assert len(generated) == 24 and Extension.objects.get(pk=extension.pk).sip_ha1 != before
    assert AuditEntry.objects.get(action="config.sip_password").detail == {"generated": True}


def test_calling_policy_countries_are_checked_and_tidied():
    policy = CallingPolicy(name="Handlowcy", countries="de, cz ,GB")
    policy.full_clean()
    assert policy.countries == "CZ, DE, GB"
    with pytest.raises(ValidationError, match="Unknown country code"):
        CallingPolicy(name="x", countries="DE, XX").full_clean()
    with pytest.raises(ValidationError, match="PL is home"):
        CallingPolicy(name="y", countries="PL").full_clean()


def test_the_directory_carries_each_person_s_policy():
    policy = CallingPolicy.objects.create(name="Handlowcy", countries="DE, CZ", max_concurrent=3)
    anna, _ = do_create_extension("101", "Anna")
    do_create_extension("102", "Piotr")
    Extension.objects.filter(pk=anna.pk).update(calling_policy=policy)
    people = load_directory().people
    assert (people["101"].policy.countries, people["101"].policy.max_concurrent) == (frozenset({"CZ", "DE"}), 3)
    assert people["102"].policy.countries == frozenset() and people["102"].policy.premium is False


def test_toll_alerts_are_stored_mailed_and_make_the_country_known(django_capture_on_commit_callbacks, settings):
    from pbx.actions import do_apply_facts

    settings.SECURITY_ALERT_EMAILS = ["biuro@firma.test"]
    call = Call.objects.create(channel_id="9.1", direction="outbound", caller="101", started_at=timezone.now())
    fact = c.CallStep(
        "9.1",
        call_key=str(call.pk),
        at=timezone.now(),
        kind=StepKind.TOLL_ALERT,
        detail={
            "alert_kind": "new_country",
            "alert": "first call to DE",
            "extension": "101",
            "number": "+4930901820",
            "country": "DE",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_apply_facts([fact])
    alert = TollFraudAlert.objects.get()
    assert (alert.kind, alert.extension, alert.country, alert.call_id) == ("new_country", "101", "DE", call.pk)
    assert [m.subject for m in mail.outbox] == [
        "Centrala: pierwsze połączenie do nowego kraju (DE), numer wewnętrzny 101"
    ]
    body = mail.outbox[0].body
    assert body.startswith(f"{timezone.localtime(fact.at):%d.%m.%Y %H:%M}: numer wewnętrzny 101 wybrał +4930901820.")
    assert f"/admin/security/tollfraudalert/{alert.pk}/change/" in body  # the office's time, above, and the alert
    assert mail.outbox[0].to == ["biuro@firma.test"]
    assert load_outbound_history().known_countries == frozenset({"DE"})


def test_today_s_outside_minutes_per_extension():
    now = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # noon in Warsaw: every call is "today"
    Call.objects.create(
        channel_id="1",
        direction="outbound",
        caller="101",
        started_at=now - timedelta(minutes=20),
        answered_at=now - timedelta(minutes=19),
        ended_at=now - timedelta(minutes=9),
    )
    Call.objects.create(
        channel_id="2",
        direction="outbound",
        caller="101",
        started_at=now - timedelta(minutes=3),
        answered_at=now - timedelta(minutes=2),
    )
    Call.objects.create(
        channel_id="3",
        direction="inbound",
        caller="101",
        started_at=now - timedelta(minutes=5),
        answered_at=now - timedelta(minutes=5),
        ended_at=now,
    )
    minutes = load_outbound_history(now).minutes_today
    assert list(minutes) == ["101"] and minutes["101"] == pytest.approx(12.0)


def test_the_shipped_fail2ban_filter_matches_failures_and_only_them():
    """The filter's regex (as fail2ban reads it: <HOST> is the address) against security-log
    lines as Asterisk 22 writes them."""
    import configparser
    import re

    from django.conf import settings

    parser = configparser.RawConfigParser()
    parser.read(Path(settings.BASE_DIR) / "asterisk-conf" / "fail2ban" / "filter.d" / "centrala-asterisk.conf")
    failregex = re.compile(parser["Definition"]["failregex"].replace("<HOST>", r"(?P<host>[\d.:a-fA-F]+)"))
    jail = configparser.RawConfigParser()
    jail.read(Path(settings.BASE_DIR) / "asterisk-conf" / "fail2ban" / "jail.d" / "centrala-asterisk.conf")
    assert jail["centrala-asterisk"]["filter"] == "centrala-asterisk"
    assert jail["centrala-asterisk"]["logpath"] == "/var/log/asterisk/security.log"
    attempt = LINE.replace("InvalidAccountID", "ChallengeResponseFailed")
    found = failregex.search(attempt)
    assert found is not None and found.group("host") == "127.0.0.66"
    over_ipv6 = failregex.search(LINE.replace("IPV4/UDP/127.0.0.66", "IPV6/TLS/2001:db8::7"))
    assert over_ipv6 is not None and over_ipv6.group("host") == "2001:db8::7"
    for normal in ("ChallengeSent", "SuccessfulAuth"):
        assert failregex.search(LINE.replace("InvalidAccountID", normal)) is None


def test_the_office_manager_sees_offenders_bans_and_encryption_in_the_admin(client):
    from django.contrib.auth.models import Group, User

    from tests.conftest import signed_in

    basia = User.objects.create_user("basia", password="Basia-Long-Password-1", is_staff=True)
    basia.groups.add(Group.objects.get(name="Office manager"))
    signed_in(client, basia)
    do_record_failures(failures("198.51.100.9", 6, at=timezone.now()))
    do_record_failures(failures("198.51.100.20", 2, at=timezone.now()))
    page = client.get("/admin/security/sipauthfailure/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = page[page.index('id="top-offenders"') :]
    assert table.index("198.51.100.9") < table.index("198.51.100.20")
    assert "<td>198.51.100.9</td><td>6</td>" in table.replace("\n", "")
    # A ban by hand, for 30 minutes, then lifted with the action.
    response = client.post(
        "/admin/security/sipban/add/",
        {"source": "203.0.113.66", "reason": "scanner", "minutes": "30"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    ban = SipBan.objects.get(source="203.0.113.66")
    assert ban.until is not None
    assert (ban.banned_by, round((ban.until - ban.banned_at).total_seconds())) == ("basia", 1800)
    client.post("/admin/security/sipban/", {"action": "lift", "_selected_action": [ban.pk]})
    ban.refresh_from_db()
    assert ban.lifted_by == "basia" and not ban.active
    refused = client.post(
        "/admin/security/sipban/add/", {"source": "127.0.0.1", "reason": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 200 and "127.0.0.1 is on the never-ban list." in refused.content.decode()
    assert not SipBan.objects.filter(source="127.0.0.1").exists()
    # Encryption as Asterisk reported the last call.
    anna, _ = do_create_extension("101", "Anna")
    Extension.objects.filter(pk=anna.pk).update(last_call_at=timezone.now(), last_call_tls=True, last_call_srtp=False)
    extensions = client.get("/admin/pbx/extension/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "NO: without SRTP" in extensions


def test_a_tls_phone_s_password_over_plain_sip_bans_the_source_and_alerts(django_capture_on_commit_callbacks, settings):
    from security.actions import do_catch_leaked_passwords

    settings.SECURITY_ALERT_EMAILS = ["biuro@firma.test"]
    do_create_extension("101", "Anna")
    tester, _ = do_create_extension("102", "Tester")
    Extension.objects.filter(pk=tester.pk).update(plain_sip=True)
    ok = [
        SecurityEvent(NOW, "SuccessfulAuth", "198.51.100.5", "101", "PJSIP", "tls"),
        SecurityEvent(NOW, "SuccessfulAuth", "127.0.0.1", "102", "PJSIP", "udp"),
    ]
    leaked = SecurityEvent(NOW, "SuccessfulAuth", "198.51.100.6", "101", "PJSIP", "udp")
    with django_capture_on_commit_callbacks(execute=True):
        assert do_catch_leaked_passwords(ok, now=NOW) == []
        [ban] = do_catch_leaked_passwords([leaked, leaked], now=NOW)
    reason = "hasło numeru wewnętrznego 101 użyto przez niezaszyfrowany SIP (udp)"
    assert (ban.source, ban.reason) == ("198.51.100.6", reason)
    assert [m.subject for m in mail.outbox] == [f"Centrala: {reason}"]
    assert "z adresu 198.51.100.6" in mail.outbox[0].body
