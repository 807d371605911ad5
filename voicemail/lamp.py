"""The message lamp on staff phones: how many new and heard messages each extension has, over
every box it owns. The Stasis app reads this at every configuration refresh and publishes what
changed (pbx/stasis/lamps.py), so every way a count changes (a message left, heard in the admin
or on the phone, erased, a box's owners changed) reaches the phones the same way."""

from __future__ import annotations

from django.db.models import Count, Q

from pbx.models import Extension
from voicemail.models import Message


def lamp_states() -> dict[str, tuple[int, int]]:
    """{extension number: (new, heard)} for every active extension (0, 0 without messages).
    Erased messages no longer count."""
    states = dict.fromkeys(Extension.objects.filter(active=True).values_list("number", flat=True), (0, 0))
    rows = (
        Message.objects.not_erased()
        .filter(mailbox__owners__active=True)
        .values("mailbox__owners__number")
        .annotate(new=Count("pk", filter=Q(heard_at__isnull=True)), total=Count("pk"))
    )
    for row in rows:
        states[row["mailbox__owners__number"]] = (row["new"], row["total"] - row["new"])
    return states
