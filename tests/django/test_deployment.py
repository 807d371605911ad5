"""What production deployment relies on: the compose file validates (docker-compose config),
refuses to start without its secrets, and the health checks say what is wrong."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from pbx.stasis.health import STALE_SECONDS, Report, health_file, problem, read_report, write_report

DOCKER = Path(settings.BASE_DIR) / "docker"


def compose_config(tmp_path: Path, env: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` on a copy laid out like the repository: docker/ and .env."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed: `make test` installs Debian's package", pytrace=False)
    shutil.copytree(DOCKER, tmp_path / "docker")
    (tmp_path / ".env").write_text(env)
    argv = [binary, "--env-file", str(tmp_path / ".env"), "-f", str(tmp_path / "docker" / "compose.yaml"), "config"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


def test_the_compose_file_validates_with_every_service_and_volume(tmp_path):
    env = (DOCKER / "env.example").read_text().replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=s3cret\n")
    result = compose_config(tmp_path, env)
    assert result.returncode == 0, result.stderr
    rendered = result.stdout
    for service in ("postgres", "web", "asterisk", "stasis", "security", "worker"):
        assert f"\n  {service}:\n" in rendered, service
    volumes = ("pgdata", "asterisk-etc", "asterisk-log", "recordings", "stasis-spool", "asterisk-recordings", "sounds")
    for volume in volumes:
        assert f"\n  {volume}:" in rendered.split("\nvolumes:")[-1], volume
    assert "postgres://centrala:s3cret@127.0.0.1:5432/centrala" in rendered
    services = yaml.safe_load(rendered)["services"]
    for name in ("web", "stasis", "security", "worker"):  # stasis's own environment keeps it
        assert services[name]["environment"]["DATABASE_URL"].endswith("@127.0.0.1:5432/centrala"), name
    assert services["stasis"]["environment"]["ASTERISK_RECORDING_DIR"] == "/var/spool/asterisk/recording"
    # Every service on the host's network; the database listens on loopback (its entrypoint) and
    # publishes nothing, and every image builds from Debian's base images alone.
    assert {service["network_mode"] for service in services.values()} == {"host"}
    assert not any("ports" in service for service in services.values())
    dockerfiles = {"web": "Dockerfile", "asterisk": "Dockerfile.asterisk", "postgres": "Dockerfile.postgres"}
    for name, dockerfile in dockerfiles.items():
        assert services[name]["build"]["dockerfile"] == f"docker/{dockerfile}"
        first = next(line for line in (DOCKER / dockerfile).read_text().splitlines() if line.startswith("FROM "))
        assert first in ("FROM debian:bookworm-slim", "FROM debian:sid-slim"), dockerfile


def test_the_database_port_is_one_setting_for_the_database_and_every_service(tmp_path):
    env = (DOCKER / "env.example").read_text().replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=s3cret\n")
    result = compose_config(tmp_path, env + "POSTGRES_PORT=5532\n")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["postgres"]["environment"]["POSTGRES_PORT"] == "5532"
    for name in ("web", "stasis", "security", "worker"):
        assert services[name]["environment"]["DATABASE_URL"].endswith("@127.0.0.1:5532/centrala"), name


def test_compose_refuses_to_start_without_the_database_password(tmp_path):
    result = compose_config(tmp_path, (DOCKER / "env.example").read_text())
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in result.stderr


def test_the_example_environment_names_every_secret_production_needs():
    names = {
        line.split("=", 1)[0]
        for line in (DOCKER / "env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert {
        "DJANGO_SECRET_KEY",
        "ARI_PASSWORD",
        "RECORDING_MASTER_KEY",
        "POSTGRES_PASSWORD",
        "TLS_CERT_FILE",
        "TLS_KEY_FILE",
        "DJANGO_ALLOWED_HOSTS",
    } <= names


@pytest.mark.django_db
def test_health_checks_pass_or_say_what_is_wrong(capsys):
    call_command("healthcheck", "web")
    assert capsys.readouterr().out.strip() == "ok"
    # No Asterisk in this tier: the check fails and says so.
    with pytest.raises(CommandError, match="Asterisk's ARI does not answer"):
        call_command("healthcheck", "asterisk")


def test_the_stasis_check_trusts_only_a_fresh_report_of_a_connected_app(settings, tmp_path, capsys):
    """Asterisk keeps listing an app that subscribed to endpoints after its websocket is gone,
    so the check reads the app's own report (the e2e tier runs it against a real app)."""
    settings.STASIS_SPOOL_DIR = tmp_path
    path = health_file(tmp_path)
    with pytest.raises(CommandError, match="has not reported its health"):
        call_command("healthcheck", "stasis")
    write_report(path, connected=True)
    call_command("healthcheck", "stasis")
    assert capsys.readouterr().out.strip() == "ok"
    write_report(path, connected=False, calls=3, tasks=41)
    with pytest.raises(CommandError, match="not connected to Asterisk's ARI"):
        call_command("healthcheck", "stasis")
    report = read_report(path)
    assert report is not None
    assert report.figures == {"calls": 3, "tasks": 41}  # what the app holds, for monitoring
    stale = report.at + timedelta(seconds=STALE_SECONDS + 1)
    assert "hung or stopped" in problem(Report(report.pid, True, report.at), now=stale)
    path.write_text("{not json")
    with pytest.raises(CommandError, match="has not reported"):
        call_command("healthcheck", "stasis")
