"""A call's worker (pbx/stasis/worker.py): what it asks of the pump for each step, and what a
failed action leaves out. No Asterisk, no database."""

from __future__ import annotations

import asyncio

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import scenario as s
from pbx.callflow.call import Call
from pbx.stasis.worker import CallWorker
from tests.callflow.fixtures import CHANNEL, GREETING, KEY, OFFICE, SALES, T0, channel, directory, office_hours


class Pump:
    """Stands in for the Stasis app: logs what the worker asks; `fail` names actions that fail."""

    stopping = False

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        self.fail = fail
        self.log: list[str] = []

    def record(self, call: Call, fact: c.Fact) -> None:
        self.log.append(f"fact {type(fact).__name__}")

    async def execute(self, worker: CallWorker, command: c.Command) -> bool:
        self.log.append(type(command).__name__)
        return type(command).__name__ not in self.fail

    async def answer_and_play(self, worker: CallWorker, answer: c.Answer, play: c.Play) -> bool:
        self.log.append(f"Answer+Play {play.media}")
        return not {"Answer", "Play"} & self.fail


def first_step(pump: Pump, first: int = GREETING) -> list[str]:
    """What the worker asks for on a caller's StasisStart in office hours, when the number's
    first destination is `first`."""
    call = Call(KEY, CHANNEL, directory(numbers={OFFICE: s.NumberPlan(OFFICE, schedule=office_hours(), open=first)}))
    worker = CallWorker(call, pump)
    start = e.StasisStart(at=T0, channel_id=CHANNEL, channel=channel(), args=("inbound", OFFICE))
    asyncio.run(worker._run_step(start))
    return pump.log


def test_the_greeting_leaves_with_the_answer():
    # the fact between the two (the step's start) is written after both are sent
    assert first_step(Pump()) == ["fact CallStarted", "fact CallStep", "Answer+Play sound:hello-world", "fact CallStep"]


def test_an_answer_followed_by_anything_but_a_play_is_asked_for_alone():
    log = first_step(Pump(), SALES)  # a queue: the caller hears music on hold
    assert log[log.index("Answer") + 1] == "StartMoh"
    assert not any(entry.startswith("Answer+Play") for entry in log)


def test_when_the_answer_or_the_greeting_fails_no_other_action_follows_in_that_step():
    for failing in ("Answer", "Play"):
        log = first_step(Pump(fail=frozenset({failing})))
        assert log == ["fact CallStarted", "fact CallStep", "Answer+Play sound:hello-world", "fact CallStep"]
    log = first_step(Pump(fail=frozenset({"Answer"})), SALES)
    assert "StartMoh" not in log and "StartTimer" not in log  # nothing more on the caller's channel
