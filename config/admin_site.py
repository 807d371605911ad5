"""The admin as the office uses it: its menu grouped by task (Calls, Scenario, People,
Recordings and GDPR, Numbers, Security, Integrations) rather than by the Python app a model
lives in. (The third-party parts, sign-in lockouts and two-step devices, have screens of their
own in the office's language: security/admin_signins.py.)"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# (group, its slug, the models in it as "app_label.model_name", in menu order)
GROUPS: list[tuple[Any, str, list[str]]] = [
    (
        _("Calls"),
        "calls",
        ["pbx.call", "pbx.callbacktask", "voicemail.message", "voicemail.missedcalldigest"],
    ),
    (
        _("Scenario"),
        "scenario",
        [
            "pbx.scenario",
            "pbx.schedule",
            "pbx.menu",
            "pbx.queue",
            "pbx.destination",
            "pbx.prompt",
            "voicemail.mailbox",
        ],
    ),
    (
        _("People"),
        "people",
        ["pbx.extension", "pbx.device", "pbx.setuplink", "pbx.weeklyduty", "pbx.dutyshift", "auth.user", "auth.group"],
    ),
    (
        _("Recordings and GDPR"),
        "gdpr",
        [
            "recordings.recording",
            "recordings.recordingrule",
            "compliance.processingpurpose",
            "compliance.datasubjectrequest",
            "compliance.recordingtombstone",
            "compliance.auditentry",
        ],
    ),
    (_("Numbers"), "numbers", ["numbers.companynumber", "numbers.portingrequest", "pbx.callingpolicy"]),
    (
        _("Security"),
        "security",
        [
            "security.sipban",
            "security.sipauthfailure",
            "security.allowednetwork",
            "security.tollfraudalert",
            "security.emergencycall",
            "security.twostepdevice",
            "security.signinlockout",
            "security.failedsignin",
            "security.signin",
        ],
    ),
    (_("Integrations"), "integrations", ["api.apitoken", "api.webhookendpoint", "api.webhookdelivery"]),
    (_("Background jobs"), "jobs", ["jobs.plannedjob", "jobs.finishedjob", "jobs.failedjob"]),
]


# Django's Polish titles put the model's name after a verb in the nominative ("Zmień kolejka",
# "Dodaj reguła"); Centrala's catalogue (first in LOCALE_PATHS) titles them so that every name
# reads right: "Edycja: kolejka".
TITLES = [
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("Select %s"),
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
]


class CentralaAdminSite(AdminSite):
    site_header = "Centrala"
    site_title = "Centrala"
    site_url = "/me/"  # "view site": the person's own page (there is no public site)

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        models = {f"{app['app_label']}.{m['object_name'].lower()}": m for app in apps for m in app["models"]}
        grouped = []
        for name, slug, labels in GROUPS:
            entries = []
            for label in labels:
                if (entry := models.pop(label, None)) is not None:
                    entries.append(entry)
            if slug == "calls" and request.user.has_perm("pbx.view_call"):
                entries.insert(1, _page(str(_("Reports")), reverse("reports")))
            if entries:
                grouped.append(_group(str(name), slug, entries))
        if models:  # a model no group names yet: still reachable
            grouped.append(_group(str(_("Other")), "other", list(models.values())))
        return grouped


def _page(name: str, url: str) -> dict[str, Any]:
    """A page of Centrala's own (not a model's list) in the menu, as a model's entry."""
    return {"name": name, "object_name": "page", "admin_url": url, "add_url": None, "view_only": True, "perms": {}}


def _group(name: str, slug: str, models: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "app_label": slug,
        "app_url": models[0]["admin_url"],
        "has_module_perms": True,
        "models": models,
    }


class CentralaAdminConfig(AdminConfig):
    default_site = "config.admin_site.CentralaAdminSite"

    def ready(self) -> None:
        super().ready()  # every app's admin module is loaded now
        from django.contrib import admin

        from security.admin_signins import replace_vendor_screens

        replace_vendor_screens(admin.site)
        from jobs.admin import replace_vendor_screens as replace_job_screens

        replace_job_screens(admin.site)
