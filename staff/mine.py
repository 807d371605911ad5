"""What a signed-in staff member sees as theirs on their own page: their extension and phones,
their calls, the voicemail left for them, the callbacks waiting for them. Who may see what is
decided in pbx/access.py and voicemail/actions.py; this only narrows it to one person."""

from typing import Any

from django.db.models import Prefetch, Q

from pbx.access import callbacks_visible_to, own_calls
from pbx.models import Call, CallbackTask, CallNote, Extension
from recordings.models import Recording
from voicemail.actions import messages_for
from voicemail.models import Message

SHOWN = 30  # of each list: the page is for today's work, the admin and the API keep the rest


def my_extension(user: Any) -> Extension | None:
    return Extension.objects.filter(user=user.pk, active=True).select_related("user").first()


def my_calls(user: Any) -> list[Call]:
    notes = Prefetch("notes", queryset=CallNote.objects.order_by("created_at"))
    if not user.has_perm("pbx.view_call"):
        return []
    return list(own_calls(user).order_by("-started_at").prefetch_related(notes)[:SHOWN])


def my_messages(user: Any) -> list[Message]:
    if not user.has_perm("voicemail.view_message"):
        return []
    recordings = Recording.objects.filter(messages_for(user)).values("pk")
    messages = Message.objects.filter(recording__in=recordings).not_erased().select_related("mailbox")
    return list(messages.order_by("heard_at", "-left_at")[:SHOWN])  # new ones (never heard) first


def my_callbacks(user: Any, extension: Extension) -> list[CallbackTask]:
    waiting = (CallbackTask.Status.OPEN, CallbackTask.Status.DIALLING)
    tasks = callbacks_visible_to(user).filter(status__in=waiting)
    return list(tasks.filter(Q(assigned_to=extension) | Q(assigned_to__isnull=True))[:SHOWN])
