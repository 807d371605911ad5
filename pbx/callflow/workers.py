"""Which calls several Stasis processes may share (STASIS_WORKERS, docs/architecture.md).

Everything that looks across calls lives in the memory of one process: the order of callers
in a queue and their place, who is free to be rung, pickup and parking, attended transfers,
click-to-call, the toll-fraud counters of outside calls, wrong-PIN lockouts. So every call
that may ring a person, a queue or an outside number, and every staff phone's own call, is
served by the first worker. The others serve only calls that never meet another call: a
number whose every entry (open, closed, holiday) leads only through messages, menus,
voicemail and callback offers. Such calls are what a flood is made of (an advert, a
contest, an after-hours line), and their work is what splitting spreads.

Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from . import scenario as s


@dataclass(frozen=True)
class Worker:
    """Stasis worker `number` of `of` (STASIS_WORKERS)."""

    number: int = 1
    of: int = 1

    @property
    def first(self) -> bool:
        return self.number == 1

    @property
    def others(self) -> range:
        """The workers whose calls are not the first's: what the first leaves alone when it
        closes lost calls and stores left recordings. A call of a worker no longer configured
        (STASIS_WORKERS lowered) is the first's."""
        return range(2, self.of + 1)


SOLE = Worker()  # one process serving every call (STASIS_WORKERS=1)

# Destinations that stay within their own call; any other kind (ringing staff, a queue, an
# outside number, or a kind added later) needs the first worker.
_OWN_CALL_ONLY = (s.Announcement, s.Menu, s.Voicemail, s.CallbackOffer, s.HangUp)


def _next(dest: s.Destination) -> list[s.DestId | None]:
    match dest:
        case s.Announcement(next=after):
            return [after]
        case s.Menu(options=options, fallback=fallback):
            return [*options.values(), fallback]
        case s.CallbackOffer(otherwise=otherwise):
            return [otherwise]
    return []


def stays_in_own_call(directory: s.Directory, start: s.DestId | None) -> bool:
    """Whether every path from `start` stays within the call (no one rung, no queue)."""
    seen: set[s.DestId] = set()
    todo = [start]
    while todo:
        dest_id = todo.pop()
        if dest_id is None or dest_id in seen:
            continue
        seen.add(dest_id)
        dest = directory.destinations.get(dest_id)
        if dest is None:
            continue  # the call hangs up there
        if not isinstance(dest, _OWN_CALL_ONLY):
            return False
        todo.extend(_next(dest))
    return True


def shared_numbers(directory: s.Directory) -> list[str]:
    """The numbers (E.164) whose calls any worker may serve, sorted."""
    return sorted(number for number, plan in directory.numbers.items() if shareable(directory, plan))


def shareable(directory: s.Directory, plan: s.NumberPlan) -> bool:
    return all(stays_in_own_call(directory, entry) for entry in (plan.open, plan.closed, plan.holiday))


def serves_here(directory: s.Directory, worker: Worker, args: tuple[str, ...], exten: str) -> bool:
    """Whether a call entering `worker` with these Stasis arguments is its to serve. The first
    serves every call; another only an inbound call to a shareable number (the dialplan sends
    it only those, but a number changed since Asterisk's last reload may still come)."""
    if worker.first:
        return True
    if args[:1] != ("inbound",) or len(args) != 2:
        return False
    plan = directory.plan_for(args[1] or exten)
    return plan is None or shareable(directory, plan)  # not a number of ours: refused anywhere
