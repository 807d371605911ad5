"""Admin tools for the office manager: simulate a call, see the telephony status."""

import asyncio
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from company_numbers.models import CompanyNumber
from compliance.checklist import run_checks
from pbx.ari.client import AriError
from pbx.asterisk import ari_client
from pbx.audio import library
from pbx.callflow.simulate import Line, Situation, simulate
from pbx.callflow.validate import prompts_used
from pbx.configuration import missing_sounds, problem_text
from pbx.models import Extension, Prompt
from pbx.stasis.directory import load_directory
from pbx.web import dashboard
from security.models import EmergencyCall

DESCRIBE = {
    "hours": _("Opening hours: {state} ({why})"),
    "announcement": _("Plays an announcement ({prompt})"),
    "plays": _("Caller hears {media}"),
    "menu": _("IVR menu ({prompt})"),
    "menu_choice": _("Caller presses {digit}"),
    "menu_invalid": _("Wrong key {digit}: the menu repeats"),
    "menu_no_input": _("No key pressed: the menu repeats"),
    "menu_gave_up": _("No valid key: the menu gives up"),
    "ring_extension": _("Rings extension {targets}"),
    "ring_queue": _("Rings the queue: {targets} ({strategy})"),
    "ring_plan_b": _("PLAN B: office phones unreachable, rings mobiles {targets}"),
    "ring_external": _("Forwards to {targets}"),
    "rings": _("Rings {endpoint}"),
    "leg_failed": _("{target} did not pick up"),
    "connected": _("Connected to {target}"),
    "not_answered": _("Nobody answered"),
    "voicemail": _("Takes a message (up to {seconds} s)"),
    "callback_offer": _("Offers a callback (press 1)"),
    "callback_declined": _("Callback not requested"),
    "callback_task": _("Creates a callback task ({reason}) for {assigned_to}"),
    "not_in_service": _("Number not in service: refused without answering"),
    "loop_stopped": _("Configuration loop: the call is ended"),
    "hangup": _("Centrala hangs up"),
    "dnd": _("{extension} is in do-not-disturb: their phones do not ring"),
    "forwarded": _("{extension} forwards their calls ({why})"),
    "caller_hung_up": _("Caller hangs up"),
    "ended": _("Call ends: {outcome}"),
}


def describe(line: Line) -> str:
    template = str(DESCRIBE.get(line.kind, line.kind))
    detail = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in line.detail.items()}
    try:
        text = template.format(**detail)
    except (KeyError, IndexError):
        return f"{template} {dict(line.detail)}"
    if detail.get("covering_for"):
        text += str(_(", covering for {who} in do-not-disturb (the rota's next on duty)")).format(
            who=detail["covering_for"]
        )
    return text


class SimulateForm(forms.Form):
    number = forms.ModelChoiceField(CompanyNumber.objects.all(), label=_("Company number"), to_field_name="e164")
    when = forms.DateTimeField(label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    caller = forms.CharField(label=_("Caller's number"), initial="+48601234567", max_length=20)
    keys = forms.RegexField(
        regex=r"^[0-9*#]*$",
        required=False,
        label=_("Keys the caller presses"),
        max_length=10,
        help_text=_("One key per menu or callback offer, in order, e.g. 1 or 21."),
    )
    answering = forms.ModelMultipleChoiceField(
        Extension.objects.all(),
        required=False,
        label=_("Who picks up"),
        to_field_name="number",
        widget=forms.CheckboxSelectMultiple,
    )
    offline = forms.ModelMultipleChoiceField(
        Extension.objects.all(),
        required=False,
        label=_("Phones offline (plan B)"),
        to_field_name="number",
        widget=forms.CheckboxSelectMultiple,
    )

    def situation(self) -> Situation:
        data = self.cleaned_data
        when: datetime = data["when"]
        return Situation(
            number=data["number"].e164,
            when=when,
            caller=data["caller"],
            keys=data["keys"],
            answering=frozenset(x.number for x in data["answering"]),
            offline=frozenset(x.number for x in data["offline"]),
        )


@staff_member_required
def simulate_call(request: HttpRequest) -> HttpResponse:
    form = SimulateForm(request.GET or None, initial={"when": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    lines: list[tuple[str, str]] = []
    if form.is_valid():
        situation = form.situation()
        result = simulate(load_directory(today=situation.when.date()), situation)
        lines = [(f"{line.seconds:5.1f} s", describe(line)) for line in result]
    context = {**admin.site.each_context(request), "title": _("Simulate a call"), "form": form, "lines": lines}
    return render(request, "pbx/simulate.html", context)


@staff_member_required
def prompt_audio(request: HttpRequest, pk: int) -> FileResponse:
    """A prompt's own audio for the admin's player (the 16 kHz file: it sounds best)."""
    if not request.user.has_perm("pbx.view_prompt"):
        raise PermissionDenied
    prompt = get_object_or_404(Prompt, pk=pk)
    path = library.best_file(library.PROMPTS, prompt.file_stem)
    if path is None:
        raise Http404("no audio for this prompt")
    response = FileResponse(path.open("rb"), content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=3600"  # the name changes with the audio
    return response


@staff_member_required
def telephony_status(request: HttpRequest) -> HttpResponse:
    """Which phones are reachable now, whether calls would go to plan B, and which prompts
    lost their file (callers hear a general greeting instead)."""
    phones: dict[str, bool] = {}
    error = ""
    try:
        endpoints: list[dict[str, Any]] = asyncio.run(_endpoints())
        phones = {ep["resource"]: ep.get("state") == "online" for ep in endpoints}
    except AriError as exc:
        error = str(exc)
    # A person is reachable when any of their phones is (the extension's own, or another device).
    rows = [
        (x, any(phones.get(login, False) for login in [x.number, *(d.sip_username for d in x.active_devices())]))
        for x in Extension.objects.prefetch_related("devices")
    ]
    plan_b = bool(rows) and not error and not any(online for _, online in rows)
    context = {
        **admin.site.each_context(request),
        "title": _("Telephony status"),
        "rows": rows,
        "plan_b": plan_b,
        "error": error,
        "missing_prompts": [p for p in Prompt.objects.exclude(source=Prompt.Source.STOCK) if p.file_missing],
        # sounds the configuration plays that Asterisk does not have (callers hear silence)
        "missing_sounds": [problem_text(p) for p in missing_sounds(prompts_used(load_directory()))]
        if not error
        else [],
    }
    return render(request, "pbx/status.html", context)


def _missing_sounds() -> list[str]:
    """Sounds the configuration plays that Asterisk does not have (callers hear silence there)."""
    return [problem_text(problem) for problem in missing_sounds(prompts_used(load_directory()))]


async def _endpoints() -> list[dict[str, Any]]:
    async with ari_client() as ari:
        return await ari.endpoints("PJSIP")


@staff_member_required
def compliance_checklist(request: HttpRequest) -> HttpResponse:
    """Live checks for the data-protection officer."""
    if not request.user.has_perm("compliance.view_auditentry"):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": _("Compliance checklist"), "checks": run_checks()}
    return render(request, "pbx/checklist.html", context)


def admin_home(request: HttpRequest) -> HttpResponse:
    """The admin's home page with today's dashboard above the usual list of screens."""
    extra: dict[str, object] = {}
    if request.user.is_active and request.user.has_perm("pbx.view_call"):
        day = dashboard.today(request.user)
        extra = {
            "dashboard": day,
            "calls_per_hour": dashboard.bar_chart(day.per_hour, [f"{h}" for h in range(24)], str(_("Calls per hour"))),
            # every outcome that occurred, by name; room enough for each label under its bar
            "outcomes_chart": dashboard.bar_chart(
                [day.answered, day.missed, day.voicemail, *(count for _label, count, _code in day.others)],
                [str(_("answered")), str(_("missed")), str(_("left a message"))]
                + [label for label, _count, _code in day.others],
                str(_("Answered and missed")),
                width=130 * (3 + len(day.others)),
            ),
        }
    if request.user.is_active and request.user.has_perm("security.view_emergencycall"):
        extra["emergency_calls"] = list(EmergencyCall.objects.filter(seen_by="")[:10])
    return admin.site.index(request, extra_context=extra)  # type: ignore[return-value]
