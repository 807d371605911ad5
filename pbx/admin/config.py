"""The office manager's configuration screens for call logic: schedules, queues, menus,
destinations, scenarios, calling policies and the rota. Every save of call logic is checked for
loops and dead ends before it reaches a caller. People and their phones are in people.py."""

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from pbx.models import (
    CallingPolicy,
    Closure,
    Destination,
    DutyShift,
    Menu,
    MenuOption,
    OpeningInterval,
    Queue,
    QueueMember,
    QueueMusic,
    Scenario,
    Schedule,
    WeeklyDuty,
)
from pbx.models.people import Weekday

from .pushing import pushing_config, report_problems


class CallLogicAdmin(AuditedModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: report_problems(request))


# Hours as people write them (08:00), in the browser's own time picker: no seconds, and no
# "your clock is shifted" notes from the admin's clock widget.
HOURS: dict[Any, dict[str, Any]] = {
    models.TimeField: {"widget": forms.TimeInput(format="%H:%M", attrs={"type": "time"})}
}


class OpeningIntervalInline(admin.TabularInline):
    """The week as a grid: a new schedule starts with Monday to Sunday, one row each (leave a
    day empty when closed; add a second row for a lunch break)."""

    model = OpeningInterval
    extra = 0
    formfield_overrides = HOURS

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 7 if obj is None else 1


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


def time_zones() -> list[tuple[str, str]]:
    """The office's zone first, then the rest of Europe, then the world."""
    zones = sorted(available_timezones())
    europe = [z for z in zones if z.startswith("Europe/") and z != "Europe/Warsaw"]
    rest = [z for z in zones if not z.startswith("Europe/") and "/" in z]
    return [(z, z) for z in ["Europe/Warsaw", *europe, *rest]]


class ScheduleForm(forms.ModelForm):  # type: ignore[type-arg]
    timezone = forms.ChoiceField(label=_("time zone"), choices=time_zones, initial="Europe/Warsaw")

    class Meta:
        model = Schedule
        fields = ["name", "timezone", "public_holidays", "override", "override_until"]


@admin.register(Schedule)
class ScheduleAdmin(AuditedModelAdmin):
    form = ScheduleForm
    list_display = ["name", "timezone", "public_holidays", "override", "override_until"]
    inlines = [OpeningIntervalInline, ClosureInline]

    def get_formset_kwargs(self, request: HttpRequest, obj: Any, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, OpeningIntervalInline) and obj.pk is None and request.method == "GET":
            kwargs["initial"] = [{"weekday": day} for day in range(7)]  # Monday ... Sunday
        return kwargs


class QueueMemberInline(admin.TabularInline):
    model = QueueMember
    extra = 0


class QueueMusicInline(admin.TabularInline):
    model = QueueMusic
    extra = 0


@admin.register(Queue)
class QueueAdmin(CallLogicAdmin):
    list_display = ["name", "strategy", "member_ring_seconds", "max_wait_seconds"]
    inlines = [QueueMemberInline, QueueMusicInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Its own hold music is a music class in Asterisk's musiconhold.conf.
        with pushing_config(request, f"queue {form.instance.name} saved"):
            super().save_related(request, form, formsets, change)


class MenuOptionInline(admin.TabularInline):
    model = MenuOption
    fk_name = "menu"
    extra = 0


@admin.register(Menu)
class MenuAdmin(CallLogicAdmin):
    list_display = ["name", "prompt", "timeout_seconds", "retries"]
    inlines = [MenuOptionInline]


@admin.register(Destination)
class DestinationAdmin(CallLogicAdmin):
    list_display = ["name", "kind", "then"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Scenario)
class ScenarioAdmin(CallLogicAdmin):
    list_display = ["name", "schedule", "when_open", "when_closed", "on_holiday"]


@admin.register(CallingPolicy)
class CallingPolicyAdmin(AuditedModelAdmin):
    """The toll-fraud guard's allow-lists; changes reach live calls within seconds."""

    list_display = [
        "name",
        "countries",
        "allow_premium",
        "international_any_time",
        "max_concurrent",
        "max_daily_minutes",
    ]
    fieldsets = [
        (_("Domestic"), {"fields": ["name", "allow_mobile", "allow_freephone", "allow_shared_cost", "allow_premium"]}),
        (
            _("International"),
            {"fields": ["countries", "international_from", "international_until", "international_any_time"]},
        ),
        (_("Limits"), {"fields": ["max_concurrent", "max_daily_minutes", "blocked_prompt"]}),
    ]


@admin.register(WeeklyDuty)
class WeeklyDutyAdmin(AuditedModelAdmin):
    """The rota: above the list, the week as a grid (a row per day, who is on duty when);
    below it every slot, its hours and person edited in place, the whole week saved at once."""

    list_display = ["weekday", "starts", "ends", "extension"]
    list_editable = ["starts", "ends", "extension"]
    list_filter = ["weekday", "extension"]
    formfield_overrides = HOURS
    change_list_template = "admin/pbx/weeklyduty/change_list.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        slots = WeeklyDuty.objects.select_related("extension").order_by("weekday", "starts")
        week = [(day.label, [slot for slot in slots if slot.weekday == day]) for day in Weekday]
        return super().changelist_view(request, {**(extra_context or {}), "week": week})


@admin.register(DutyShift)
class DutyShiftAdmin(AuditedModelAdmin):
    list_display = ["starts_at", "ends_at", "extension"]
    list_filter = ["extension"]
