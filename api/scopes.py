"""What an integration's token may do. Each area has a read scope (GET) and a write scope
(everything else); a token carries only the scopes it was given, and on top of that the user
it acts for must hold the matching Django permission, so a token never widens a role."""

SCOPES: dict[str, str] = {
    "numbers:read": "list company numbers",
    "numbers:write": "add, change and delete company numbers",
    "porting:read": "porting requests, their problems and deadlines",
    "porting:write": "create, edit and move porting requests",
    "calls:read": "the call history with timelines and notes (as far as the user's role sees)",
    "calls:write": "add notes to calls",
    "callbacks:read": "callbacks owed",
    "callbacks:write": "create and complete callbacks, click-to-call",
    "recordings:read": "recordings' details and audio (each fetch is logged; the user's listening rights apply)",
    "recordings:write": "pause and resume a live call's recording (staff on the call, supervisors)",
    "prompts:read": "prompts (greetings, announcements) and their audio",
    "prompts:write": "upload recordings, have texts read out, delete unused prompts",
    "dsar:read": "data-subject requests and their exports",
    "dsar:write": "record data-subject requests and carry out erasures",
}


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
