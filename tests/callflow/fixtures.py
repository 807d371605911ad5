"""Plain ARI-shaped events and a small office configuration for call-flow scenarios: no
Asterisk, no loop, no database. Time is a value: T0 is a Monday 10:00 in Warsaw."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from pbx.callflow import commands as c
from pbx.callflow import events as e
from pbx.callflow import names
from pbx.callflow import scenario as s
from pbx.callflow.call import Call

C = TypeVar("C", bound=c.Command)

CHANNEL = "1700000000.1"
KEY = "call-1"
OFFICE = "+48221234567"
CUSTOMER = "+48601234567"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw
HOLIDAY = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)  # Independence Day, a Wednesday
NIGHT = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # Monday 21:00 in Warsaw

# destination ids
GREETING, MENU, SALES, RECEPTION, VOICEMAIL, CLOSED, OFFER, HOLIDAY_MSG, MOBILE_FWD, ROTA_Q = range(1, 11)


def at(seconds: float, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)


def office_hours() -> s.Schedule:
    return s.Schedule(
        intervals=tuple(s.Interval(day, time(8), time(16)) for day in range(5)),
        holidays={date(2026, 11, 11): "Narodowe Święto Niepodległości"},
        closures={date(2026, 11, 27): "Wyjazd integracyjny"},
    )


def directory(schedule: s.Schedule | None = None, **overrides: object) -> s.Directory:
    destinations: dict[int, s.Destination] = {
        GREETING: s.Announcement("sound:hello-world", next=MENU),
        MENU: s.Menu(
            "sound:demo-moreinfo",
            options={"1": SALES, "2": RECEPTION, "0": VOICEMAIL},
            timeout_seconds=5,
            retries=1,
            fallback=SALES,
        ),
        SALES: s.RingQueue(
            "Sprzedaż",
            "ring_all",
            members=("101", "102"),
            member_ring_seconds=15,
            max_wait_seconds=45,
            overflow=VOICEMAIL,
        ),
        RECEPTION: s.RingExtension("103", ring_seconds=20, no_answer=SALES),
        VOICEMAIL: s.Voicemail("sound:vm-intro", max_seconds=60),
        CLOSED: s.Announcement("sound:please-try-call-later", next=OFFER),
        OFFER: s.CallbackOffer("sound:to-call-this-number", otherwise=VOICEMAIL),
        HOLIDAY_MSG: s.Announcement("sound:holiday-closed", next=None),
        MOBILE_FWD: s.ExternalNumber("+48601000999", ring_seconds=25),
        ROTA_Q: s.RingQueue("Dyżur", "rota", member_ring_seconds=15, max_wait_seconds=30),
    }
    plan = s.NumberPlan(OFFICE, schedule=schedule or office_hours(), open=GREETING, closed=CLOSED, holiday=HOLIDAY_MSG)
    people = {
        "101": s.Person("101", "Anna", mobile="+48601000101", caller_id=OFFICE),
        "102": s.Person("102", "Piotr", mobile="+48601000102", caller_id=OFFICE),
        "103": s.Person("103", "Recepcja", caller_id=OFFICE),
    }
    rota = s.Rota(weekly=(s.WeeklyDuty("102", 0, time(0), time(23, 59)),))
    values: dict[str, object] = {
        "numbers": {OFFICE: plan},
        "destinations": destinations,
        "people": people,
        "rota": rota,
        "main_number": OFFICE,
    }
    values.update(overrides)
    return s.Directory(**values)  # type: ignore[arg-type]


def channel(caller: str = "601234567", state: str = "Ring", exten: str = OFFICE) -> e.Channel:
    return e.Channel(
        id=CHANNEL,
        name="PJSIP/carrier-1",
        state=state,
        caller_number=caller,
        caller_name="",
        exten=exten,
        sip_call_id="abc@127.0.0.2",
    )


def phone_channel(extension: str = "101", state: str = "Ring", exten: str = "", name: str = "") -> e.Channel:
    """A staff phone's channel: a call the phone starts, or click-to-call's first half."""
    return e.Channel(
        id=CHANNEL,
        name=f"PJSIP/{extension}-1",
        state=state,
        caller_number=extension,
        caller_name=name,
        exten=exten,
        sip_call_id="x",
    )


class Driver:
    """Feeds a Call and keeps what it asked for, so tests read as a conversation."""

    made: list[Driver] = []  # every driver of the running test (conftest checks their requests)

    def __init__(
        self,
        directory: s.Directory | None = None,
        presence: dict[str, bool] | None = None,
        places: Callable[[str, str], int] | None = None,
    ) -> None:
        self.call = Call(KEY, CHANNEL, directory or globals()["directory"](), presence, places=places)
        self.out: list[c.Command] = []
        self.exchanges: list[tuple[e.Event, list[c.Command]]] = []
        Driver.made.append(self)

    def send(self, event: e.Event) -> list[c.Command]:
        commands = self.call.receive(event)
        self.out += commands
        self.exchanges.append((event, commands))
        return commands

    def asked_twice(self) -> list[str]:
        """Channels asked to hang up, and bridges to be destroyed, a second time while the
        first request had not failed: a request Asterisk can only answer "not found". A phone
        that answered just as it was told to stop ringing (its StasisStart came after) is asked
        again on purpose: a staff phone is never left open on nobody."""
        asked: set[str] = set()
        twice: list[str] = []
        for event, commands in self.exchanges:
            if isinstance(event, e.CommandFailed | e.StasisStart):
                asked.discard(event.channel_id)
            for command in commands:
                if isinstance(command, c.Hangup):
                    name = command.channel_id
                elif isinstance(command, c.DestroyBridge):
                    name = f"bridge {command.bridge_id}"
                else:
                    continue
                if name in asked:
                    twice.append(f"{type(command).__name__} {name} after {type(event).__name__}")
                asked.add(name)
        return twice

    def start(
        self,
        when: datetime = T0,
        dialled: str = OFFICE,
        kind: str = "inbound",
        caller: str = "601234567",
        state: str = "Ring",
    ) -> list[c.Command]:
        args = ("internal", "1", dialled) if kind == "internal" else (kind, dialled)  # as the dialplan writes them
        return self.send(e.StasisStart(at=when, channel_id=CHANNEL, channel=channel(caller, state, dialled), args=args))

    def last_play(self) -> c.Play:
        return [x for x in self.out if isinstance(x, c.Play)][-1]

    def finish_playback(self, when: datetime) -> list[c.Command]:
        return self.send(
            e.PlaybackFinished(at=when, channel_id=CHANNEL, playback_id=self.last_play().playback_id, failed=False)
        )

    def last_timer(self, purpose: str) -> c.StartTimer:
        return [x for x in self.out if isinstance(x, c.StartTimer) and x.name.startswith(purpose)][-1]

    def fire(self, purpose: str, when: datetime) -> list[c.Command]:
        return self.send(e.TimerFired(at=when, channel_id=CHANNEL, name=self.last_timer(purpose).name))

    def press(self, digit: str, when: datetime) -> list[c.Command]:
        return self.send(e.ChannelDtmfReceived(at=when, channel_id=CHANNEL, digit=digit))

    def originated(self) -> list[c.Originate]:
        return [x for x in self.out if isinstance(x, c.Originate)]

    def leg_for(self, label: str) -> str:
        return [x.channel_id for x in self.originated() if self.call.legs[x.channel_id] == label][-1]

    def answer_leg(self, label: str, when: datetime) -> list[c.Command]:
        leg = self.leg_for(label)
        ch = e.Channel(id=leg, name="PJSIP/x", state="Up", caller_number="", caller_name="", exten="", sip_call_id="")
        return self.send(e.StasisStart(at=when, channel_id=leg, channel=ch, args=("leg", KEY)))

    def listener_enters(self, when: datetime) -> list[c.Command]:
        """The snoop channel recording the conversation enters Stasis (after a Listen)."""
        listener = names.listener(self.call.key)
        ch = e.Channel(
            listener, f"Snoop/{CHANNEL}-1", state="Up", caller_number="", caller_name="", exten="", sip_call_id=""
        )
        return self.send(e.StasisStart(at=when, channel_id=listener, channel=ch, args=("listener",)))

    def fail_leg(self, label: str, when: datetime, cause: int = 17) -> list[c.Command]:
        return self.send(e.ChannelDestroyed(at=when, channel_id=self.leg_for(label), cause=cause, cause_text="x"))

    def hang_up_caller(self, when: datetime, cause: int = 16) -> list[c.Command]:
        return [
            *self.send(e.ChannelHangupRequest(at=when, channel_id=CHANNEL, cause=cause)),
            *self.send(e.StasisEnd(at=when, channel_id=CHANNEL)),
        ]

    def steps(self) -> list[str]:
        return [x.kind for x in self.out if isinstance(x, c.CallStep)]

    def facts(self, kind: type[C]) -> list[C]:
        return [x for x in self.out if isinstance(x, kind)]
