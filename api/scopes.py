"""What an integration's token may do. Each area has a read scope (GET) and a write scope
(everything else); a token carries only the scopes it was given, and on top of that the user
it acts for must hold the matching Django permission, so a token never widens a role."""

from django.utils.translation import gettext_noop

SCOPES: dict[str, str] = {
    "numbers:read": gettext_noop("list company numbers"),
    "numbers:write": gettext_noop("add, change and delete company numbers"),
    "porting:read": gettext_noop("porting requests, their problems and deadlines"),
    "porting:write": gettext_noop("create, edit and move porting requests"),
    "calls:read": gettext_noop("the call history with timelines and notes (as far as the user's role sees)"),
    "calls:write": gettext_noop("add notes to calls"),
    "callbacks:read": gettext_noop("callbacks owed"),
    "callbacks:write": gettext_noop("create and complete callbacks, click-to-call"),
    "recordings:read": gettext_noop(
        "recordings' details and audio (each fetch is logged; the user's listening rights apply)"
    ),
    "recordings:write": gettext_noop("pause and resume a live call's recording (staff on the call, supervisors)"),
    "prompts:read": gettext_noop("prompts (greetings, announcements) and their audio"),
    "prompts:write": gettext_noop("upload recordings, have texts read out, delete unused prompts"),
    "dsar:read": gettext_noop("data-subject requests and their exports"),
    "dsar:write": gettext_noop("record data-subject requests and carry out erasures"),
}


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
