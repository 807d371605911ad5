"""The admin home's dashboard: today at a glance, from the call history the person may see.

Charts are drawn here as inline SVG: no JavaScript library, nothing fetched from outside.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Min
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pbx.access import calls_visible_to
from pbx.models import Call, CallbackTask


@dataclass
class QueueWait:
    queue: str
    answered: int
    average_wait_seconds: float | None


@dataclass
class Today:
    day: datetime
    calls: int = 0
    answered: int = 0
    missed: int = 0
    voicemail: int = 0
    other: int = 0
    # every other outcome that occurred today, by name, so the rows add up to the calls
    others: list[tuple[str, int, str]] = field(default_factory=list)  # (label, count, outcome)
    callbacks_open: int = 0
    per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    queues: list[QueueWait] = field(default_factory=list)

    @property
    def answered_share(self) -> int:
        return round(100 * self.answered / self.calls) if self.calls else 0


def today(user: AbstractBaseUser | AnonymousUser, now: datetime | None = None) -> Today:
    """Inbound calls since local midnight: outcomes, calls per hour, average wait to be answered
    per queue (from the call's start to a person answering), and callbacks still owed."""
    now = timezone.localtime(now or timezone.now())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    calls = calls_visible_to(user).filter(
        direction=Call.Direction.INBOUND, started_at__gte=midnight, started_at__lt=midnight + timedelta(days=1)
    )
    result = Today(day=midnight)
    outcomes = Counter(calls.values_list("outcome", flat=True))
    result.calls = sum(outcomes.values())
    result.answered, result.missed = outcomes["answered"], outcomes["missed"]
    result.voicemail = outcomes["voicemail"]
    result.other = result.calls - result.answered - result.missed - result.voicemail
    shown = {Call.Outcome.ANSWERED, Call.Outcome.MISSED, Call.Outcome.VOICEMAIL}
    result.others = [
        (str(outcome.label), outcomes[outcome.value], outcome.value)
        for outcome in Call.Outcome
        if outcome not in shown and outcomes[outcome.value]
    ]
    for started in calls.values_list("started_at", flat=True):
        result.per_hour[timezone.localtime(started).hour] += 1
    result.queues = _waits(calls)
    result.callbacks_open = CallbackTask.objects.filter(
        status__in=[CallbackTask.Status.OPEN, CallbackTask.Status.DIALLING]
    ).count()
    return result


def _waits(calls) -> list[QueueWait]:  # type: ignore[no-untyped-def]
    waits: dict[str, list[float]] = defaultdict(list)
    answered = calls.filter(queue__isnull=False, events__kind="connected").annotate(connected=Min("events__at"))
    for name, started, connected in answered.values_list("queue__name", "started_at", "connected"):
        waits[name].append((connected - started).total_seconds())
    names = sorted(set(calls.filter(queue__isnull=False).values_list("queue__name", flat=True)))
    return [QueueWait(n, len(waits[n]), sum(waits[n]) / len(waits[n]) if waits[n] else None) for n in names]


def bar_chart(values: list[int], labels: list[str], title: str, width: int = 720, height: int = 160) -> SafeString:
    """A bar chart as inline SVG, with a text alternative for screen readers."""
    top = max(values) or 1
    step = width / len(values)
    bars = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        bar = (height - 30) * value / top
        x = index * step + 2
        bars.append(
            f'<rect x="{x:.1f}" y="{height - 20 - bar:.1f}" width="{step - 4:.1f}" height="{bar:.1f}" '
            f'fill="#417690"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + (step - 4) / 2:.1f}" y="{height - 6}" font-size="10" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
        if value:
            bars.append(
                f'<text x="{x + (step - 4) / 2:.1f}" y="{height - 24 - bar:.1f}" font-size="10" '
                f'text-anchor="middle">{value}</text>'
            )
    summary = ", ".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True) if value)
    return mark_safe(
        f'<svg role="img" aria-label="{escape(title)}: {escape(summary or "none")}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px">{"".join(bars)}</svg>'
    )
