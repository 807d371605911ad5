"""What an integration's token may do. Each area has a read scope (GET) and a write scope
(everything else); a token carries only the scopes it was given, and on top of that the user
it acts for must hold the matching Django permission, so a token never widens a role."""

SCOPES: dict[str, str] = {
    "numbers:read": "list company numbers",
    "numbers:write": "add, change and delete company numbers",
    "porting:read": "porting requests, their problems and deadlines",
    "porting:write": "create, edit and move porting requests",
    "recordings:write": "pause and resume a live call's recording (staff on the call, supervisors)",
}


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [scope for scope in scopes if scope not in SCOPES]
