"""Rendering Asterisk's config from the database: content, secrets, atomic writes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from pbx.ari.client import MAX_CONNECTIONS
from pbx.asterisk import BACKGROUND_CONNECTIONS, WEB_SESSIONS
from pbx.asterisk_config import CONFIG_FILES, ConfigError, render_all, write_config
from pbx.extensions import do_create_extension

pytestmark = pytest.mark.django_db


def test_every_file_renders_and_names_our_stasis_app(settings):
    files = render_all()
    assert set(files) == set(CONFIG_FILES)
    assert f"Stasis({settings.ARI_APP},inbound,${{EXTEN}})" in files["extensions.conf"]
    assert 'GotoIf($["${STASISSTATUS}" != "FAILED"]?done)' in files["extensions.conf"]
    assert "autoload = no" in files["modules.conf"]
    assert "icesupport = no" in files["rtp.conf"]
    assert "security.log => security" in files["logger.conf"]


def test_ari_and_http_listen_on_loopback_with_the_password_from_settings(settings):
    files = render_all()
    assert f"bindaddr = 127.0.0.1\nbindport = {settings.ASTERISK_HTTP_PORT}" in files["http.conf"]
    assert f"[{settings.ARI_USER}]" in files["ari.conf"]
    assert f"password = {settings.ARI_PASSWORD}" in files["ari.conf"]
    assert "websocket_write_timeout = 2000" in files["ari.conf"]


@pytest.mark.parametrize(
    ("workers", "spares", "limit"), [(1, 2, 100), (1, 8, 100), (2, 2, 114), (3, 0, 155), (16, 8, 868)]
)
def test_asterisks_http_session_limit_covers_every_connection_the_stasis_workers_and_the_web_may_hold(
    settings, workers: int, spares: int, limit: int
):
    # Per worker: 40 connections for live calls, 4 background ones, the event socket and the
    # spares; then 20 for the web side and the commands. Never below Asterisk's default (100).
    settings.STASIS_WORKERS, settings.ARI_SPARE_SOCKETS = workers, spares
    assert f"\nsessionlimit = {limit}\n" in render_all()["http.conf"]
    assert limit >= workers * (MAX_CONNECTIONS + BACKGROUND_CONNECTIONS + 1 + spares) + WEB_SESSIONS


def test_without_requests_over_the_websocket_no_spare_socket_is_counted(settings):
    settings.STASIS_WORKERS, settings.ARI_SPARE_SOCKETS, settings.ARI_REQUESTS_OVER_WEBSOCKET = 4, 8, False
    assert "\nsessionlimit = 200\n" in render_all()["http.conf"]  # 4 x (40 + 4 + 1) + 20


def test_the_repository_templates_hold_no_secret(settings):
    template = (Path(settings.BASE_DIR) / "asterisk-conf" / "ari.conf").read_text()
    assert settings.ARI_PASSWORD not in template
    assert "password = {{ ari_password }}" in template


def test_extensions_become_endpoints_with_md5_credentials_only():
    extension, password = do_create_extension("101", "Anna Nowak")
    pjsip = render_all()["pjsip.conf"]
    assert "[101]\ntype = endpoint" in pjsip
    assert f"auth_type = md5\nusername = 101\nrealm = centrala\nmd5_cred = {extension.sip_ha1}" in pjsip
    assert password not in pjsip
    assert 'callerid = "Anna Nowak" <101>' in pjsip


@pytest.mark.parametrize("password", ["", "short", "has spaces in it 1234", "semi;colon;1234567890"])
def test_an_unsafe_ari_password_is_refused_with_a_clear_error(password: str, tmp_path: Path):
    with override_settings(ARI_PASSWORD=password), pytest.raises(ConfigError, match="ARI_PASSWORD"):
        render_all()
    with override_settings(ARI_PASSWORD=password, ASTERISK_CONFIG_DIR=tmp_path), pytest.raises(CommandError):
        call_command("render_asterisk_config")
    assert list(tmp_path.iterdir()) == []


def test_only_changed_files_are_written_and_secrets_are_not_world_readable(tmp_path: Path):
    first = write_config(tmp_path, render_all())
    assert sorted(first.changed) == sorted(CONFIG_FILES)
    assert (tmp_path / "ari.conf").stat().st_mode & 0o777 == 0o640
    do_create_extension("101", "Anna")
    second = write_config(tmp_path, render_all())
    assert second.changed == ["pjsip.conf"]
    assert second.modules_to_reload == ["res_pjsip.so"]
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_the_command_reports_what_it_wrote(tmp_path: Path, capsys):
    call_command("render_asterisk_config", "--output", str(tmp_path))
    out = capsys.readouterr().out
    assert f"{len(CONFIG_FILES)} changed, 0 unchanged" in out
    assert (tmp_path / "pjsip.conf").exists()


def test_without_trunk_credentials_no_registration_is_rendered():
    assert "type = registration" not in render_all()["pjsip.conf"]


def test_trunk_credentials_render_a_registration_and_outbound_auth(settings):
    settings.TRUNK_USERNAME, settings.TRUNK_PASSWORD = "48221234567", "Tr0nkSecret"
    settings.TRUNK_REGISTRAR = "sip:sip.operator.example"
    pjsip = render_all()["pjsip.conf"]
    assert "aors = carrier\noutbound_auth = carrier-auth\n" in pjsip
    assert "username = 48221234567\npassword = Tr0nkSecret" in pjsip
    assert "server_uri = sip:sip.operator.example\nclient_uri = sip:48221234567@sip.operator.example" in pjsip


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("48221234567", "", "sip:sip.operator.example"), "needs TRUNK_PASSWORD"),
        (("48221234567", "x", "sip.operator.example"), "must be a SIP URI"),
        (("482 21", "x", "sip:sip.operator.example"), "TRUNK_USERNAME must not contain"),
    ],
)
def test_incomplete_or_malformed_trunk_settings_are_refused(settings, values, message):
    settings.TRUNK_USERNAME, settings.TRUNK_PASSWORD, settings.TRUNK_REGISTRAR = values
    with pytest.raises(ConfigError, match=message):
        render_all()
