"""The office manager's configuration screens for call logic: schedules, queues, menus,
destinations, scenarios, calling policies and the rota. Every save of call logic is checked for
loops and dead ends before it reaches a caller. People and their phones are in people.py."""

from typing import Any

from django.contrib import admin
from django.db import transaction
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

from .pushing import pushing_config, report_problems


class CallLogicAdmin(AuditedModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: report_problems(request))


class OpeningIntervalInline(admin.TabularInline):
    model = OpeningInterval
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(AuditedModelAdmin):
    list_display = ["name", "timezone", "public_holidays", "override", "override_until"]
    inlines = [OpeningIntervalInline, ClosureInline]


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
    list_display = ["weekday", "starts", "ends", "extension"]
    list_filter = ["weekday", "extension"]


@admin.register(DutyShift)
class DutyShiftAdmin(AuditedModelAdmin):
    list_display = ["starts_at", "ends_at", "extension"]
    list_filter = ["extension"]
