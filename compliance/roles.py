"""The four roles of a small firm, as Django groups. A migration creates them; `sync_roles`
keeps their permissions as listed here."""

ROLES: dict[str, list[str]] = {
    # Configuration, call history and callbacks; no listening by default.
    "Office manager": [
        "pbx.*extension", "pbx.*prompt", "pbx.*schedule", "pbx.*openinginterval", "pbx.*closure", "pbx.*queue",
        "pbx.*queuemember", "pbx.*menu", "pbx.*menuoption", "pbx.*destination", "pbx.*scenario",
        "pbx.*weeklyduty", "pbx.*dutyshift", "pbx.*callbacktask", "pbx.view_call", "numbers.*companynumber",
    ],
    # Listens to recordings (of their own queues, once recordings carry their queue: issue 4).
    "Team supervisor": ["pbx.view_call", "pbx.view_callbacktask", "recordings.view_recording"],
    # Requests, retention, legal hold and the audit log.
    "Data protection officer": [
        "recordings.view_recording", "recordings.change_recording", "compliance.*processingpurpose",
        "compliance.view_recordingtombstone", "compliance.view_auditentry", "pbx.view_call",
    ],
    # Their own calls and callbacks.
    "Agent": ["pbx.view_call", "pbx.view_callbacktask", "pbx.change_callbacktask"],
}  # fmt: skip


def expand(pattern: str) -> list[tuple[str, str]]:
    """'pbx.*queue' -> every action on it; 'pbx.view_call' -> that one. As (app_label, codename)."""
    app, codename = pattern.split(".", 1)
    if codename.startswith("*"):
        model = codename[1:]
        return [(app, f"{action}_{model}") for action in ("add", "change", "delete", "view")]
    return [(app, codename)]


def sync_roles(group_model, permission_model) -> None:  # type: ignore[no-untyped-def]
    for name, patterns in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = [pair for pattern in patterns for pair in expand(pattern)]
        permissions = [
            permission_model.objects.get(content_type__app_label=app, codename=codename) for app, codename in wanted
        ]
        group.permissions.set(permissions)
