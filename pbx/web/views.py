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
from pbx import timeline
from pbx.ari.client import AriError
from pbx.asterisk import ari_client
from pbx.audio import library
from pbx.callflow.simulate import Line, Situation, simulate
from pbx.callflow.validate import prompts_used
from pbx.configuration import missing_sounds, problem_text
from pbx.directory import load_directory
from pbx.models import Call, CallbackTask, Extension, Prompt
from pbx.phone import pretty_number
from pbx.web import dashboard
from security.models import EmergencyCall


def describe(line: Line, prompts: dict[str, str]) -> str:
    """A simulated step as a sentence (pbx/timeline.py for the call's own steps), prompts by
    their names, phones by their extension."""
    detail = line.detail
    match line.kind:
        case "plays":
            names = [
                prompts.get(part, str(_("a message of Centrala's own"))) for part in str(detail["media"]).split(",")
            ]
            return str(_("The caller hears: %(prompt)s")) % {"prompt": ", ".join(names)}
        case "rings":
            return str(_("Rings %(who)s")) % {"who": _endpoint_text(str(detail["endpoint"]))}
        case "callback_task":
            reason = CallbackTask.Reason(str(detail["reason"])).label if detail.get("reason") else ""
            who = detail.get("assigned_to") or _("whoever is free")
            return str(_("A callback is owed (%(reason)s), for %(who)s")) % {"reason": reason, "who": who}
        case "ended":
            return str(_("The call ends: %(outcome)s")) % {"outcome": Call.Outcome(str(detail["outcome"])).label}
    return timeline.describe(line.kind, detail)


def _endpoint_text(endpoint: str) -> str:
    """ "PJSIP/101" as "101"; an outside number through the carrier as the number."""
    target = endpoint.removeprefix("PJSIP/")
    if "sip:" in target:
        return pretty_number(target.split("sip:", 1)[1].split("@", 1)[0])
    return target


def _prompt_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for prompt in Prompt.objects.all():
        names[prompt.media_uri] = prompt.name
        if prompt.sound:
            names[f"sound:{prompt.sound}"] = prompt.name
    return names


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
        prompts = _prompt_names()
        lines = [(f"{line.seconds:5.1f} s", describe(line, prompts)) for line in result]
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
    rows, plan_b, error = _reachability()
    context = {
        **admin.site.each_context(request),
        "title": _("Telephony status"),
        "rows": rows,
        "plan_b": plan_b,
        "error": error,
        "missing_prompts": [p for p in Prompt.objects.exclude(source=Prompt.Source.STOCK) if p.file_missing],
        # sounds the configuration plays that Asterisk does not have (callers hear silence)
        "missing_sounds": _missing_sounds() if not error else [],
    }
    return render(request, "pbx/status.html", context)


def _missing_sounds() -> list[str]:
    """Sounds the configuration plays that Asterisk does not have (callers hear silence there)."""
    return [problem_text(problem) for problem in missing_sounds(prompts_used(load_directory()))]


def _reachability() -> tuple[list[tuple[Extension, bool]], bool, str]:
    """Each extension and whether any of its phones is reachable now (one ARI request); plan B
    is on when there are extensions and none is; and what went wrong asking Asterisk."""
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
    return rows, bool(rows) and not error and not any(online for _, online in rows), error


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
    if request.user.is_active and request.user.has_perm("pbx.view_extension"):
        extra["plan_b_active"] = _reachability()[1]  # no office phone reachable: calls go to mobiles
    if request.user.is_active and request.user.has_perm("security.view_emergencycall"):
        extra["emergency_calls"] = list(EmergencyCall.objects.filter(seen_by="")[:10])
    return admin.site.index(request, extra_context=extra)  # type: ignore[return-value]
