"""Find what would strand or loop a caller, before any caller meets it.

A loop is a cycle the call can go round without the caller doing anything (announcement ->
queue overflow -> announcement...). A cycle through a menu key is fine: the caller chose it.
A dead end is a reference to a destination that does not exist, a menu with no options, or a
ringing step with nobody to ring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from . import scenario as s


@dataclass(frozen=True)
class Problem:
    """`message` in English (logs, commands); `code` and `params` let the admin say it in the
    office's language (pbx/configuration.py)."""

    where: str
    message: str
    code: str = field(default="", compare=False)
    params: Mapping[str, str] = field(default_factory=dict, compare=False)


def automatic_next(dest: s.Destination) -> list[s.DestId]:
    """Where a destination leads without the caller choosing."""
    match dest:
        case s.Announcement(next=n) | s.RingExtension(no_answer=n) | s.RingQueue(overflow=n):
            return [n] if n is not None else []
        case s.Menu(fallback=n) | s.CallbackOffer(otherwise=n) | s.ExternalNumber(no_answer=n):
            return [n] if n is not None else []
    return []


def chosen_next(dest: s.Destination) -> list[s.DestId]:
    return list(dest.options.values()) if isinstance(dest, s.Menu) else []


def check(directory: s.Directory, names: Mapping[s.DestId, str] | None = None) -> list[Problem]:
    """Every problem in the configuration, each named for the office manager."""
    names = names or {}

    def name(dest_id: s.DestId) -> str:
        return names.get(dest_id, f"destination #{dest_id}")

    problems = list(_dangling(directory, name))
    problems += _loops(directory.destinations, name)
    problems += list(_empty(directory, name))
    for number, plan in directory.numbers.items():
        if plan.open is None:
            problems.append(Problem(number, "has no scenario: callers hear 'not in service'", "no_scenario"))
    return problems


def _dangling(directory: s.Directory, name: Callable[[s.DestId], str]) -> Iterator[Problem]:
    for dest_id, dest in directory.destinations.items():
        for target in automatic_next(dest) + chosen_next(dest):
            if target not in directory.destinations:
                yield Problem(
                    name(dest_id),
                    f"leads to {name(target)}, which does not exist",
                    "leads_nowhere",
                    {"target": name(target)},
                )
    for number, plan in directory.numbers.items():
        for entry in (plan.open, plan.closed, plan.holiday):
            if entry is not None and entry not in directory.destinations:
                yield Problem(
                    number, f"starts at {name(entry)}, which does not exist", "starts_nowhere", {"target": name(entry)}
                )


def _loops(destinations: Mapping[s.DestId, s.Destination], name: Callable[[s.DestId], str]) -> list[Problem]:
    reported: set[frozenset[s.DestId]] = set()
    problems = []
    for start in destinations:
        path: list[s.DestId] = []
        current: s.DestId | None = start
        while current is not None and current in destinations and current not in path:
            path.append(current)
            following = automatic_next(destinations[current])
            current = following[0] if following else None
        if current is not None and current in path:
            cycle = path[path.index(current) :]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                route = " → ".join(name(d) for d in [*cycle, cycle[0]])
                problems.append(
                    Problem(name(cycle[0]), f"loops without the caller choosing: {route}", "loop", {"route": route})
                )
    return problems


def _empty(directory: s.Directory, name: Callable[[s.DestId], str]) -> Iterator[Problem]:
    for dest_id, dest in directory.destinations.items():
        if isinstance(dest, s.Menu) and not dest.options:
            yield Problem(name(dest_id), "is a menu with no keys to press", "menu_no_keys")
        if isinstance(dest, s.RingQueue) and dest.strategy != "rota" and not dest.members:
            yield Problem(
                name(dest_id), f"rings queue {dest.name}, which has no members", "queue_empty", {"queue": dest.name}
            )
        if (
            isinstance(dest, s.RingQueue)
            and dest.strategy == "rota"
            and not directory.rota.weekly + directory.rota.shifts
        ):
            yield Problem(
                name(dest_id),
                f"rings whoever is on duty for {dest.name}, but the rota is empty",
                "rota_empty",
                {"queue": dest.name},
            )
        if isinstance(dest, s.RingExtension) and dest.extension not in directory.people:
            yield Problem(
                name(dest_id),
                f"rings extension {dest.extension}, which does not exist",
                "no_extension",
                {"extension": dest.extension},
            )


def prompts_used(directory: s.Directory) -> set[str]:
    """Every media URI the configuration plays, for checking that each sound exists."""
    used = {directory.not_in_service}
    for dest in directory.destinations.values():
        match dest:
            case s.Announcement(prompt=p) | s.Voicemail(prompt=p):
                used.add(p)
            case s.CallbackOffer(prompt=p, confirmation=q):
                used |= {p, q}
            case s.Menu(prompt=p, invalid_prompt=q):
                used |= {p, q}
    return {p for p in used if p}
