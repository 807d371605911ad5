"""The call history's date drill-down, cheap at any size of history."""

from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.views.main import ChangeList
from django.db.models import Max, Min
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def call_date_hierarchy(cl: ChangeList) -> dict[str, Any] | None:
    """Django's date drill-down, except for the first level: the years are those from the first
    call to the last (two index look-ups) instead of a DISTINCT over every call, which takes
    0.27 s at a million calls. Below a year, Django's own levels are cheap enough."""
    field = cl.date_hierarchy
    if any(cl.params.get(f"{field}__{part}") for part in ("year", "month", "day")):
        return date_hierarchy(cl)
    span = cl.queryset.aggregate(first=Min(field), last=Max(field))
    if span["first"] is None:
        return date_hierarchy(cl)  # no calls
    first, last = (timezone.localtime(span[end]).year for end in ("first", "last"))
    if first == last:
        return date_hierarchy(cl)  # one year: Django starts at its months
    years = range(first, last + 1)
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": cl.get_query_string({f"{field}__year": str(year)}, [f"{field}__"]), "title": str(year)}
            for year in years
        ],
    }
