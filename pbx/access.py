"""Which calls and callbacks a person may see, and whose phone they may ring. The admin and the
API both ask here, never decide themselves.

Everyone with the view_all_calls permission (office manager, data-protection officer) sees
every call and callback and may ring any extension; otherwise a person sees the calls they
took part in (their extension was on it) and the calls through the queues they supervise,
the callbacks assigned to them or to nobody, and rings only their own extension.
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from pbx.models import Call, CallbackTask, Extension

User = AbstractBaseUser | AnonymousUser


def calls_visible_to(user: User) -> QuerySet[Call]:
    if not user.has_perm("pbx.view_call"):  # type: ignore[union-attr]
        return Call.objects.none()
    if user.has_perm("pbx.view_all_calls"):  # type: ignore[union-attr]
        return Call.objects.all()
    return calls_of_own_or_team(user)


def calls_of_own_or_team(user: User) -> QuerySet[Call]:
    """The calls `user` took part in (their extension was on it) or that went through a queue
    they supervise, whatever their permissions."""
    return Call.objects.filter(Q(queue__supervisors=user.pk) | Q(pk__in=_took_part(user))).distinct()


def own_calls(user: User) -> QuerySet[Call]:
    """The calls `user` took part in (their extension was on it), whatever their permissions."""
    return Call.objects.filter(pk__in=_took_part(user))


def _took_part(user: User) -> QuerySet[Any]:
    return Call.staff.through.objects.filter(extension__user=user.pk).values("call_id")


def callbacks_visible_to(user: User) -> QuerySet[CallbackTask]:
    tasks = CallbackTask.objects.select_related("assigned_to")
    if not user.has_perm("pbx.view_callbacktask"):  # type: ignore[union-attr]
        return tasks.none()
    if user.has_perm("pbx.view_all_calls"):  # type: ignore[union-attr]
        return tasks
    return tasks.filter(Q(assigned_to__user=user.pk) | Q(assigned_to__isnull=True))


def may_ring(user: User, extension: Extension | None) -> bool:
    """Whether `user` may make `extension`'s phone ring (click-to-call, call back now)."""
    if extension is None:
        return False
    return bool(user.has_perm("pbx.view_all_calls") or extension.user_id == user.pk)  # type: ignore[union-attr]


def extension_to_ring(user: User, task: CallbackTask, chosen: Extension | None) -> Extension | None:
    """The phone a callback rings for `user`: the one chosen, else the task's assignee, else the
    person's own; None when that is not theirs to ring (see may_ring)."""
    target = chosen or task.assigned_to or Extension.objects.filter(user=user.pk).first()
    return target if may_ring(user, target) else None
