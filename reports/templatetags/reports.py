from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def seconds(value: float | None) -> str:
    """A length of time as people say it: '12 s', '3 min 05 s', '2 h 05 min'; '-' for none."""
    if value is None:
        return "-"
    whole = round(value)
    if whole < 60:
        return _("%(s)d s") % {"s": whole}
    if whole < 3600:
        return _("%(m)d min %(s)02d s") % {"m": whole // 60, "s": whole % 60}
    return _("%(h)d h %(m)02d min") % {"h": whole // 3600, "m": whole % 3600 // 60}
