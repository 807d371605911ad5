"""Which calls a person may see. The admin and the API both ask here, never decide themselves.

Everyone with the view_all_calls permission (office manager, data-protection officer) sees
every call; otherwise a person sees the calls they took part in (their extension was on it)
and the calls through the queues they supervise.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from pbx.models import Call

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
    took_part = Call.staff.through.objects.filter(extension__user=user.pk).values("call_id")
    return Call.objects.filter(Q(queue__supervisors=user.pk) | Q(pk__in=took_part)).distinct()
