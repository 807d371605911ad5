"""How many light calls per second Asterisk's ARI itself sustains, without Centrala: a minimal
Stasis handler (answer, play 3 s of silence, hang up; no database, no call logic) sends its
requests over HTTP, over the event websocket (REST over WebSocket, Asterisk 22.4+), or both
("hybrid": the answer over HTTP, the rest over the socket). Beside it, the same call in plain
dialplan. It shows what the transport costs, apart from the app's own work: the reason the
Stasis app sends its requests over the socket (docs/benchmark.md).

    python bench/ari_transport.py [--modes http,socket,hybrid,dialplan] [--rates 100,200] [--seconds 6]

Runs in the private "bench" sandbox instance, on loopback, with a fixed number of calls per
step. Prints, per step: calls completed and failed, INVITE-to-200 median and 95th percentile,
Asterisk's and the handler's CPU, and each request's median and 95th percentile time.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import calls as bc  # noqa: E402  (after the path is set)

PARALLEL_HTTP = 40  # as the Stasis app's client


async def handle(mode: str, seconds: float) -> None:
    """Handle every call of the bench app for `seconds`; print what each request took."""
    import httpx
    from websockets.asyncio.client import connect

    url, user, password, app = (os.environ[k] for k in ("ARI_URL", "ARI_USER", "ARI_PASSWORD", "ARI_APP"))
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    events = url.replace("http://", "ws://", 1) + f"/events?app={app}&subscribeAll=false"
    limits = httpx.Limits(max_connections=PARALLEL_HTTP, max_keepalive_connections=PARALLEL_HTTP)
    http = httpx.AsyncClient(base_url=url + "/", auth=(user, password), limits=limits, timeout=10)
    slots = asyncio.Semaphore(PARALLEL_HTTP)
    waiting: dict[str, asyncio.Future[dict[str, object]]] = {}
    ids = itertools.count()
    took: dict[str, list[float]] = {}
    counts = {"calls": 0, "hung up": 0, "errors": 0}
    tasks: set[asyncio.Task[None]] = set()
    async with connect(
        events, additional_headers={"Authorization": f"Basic {token}"}, max_size=None, ping_interval=None
    ) as ws:

        async def request(what: str, method: str, uri: str) -> None:
            started = time.monotonic()
            if mode == "http" or (mode == "hybrid" and what == "answer"):
                async with slots:
                    status = (await http.request(method, uri)).status_code
            else:
                rid = f"r{next(ids)}"
                waiting[rid] = asyncio.get_running_loop().create_future()
                await ws.send(
                    json.dumps(
                        {"type": "RESTRequest", "transaction_id": rid, "request_id": rid, "method": method, "uri": uri}
                    )
                )
                status = int((await waiting[rid])["status_code"])  # type: ignore[call-overload]
            took.setdefault(what, []).append(time.monotonic() - started)
            counts["errors"] += status >= 300

        async def greet(channel: str) -> None:
            await request("answer", "POST", f"channels/{channel}/answer")
            await request("play", "POST", f"channels/{channel}/play/pb-{channel}?media=sound:silence/3")

        async def hang_up(channel: str) -> None:
            await request("hang up", "DELETE", f"channels/{channel}")
            counts["hung up"] += 1

        def spawn(work: Coroutine[Any, Any, None]) -> None:
            task = asyncio.ensure_future(work)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 1))
            except TimeoutError:
                continue
            kind = message.get("type")
            if kind == "RESTResponse":
                future = waiting.pop(message["request_id"], None)
                if future is not None:
                    future.set_result(message)
            elif kind == "StasisStart":
                counts["calls"] += 1
                spawn(greet(message["channel"]["id"]))
            elif kind == "PlaybackFinished":
                spawn(hang_up(message["playback"]["target_uri"].split(":", 1)[1]))
    await http.aclose()
    print(json.dumps({"counts": counts, "took": {k: sorted(v) for k, v in took.items()}}))


def run_step(mode: str, rate: int, seconds: int, root: Path) -> str:
    if mode == "dialplan":
        step = bc.run_calls("light", "dialplan", bc.LIGHT_BASELINE_NUMBER, rate, seconds, os.getpid(), root)
        return _line(mode, rate, step, "")
    out = Path(os.environ["CENTRALA_MEDIA_ROOT"]) / f"handler-{mode}-{rate}.json"
    step = bc.handler_step(mode, mode, bc.LIGHT_NUMBER, rate, seconds, root, out=out)
    result = json.loads(out.read_text().strip().splitlines()[-1])
    requests = "; ".join(
        f"{what} {'/'.join(map(_ms, bc.median_and_p95(t)))}" for what, t in result["took"].items() if t
    )
    return _line(mode, rate, step, requests)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _line(mode: str, rate: int, step: bc.Step, requests: str) -> str:
    cpu = f"{step.cpu_percent:.0f} %" if mode != "dialplan" else "-"
    setup = f"{step.median_ms:>11.1f} ms{step.p95_ms:>7.0f} ms"
    load = f"{step.asterisk_cpu:>11.0f} %{cpu:>9}"
    return f"{mode:<9}{rate:>6}{step.calls:>7}{step.ok:>6}{step.failed:>7}{setup}{load}   {requests}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="http,socket,hybrid,dialplan")
    parser.add_argument("--rates", default="100,200")
    parser.add_argument("--seconds", type=int, default=6, help="seconds of calls at each rate")
    parser.add_argument("--handle", help=argparse.SUPPRESS)  # internal: run the handler only
    args = parser.parse_args()
    if args.handle:
        asyncio.run(handle(args.handle, args.seconds))
        return
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - {"http", "socket", "hybrid", "dialplan"}
    if unknown:
        raise SystemExit(f"unknown mode(s) {', '.join(sorted(unknown))}: use http, socket, hybrid, dialplan")
    _, root = bc.start_instance(bc.environment(over_ari=False))
    print(
        f"\n{'mode':<9}{'rate/s':>6}{'calls':>7}{'ok':>6}{'failed':>7}{'INVITE→200':>14}{'p95':>10}"
        f"{'Asterisk':>13}{'handler':>9}   request median/p95 ms"
    )
    try:
        for rate in [int(r) for r in args.rates.split(",") if r]:
            for mode in modes:
                print(run_step(mode, rate, args.seconds, root), flush=True)
                time.sleep(4)  # the step's last calls end (3 s) before the next begins
    finally:
        bc.sandbox("stop", "bench")


if __name__ == "__main__":
    main()
