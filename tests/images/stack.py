"""docker/compose.yaml booted for real: the images make images built, under podman's Docker API
(podman system service) driven by docker-compose, as an installation drives Docker."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

DOCKER = Path(settings.BASE_DIR) / "docker"
SERVICES = ("postgres", "web", "asterisk", "stasis", "security", "worker")

# Ports of their own, beside the machine's PostgreSQL (5432) and the test sandboxes.
PORTS = {
    "POSTGRES_PORT": 5532,
    "ASTERISK_SIP_PORT": 5260,
    "ASTERISK_TLS_PORT": 5261,
    "ASTERISK_HTTP_PORT": 8288,
    "WEB_PORT": 8200,
}


class StackError(AssertionError):
    pass


def podman_environment(socket: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CONTAINERS_CONF": str(DOCKER / "containers.conf"),
        "DOCKER_HOST": f"unix://{socket}",
    }


def stack_environment(folder: Path) -> str:
    """A production .env for this run: fresh secrets, loopback, the ports above."""
    master_key = base64.b64encode(secrets.token_bytes(32)).decode()
    return "\n".join(
        [
            f"DJANGO_SECRET_KEY={secrets.token_urlsafe(32)}",
            "DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost",
            f"POSTGRES_PASSWORD={secrets.token_urlsafe(16)}",
            f"ARI_PASSWORD={secrets.token_urlsafe(16)}",
            f"RECORDING_MASTER_KEY={master_key}",
            *(f"{name}={port}" for name, port in PORTS.items() if name != "WEB_PORT"),
            "ASTERISK_BIND_ADDRESS=127.0.0.1",
            "ASTERISK_RTP_START=12000",
            "ASTERISK_RTP_END=12199",
            # no certificate on a test machine: Centrala's own, as in development
            "TLS_DEVELOPMENT_CERTIFICATES=1",
            "TRUNK_MATCH=127.0.0.2",
            "TRUNK_CONTACT=sip:127.0.0.2:5290",
            f"WEB_BIND=127.0.0.1:{PORTS['WEB_PORT']}",
            f"CENTRALA_URL=http://127.0.0.1:{PORTS['WEB_PORT']}",
            f"CENTRALA_ENV_FILE={folder / '.env'}",
            "",
        ]
    )


@dataclass
class ComposedStack:
    folder: Path
    project: str = field(default_factory=lambda: f"centrala-ci-{os.getpid()}")
    socket: Path = field(init=False)
    _service: subprocess.Popen[bytes] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.socket = self.folder / "podman.sock"

    @property
    def env(self) -> dict[str, str]:
        return podman_environment(self.socket)

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{PORTS['WEB_PORT']}"

    def compose(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [
            "docker-compose",
            "-p",
            self.project,
            "--env-file",
            str(self.folder / ".env"),
            "-f",
            str(DOCKER / "compose.yaml"),
            *args,
        ]
        try:
            result = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"docker-compose {' '.join(args)} took over {timeout} s\n{self.status()}") from exc
        if check and result.returncode != 0:
            raise StackError(f"docker-compose {' '.join(args)} failed:\n{result.stderr[-3000:]}\n{self.status()}")
        return result

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """manage.py in the running web container."""
        extra = [item for name, value in (env or {}).items() for item in ("-e", f"{name}={value}")]
        return self.compose("exec", "-T", *extra, "web", "python", "manage.py", *args).stdout

    def podman(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def containers(self) -> dict[str, str]:
        """Service name -> container id, of this project."""
        listed = self.podman(
            "ps", "-a", "--filter", f"label=com.docker.compose.project={self.project}",
            "--format", '{{.ID}} {{index .Labels "com.docker.compose.service"}}',
        )  # fmt: skip
        return {service: cid for cid, service in (line.split() for line in listed.stdout.splitlines() if " " in line)}

    def health(self, *services: str) -> dict[str, str]:
        """Service -> its health check's state ("absent" without a container), one listing."""
        found = self.containers()
        states = {service: "absent" for service in services if service not in found}
        ids = [found[service] for service in services if service in found]
        if ids:
            listed = self.podman("inspect", "--format", "{{.State.Health.Status}}", *ids).stdout.splitlines()
            states.update(zip([service for service in services if service in found], listed, strict=True))
        return states

    def status(self) -> str:
        """Each container's state and the end of its log, for a failure's message."""
        lines = []
        for service, cid in sorted(self.containers().items()):
            state = self.podman("ps", "-a", "--filter", f"id={cid}", "--format", "{{.Status}}").stdout.strip()
            log = self.podman("logs", "--tail", "15", cid)
            lines.append(f"--- {service}: {state}\n{(log.stdout + log.stderr)[-2500:]}")
        return "\n".join(lines)

    def _run_health_checks(self) -> None:
        # Docker runs each container's HEALTHCHECK itself; podman needs systemd timers for that,
        # which these machines lack. Without this, `depends_on: service_healthy` waits forever.
        while not self._stop.wait(2.0):
            for cid in self.containers().values():
                self.podman("healthcheck", "run", cid, timeout=30)

    def _remove_leftovers(self) -> None:
        """An earlier run killed before its teardown leaves containers holding these ports."""
        label = ' {{index .Labels "com.docker.compose.project"}}'
        containers = self.podman("ps", "-a", "--format", "{{.ID}}" + label).stdout
        volumes = self.podman("volume", "ls", "--format", "{{.Name}}" + label).stdout
        for argv, listing in ((("rm", "-f"), containers), (("volume", "rm", "-f"), volumes)):
            for line in listing.splitlines():
                name, _, project = line.partition(" ")
                if project.startswith("centrala-ci-"):
                    self.podman(*argv, name)

    def wait_healthy(self, *services: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(self.health(*services).values()) == {"healthy"}:
                return
            time.sleep(2)
        states = ", ".join(f"{service}: {state}" for service, state in self.health(*services).items())
        raise StackError(f"not healthy within {timeout} s ({states})\n{self.status()}")

    @contextmanager
    def running(self) -> Iterator[ComposedStack]:
        for tool in ("podman", "docker-compose"):
            if shutil.which(tool) is None:
                raise StackError(f"{tool} is not installed: run `make images` (it installs Debian's packages)")
        missing = [image for image in ("centrala", "centrala-asterisk", "centrala-postgres")
                   if self.podman("image", "exists", f"{image}:latest").returncode != 0]  # fmt: skip
        if missing:
            raise StackError(f"images not built: {', '.join(missing)}; run `make images` first")
        self._remove_leftovers()
        (self.folder / ".env").write_text(stack_environment(self.folder))
        self._service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{self.socket}"], env=self.env
        )
        checks = threading.Thread(target=self._run_health_checks, daemon=True)
        try:
            deadline = time.monotonic() + 30
            while not self.socket.exists():
                if time.monotonic() > deadline or self._service.poll() is not None:
                    raise StackError("podman's Docker API (podman system service) did not start")
                time.sleep(0.2)
            checks.start()
            self.compose("up", "-d", "--no-build", timeout=600)
            yield self
        finally:
            self._stop.set()
            try:
                self.compose("down", "-v", "--timeout", "20", timeout=300, check=False)
            finally:
                self._service.terminate()
                self._service.wait(timeout=30)
