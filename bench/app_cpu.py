"""The Stasis app's CPU per light call, alone: the real app (`manage.py stasis`, its database
thread and PostgreSQL) against a scripted Asterisk on loopback, with no Asterisk, SIPp or probe
sharing the machine's cores. bench/calls.py measures the same call against the real Asterisk,
where the figure moves by a tenth from run to run with the machine; here it moves far less, so a
change to the app's per-call work can be told from noise (docs/benchmark.md).

    python bench/app_cpu.py [--rate 100] [--seconds 20] [--runs 3] [--against ../other-checkout]

With --against, another checkout's app (a git worktree of an earlier commit, sharing this
one's virtualenv and database schema) runs too, against its own scripted Asterisk and database,
and the two take turns: a change is measured against the code before it, minutes apart at most
(this machine's speed drifts by a third over an hour).

The scripted Asterisk speaks ARI's event websocket as Asterisk 22 does for the light call of
bench/calls.py (answer, 3 s of silence, the PBX hangs up), with events copied from a real run
(ARI_LOG_EVENTS=1): StasisStart; on the answer ChannelStateChange; on the play its reply and
PlaybackStarted, PlaybackFinished 3 s later; on the hang-up ChannelHangupRequest and StasisEnd;
none of a type the app's event filter disallows (as Asterisk).
Requests come over the sockets (REST over WebSocket: the app's own and its spare sockets,
ARI_SPARE_SOCKETS), as they do from the app against Asterisk; events go to the app's own socket
whichever socket asked; the reconciliation's and sweeps' reads get the live channels. Prints, per run: calls started
and ended, the app's CPU over the calls (from the first start until the history has every
call's end) per call, and the same app's CPU when idle over as long, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.calls import cpu_seconds, create_database  # noqa: E402 (needs ROOT on the path)

APP, NUMBER, DATABASE = "centrala-bench-app", "+48221234568", "centrala_bench_app"
PLAY_SECONDS = 3.0


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def channel(channel_id: str, n: int, state: str) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": f"PJSIP/carrier-{n:08x}",
        "state": state,
        "protocol_id": f"1-{n}@127.0.0.2",
        "caller": {"name": "Bench", "number": f"+48601{n:06d}"},
        "connected": {"name": "", "number": ""},
        "accountcode": "",
        "dialplan": {
            "context": "from-trunk",
            "exten": NUMBER,
            "priority": 2,
            "app_name": "Stasis",
            "app_data": f"{APP},inbound,{NUMBER}",
        },
        "creationtime": stamp(),
        "language": "en",
    }


class ScriptedAsterisk:
    """ARI's event websocket for the light call; see the module's docstring."""

    def __init__(self) -> None:
        self.live: dict[str, dict[str, Any]] = {}  # channel id -> its JSON
        self.unknown: dict[str, int] = {}
        self.disallowed: set[str] = set()  # event types the app asked not to get (its event filter)
        self.ws: Any = None
        self.connected = asyncio.Event()
        self._sending: set[asyncio.Task[None]] = set()  # events sent later (held: the loop keeps weak refs)

    def events(self, kind: str, **fields: Any) -> list[str]:
        """The event as Asterisk would send it, or nothing if the app's filter disallows it."""
        if kind in self.disallowed:
            return []
        return [self.event(kind, **fields)]

    def event(self, kind: str, **fields: Any) -> str:
        return json.dumps(
            {"type": kind, "timestamp": stamp(), **fields, "asterisk_id": "02:fc:00:00:00:01", "application": APP}
        )

    async def serve(self, ws: Any) -> None:
        """A socket: the app's own, which gets the events, or a spare one (ARI_SPARE_SOCKETS),
        which gets only the answers to its requests; their events go to the app's socket."""
        if parse_qs(urlsplit(ws.request.path).query).get("app") == [APP]:
            self.ws = ws
            self.connected.set()
        async for raw in ws:
            before, reply, after = self.answer(json.loads(raw))
            for event in before:
                await self._send(event)
            await ws.send(reply)
            for event in after:
                await self._send(event)

    def plain_http(self, connection: Any, request: Any) -> Any:
        """A request over HTTP, not the socket (the app sends a few: listings of recordings):
        an empty list, as Asterisk with nothing to list."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        key = f"HTTP {request.path.split('?')[0]}"
        self.unknown[key] = self.unknown.get(key, 0) + 1
        return connection.respond(HTTPStatus.OK, "[]")

    def answer(self, request: dict[str, Any]) -> tuple[list[str], str, list[str]]:
        """What Asterisk sends for one RESTRequest: the events before its answer, the answer,
        and the events after it."""
        method, uri = request["method"], request["uri"]
        parts = uri.split("/")
        before: list[str] = []
        after: list[str] = []
        status, body = 200, cast(Any, None)
        if parts[0] == "applications":
            if parts[-1] == "eventFilter" and method == "PUT":
                filters = json.loads(request.get("message_body") or "{}").get("disallowed") or []
                self.disallowed = {str(f.get("type")) for f in filters}
            body = {"name": APP, "channel_ids": list(self.live), "bridge_ids": [], "endpoint_ids": []}
            body |= {"device_names": [], "events_allowed": [], "events_disallowed": []}
        elif uri == "channels" and method == "GET":
            body = list(self.live.values())
        elif uri in ("bridges", "endpoints/PJSIP") and method == "GET":
            body = []
        elif parts[0] == "channels" and len(parts) == 3 and parts[2] == "answer":
            status = 204
            data = self.live.get(parts[1])
            if data is not None:
                data["state"] = "Up"
                before += self.events("ChannelStateChange", channel=data)
        elif parts[0] == "channels" and len(parts) == 4 and parts[2] == "play":
            status = 201
            body = {"id": parts[3], "media_uri": _query(request, "media"), "target_uri": f"channel:{parts[1]}"}
            body |= {"language": "en", "state": "playing"}
            after += self.events("PlaybackStarted", playback=body)
            for finished in self.events("PlaybackFinished", playback={**body, "state": "done"}):
                self._later(PLAY_SECONDS, finished)
        elif parts[0] == "channels" and len(parts) == 2 and method == "DELETE":
            status = 204
            data = self.live.pop(parts[1], None)
            if data is not None:
                after += self.events("ChannelHangupRequest", cause=32, soft=True, channel=data)
                after += self.events("StasisEnd", channel=data)
        else:
            key = f"{method} {'/'.join(p if not p[:1].isdigit() else '…' for p in parts)}"
            self.unknown[key] = self.unknown.get(key, 0) + 1
        reply: dict[str, Any] = {"type": "RESTResponse", "transaction_id": request["transaction_id"]}
        reply |= {"request_id": request["request_id"], "status_code": status, "uri": uri}
        if body is not None:
            reply |= {"content_type": "application/json", "message_body": json.dumps(body)}
        return before, json.dumps(reply), after

    def _later(self, seconds: float, message: str) -> None:
        asyncio.get_running_loop().call_later(seconds, self._send_soon, message)

    def _send_soon(self, message: str) -> None:
        task = asyncio.ensure_future(self._send(message))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, message: str) -> None:
        if self.ws is not None:
            await self.ws.send(message)

    async def start_call(self, n: int) -> None:
        channel_id = f"{1796300000 + n}.{n}"
        data = channel(channel_id, n, "Ring")
        self.live[channel_id] = data
        await self._send(self.event("StasisStart", args=["inbound", NUMBER], channel=data))


def _query(request: dict[str, Any], name: str) -> str:
    for pair in request.get("query_strings") or []:
        if pair.get("name") == name:
            return str(pair.get("value", ""))
    return ""


def configure() -> None:
    """The light call's number: 3 s of silence, then the PBX hangs up; nothing recorded (run in
    a process of its own per database, `--configure`, after that checkout's migrations)."""
    import django

    django.setup()
    from django.db import connection

    from company_numbers.models import CompanyNumber
    from pbx.models import Destination, Prompt, Scenario

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE pbx_call, numbers_companynumber, pbx_scenario, pbx_destination CASCADE")
    silence = Prompt.objects.get_or_create(name="Trzy sekundy", sound="silence/3")[0]
    bye = Destination.objects.create(name="Koniec", kind="hangup")
    three = Destination.objects.create(name="Komunikat", kind="announcement", prompt=silence, then=bye)
    CompanyNumber.objects.create(e164=NUMBER, scenario=Scenario.objects.create(name="Lekki", when_open=three))


@dataclass
class App:
    """One checkout's Stasis app, its database and its scripted Asterisk."""

    label: str
    checkout: Path
    database: str
    asterisk: ScriptedAsterisk = field(default_factory=ScriptedAsterisk)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = Path()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.database}"

    def prepare(self) -> None:
        """A database of its own, migrated by the checkout's own code, holding the light call."""
        create_database(self.database)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": self.url}
        manage = [sys.executable, str(self.checkout / "manage.py")]
        subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=self.checkout, env=env, check=True)
        subprocess.run([sys.executable, __file__, "--configure"], cwd=ROOT, env=env, check=True)

    def start(self) -> None:
        """`manage.py stasis` against the scripted Asterisk listening on `port`."""
        self.log_path = Path(tempfile.mkstemp(prefix=f"centrala-bench-app-{self.label}-", suffix=".log")[1])
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.url,
            "ARI_URL": f"http://127.0.0.1:{self.port}/ari",
            "ARI_USER": "bench",
            "ARI_PASSWORD": secrets.token_hex(8),
            "ARI_APP": APP,
            "CENTRALA_SPOOL_DIR": tempfile.mkdtemp(prefix="centrala-bench-app-spool-"),
            "ASTERISK_RECORDING_DIR": "",
            "LOG_LEVEL": "INFO",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_hex(32),
        }
        with self.log_path.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "stasis"],
                cwd=self.checkout,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)

    def ended_in_history(self) -> int:
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT count(*) FROM pbx_call WHERE ended_at IS NOT NULL").fetchone()
            return int(row[0]) if row else 0

    def report_problems(self) -> None:
        problems = [line for line in self.log_path.read_text().splitlines() if " ERROR " in line or " WARNING " in line]
        print(f"{self.label}: Stasis app log {self.log_path} ({len(problems)} warnings and errors)")
        for line in problems[:5]:
            print("  " + line[:200])
        if self.asterisk.unknown:
            print(f"  requests the script answers 200 with nothing in particular: {self.asterisk.unknown}")


@dataclass
class Run:
    app: str
    calls: int
    written: int
    cpu: float  # the app's CPU seconds from the first start until the history has every end
    idle: float  # its CPU seconds idle, over as long


async def one_run(app: App, rate: int, seconds: int, first: int) -> Run:
    assert app.process is not None
    pid, asterisk, calls = app.process.pid, app.asterisk, rate * seconds
    before_history = await asyncio.to_thread(app.ended_in_history)
    idle_from = cpu_seconds(pid)
    await asyncio.sleep(seconds + PLAY_SECONDS)
    idle = cpu_seconds(pid) - idle_from
    started_at, cpu_from = time.monotonic(), cpu_seconds(pid)
    for n in range(calls):
        await asyncio.sleep(max(0.0, started_at + n / rate - time.monotonic()))
        await asterisk.start_call(first + n)
    deadline = time.monotonic() + PLAY_SECONDS + 60
    written = 0
    while time.monotonic() < deadline:
        written = await asyncio.to_thread(app.ended_in_history) - before_history
        if written >= calls and not asterisk.live:
            break
        await asyncio.sleep(0.05)
    took = time.monotonic() - started_at
    cpu = cpu_seconds(pid) - cpu_from
    return Run(app.label, calls, written, cpu, idle * took / (seconds + PLAY_SECONDS))


async def serve_runs(apps: list[App], rate: int, seconds: int, runs: int) -> list[Run]:
    """`runs` rounds; in each, every app's run in turn (the others idle), so a machine whose speed
    drifts over minutes drifts alike for all of them."""
    from websockets.asyncio.server import serve

    async with contextlib.AsyncExitStack() as servers:
        for app in apps:
            app.port = free_port()
            await servers.enter_async_context(
                serve(
                    app.asterisk.serve,
                    "127.0.0.1",
                    app.port,
                    max_size=None,
                    compression=None,  # as Asterisk, which offers no permessage-deflate
                    process_request=app.asterisk.plain_http,
                )
            )
            await asyncio.to_thread(app.start)
        for app in apps:
            await asyncio.wait_for(app.asterisk.connected.wait(), 60)
        await asyncio.sleep(3)  # reconciled, history swept
        results = []
        for round_ in range(runs):
            for app in apps:
                results.append(await one_run(app, rate, seconds, first=round_ * rate * seconds))
        return results


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=100, help="light calls per second")
    parser.add_argument("--seconds", type=int, default=20, help="seconds of calls in each run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each app, one after another")
    parser.add_argument(
        "--against", type=Path, help="another checkout (a git worktree) whose app runs in turn with this one's"
    )
    parser.add_argument("--configure", action="store_true", help=argparse.SUPPRESS)  # prepare()'s second step
    args = parser.parse_args()
    if args.configure:
        configure()
        return
    apps = [App("this", ROOT, DATABASE)]
    if args.against is not None:
        apps.append(App("against", args.against.resolve(), DATABASE + "_against"))
    for app in apps:
        app.prepare()
    try:
        results = asyncio.run(serve_runs(apps, args.rate, args.seconds, args.runs))
    finally:
        for app in apps:
            app.stop()
    for app in apps:
        app.report_problems()
    print(f"\nThe Stasis app alone, {args.rate} light calls/s for {args.seconds} s, against a scripted Asterisk:")
    if args.against is not None:
        print(f"(this: {ROOT}; against: {args.against.resolve()}; runs alternate)")
    print("app      calls  ended in history  app CPU  per call  idle CPU over as long  per call, idle taken off")
    for r in results:
        print(
            f"{r.app:7}  {r.calls:5}  {r.written:16}  {r.cpu:6.2f} s  {1000 * r.cpu / r.calls:5.2f} ms"
            f"  {r.idle:20.2f} s  {1000 * (r.cpu - r.idle) / r.calls:5.2f} ms"
        )
    for app in apps:
        mine = sorted(1000 * r.cpu / r.calls for r in results if r.app == app.label)
        print(f"{app.label}: median {mine[len(mine) // 2]:.2f} ms of CPU per call over {len(mine)} runs")


if __name__ == "__main__":
    main()
