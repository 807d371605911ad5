"""The audit log in the office's words: what each action means ("Odsłuchano nagranie") and
what it was done to ("kolejka Sprzedaż", "połączenie z +48 601 234 567"), for the admin. The
log itself keeps its codes: it is evidence, and its hash chain covers them."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

ACTIONS = {
    "api.token_create": gettext_noop("API token created"),
    "api.token_revoke": gettext_noop("API token revoked"),
    "call.note": gettext_noop("Note added to a call"),
    "callback.call": gettext_noop("Callback started from the phone"),
    "callback.click_to_call": gettext_noop("Click-to-call"),
    "callback.complete": gettext_noop("Callback marked done"),
    "callback.create": gettext_noop("Callback created"),
    "config.add": gettext_noop("Added"),
    "config.change": gettext_noop("Changed"),
    "config.delete": gettext_noop("Deleted"),
    "config.destination_mobile": gettext_noop("Forward to a mobile set"),
    "config.device_add": gettext_noop("Phone added"),
    "config.device_change": gettext_noop("Phone changed"),
    "config.device_delete": gettext_noop("Phone deleted"),
    "config.extension_active": gettext_noop("Extension switched on or off"),
    "config.extension_add": gettext_noop("Extension added"),
    "config.extension_delete": gettext_noop("Extension deleted"),
    "config.sip_password": gettext_noop("New phone password"),
    "dsar.create": gettext_noop("Data-subject request recorded"),
    "dsar.erase": gettext_noop("Data erased for a data-subject request"),
    "dsar.export": gettext_noop("Data exported for a data-subject request"),
    "extension.dnd": gettext_noop("Do-not-disturb switched"),
    "extension.forwarding": gettext_noop("Forwarding changed"),
    "extension.forwarding_refused": gettext_noop("Forwarding refused"),
    "extension.pin_cleared": gettext_noop("Phone PIN removed"),
    "extension.pin_set": gettext_noop("Phone PIN set"),
    "extension.user": gettext_noop("Sign-in account linked to an extension"),
    "porting.create": gettext_noop("Porting request created"),
    "porting.edit": gettext_noop("Porting request changed"),
    "porting.remind": gettext_noop("Porting reminder sent"),
    "provisioning.link_created": gettext_noop("Phone setup link created"),
    "provisioning.opened": gettext_noop("Phone setup link opened"),
    "provisioning.refused": gettext_noop("Phone setup link refused"),
    "provisioning.welcome_sent": gettext_noop("Welcome e-mail sent"),
    "recording.erase": gettext_noop("Recording erased"),
    "recording.hold": gettext_noop("Recording put on hold (kept past its retention)"),
    "recording.pause": gettext_noop("Recording paused"),
    "recording.play": gettext_noop("Recording played"),
    "recording.refused": gettext_noop("Listening refused"),
    "recording.release": gettext_noop("Recording hold released"),
    "recording.resume": gettext_noop("Recording resumed"),
    "retention.run": gettext_noop("Retention run: old recordings deleted"),
    "security.2fa_enrolled": gettext_noop("Two-step verification set up"),
    "security.2fa_recovery_code": gettext_noop("Signed in with a recovery code"),
    "security.ban": gettext_noop("Address banned"),
    "security.unban": gettext_noop("Ban lifted"),
    "voicemail.heard": gettext_noop("Voicemail message heard"),
}
# Short target prefixes some actions use ("call:<id>", "sip:<address>").
TARGETS = {
    "apitoken": ("api", "apitoken"),
    "call": ("pbx", "call"),
    "callback": ("pbx", "callbacktask"),
    "dsar": ("compliance", "datasubjectrequest"),
    "porting": ("numbers", "portingrequest"),
    "user": ("auth", "user"),
}


def action_text(action: str) -> str:
    if action in ACTIONS:
        return _(ACTIONS[action])
    if action.startswith("porting."):
        return _("Porting request moved to: %(state)s") % {"state": action.removeprefix("porting.")}
    return action


def target_text(target: str, action: str = "") -> str:
    """`app.model:pk` (or a short `kind:pk`; a recording's actions name it by its id alone) as
    the object's kind and name; anything else as it is."""
    kind, sep, key = target.partition(":")
    if not sep and action.startswith("recording.") and action != "recording.erase":
        kind, sep, key = "recordings.recording", ":", target
    if not sep:
        return target
    if kind == "sip":
        return _("address %(address)s") % {"address": key}
    if kind == "extension":
        return _("extension %(number)s") % {"number": key}
    app_label, _dot, model_name = kind.partition(".")
    label = TARGETS.get(kind, (app_label, model_name))
    try:
        model = apps.get_model(*label)
    except (LookupError, ValueError, TypeError):
        return target
    name = str(model._meta.verbose_name)
    try:
        return f"{name}: {model._default_manager.get(pk=key)}"
    except (ObjectDoesNotExist, ValueError, TypeError):
        return _("%(kind)s no longer there (%(key)s)") % {"kind": name, "key": key}
    except Exception:  # a malformed key for that model (a UUID field given text)
        return target
