"""What Asterisk 22 really sends: the messages of one call to the demo message line (greeting,
3 s recorded), captured from the sandbox with ARI_LOG_EVENTS=1 (tests/ari/captured/, one raw
message per line, as received: the endpoint subscription's duplicates, the REST responses
riding the socket and all). They go through the real reader into the real call flow."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from pbx.ari.stream import EventStream
from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import Call

from .test_stream import collect, no_wait_backoff

CAPTURED = Path(__file__).parent / "captured" / "message_line_call.jsonl"
RAW = CAPTURED.read_text().splitlines()
KEY = "e80b45df-6cee-4d4d-a782-acbb8656b0f9"  # the call's key when it was captured (playback and recording names)
CALLER_CHANNEL = "1796149042.0"
LINE = "+48221234568"


def parsed() -> list[e.Event]:
    return [e.parse_event(json.loads(raw)) for raw in RAW if json.loads(raw)["type"] != "RESTResponse"]


def test_every_captured_message_parses_and_the_ones_calls_need_are_typed():
    events = parsed()
    typed = {type(event).__name__ for event in events if not isinstance(event, e.Unhandled)}
    assert typed >= {
        "StasisStart",
        "ChannelStateChange",
        "PlaybackFinished",
        "RecordingFinished",
        "ChannelHangupRequest",
        "StasisEnd",
        "ChannelDestroyed",
        "EndpointStateChange",
    }
    [start] = [event for event in events if isinstance(event, e.StasisStart)]
    assert (start.args, start.channel.caller_number, start.channel.exten) == (("inbound", LINE), "+48601234567", LINE)
    assert start.channel.sip_call_id  # the carrier's Call-ID, for the history


def test_the_reader_hands_on_each_real_event_once_though_asterisk_sent_some_twice():
    async def handler(ws: ServerConnection) -> None:
        for raw in RAW:
            await ws.send(raw)
        await ws.wait_closed()

    expected = len({raw for raw in RAW if json.loads(raw)["type"] != "RESTResponse"})

    async def main() -> list[e.Event]:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            stream = EventStream(f"ws://127.0.0.1:{port}/ari/events?app=t", "u", "p", backoff=no_wait_backoff())
            return await collect(stream, expected)

    received = asyncio.run(main())
    assert len(received) == expected < len([r for r in RAW if json.loads(r)["type"] != "RESTResponse"])


def test_the_captured_call_replayed_into_the_core_leaves_the_same_message_as_live():
    line: dict[int, s.Destination] = {
        1: s.Announcement("sound:hello-world", next=2),
        2: s.Voicemail(prompt="", max_seconds=3, beep=False),
    }
    call = Call(KEY, CALLER_CHANNEL, s.Directory(numbers={LINE: s.NumberPlan(LINE, open=1)}, destinations=line))
    out: list[c.Command] = []
    for raw in dict.fromkeys(RAW):  # the reader drops repeats; so does this replay
        message = json.loads(raw)
        if message["type"] == "RESTResponse":
            continue
        event = e.parse_event(message)
        if event.channel_id in (CALLER_CHANNEL, f"bridge:{KEY}-bridge"):
            out += call.receive(event)
    assert c.Play(CALLER_CHANNEL, playback_id=f"{KEY}-p1", media="sound:hello-world") in out
    assert c.Record(CALLER_CHANNEL, name=f"{KEY}-voicemail", fmt="wav", max_seconds=3, beep=False) in out
    [ready] = [x for x in out if isinstance(x, c.RecordingReady)]
    [ended] = [x for x in out if isinstance(x, c.CallEnded)]
    assert (ready.name, ready.kind) == (f"{KEY}-voicemail", "voicemail")
    assert (ended.outcome, ended.cause, ended.hung_up_by) == ("voicemail", 16, "centrala")
    assert call.finished
