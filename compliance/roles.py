"""The four roles of a small firm, as Django groups. A migration creates them; `sync_roles`
keeps their permissions as listed here."""

ROLES: dict[str, list[str]] = {
    # Configuration, call history and callbacks; no listening by default.
    "Office manager": [
        "pbx.*extension",
        "pbx.*device",
        "pbx.view_setuplink",
        "pbx.delete_setuplink",
        "pbx.*prompt",
        "pbx.*schedule",
        "pbx.*openinginterval",
        "pbx.*closure",
        "pbx.*queue",
        "pbx.*queuemember",
        "pbx.*menu",
        "pbx.*menuoption",
        "pbx.*destination",
        "pbx.*scenario",
        "pbx.*weeklyduty",
        "pbx.*dutyshift",
        "pbx.*callbacktask",
        "pbx.view_call",
        "pbx.view_all_calls",
        "numbers.*companynumber",
        "numbers.*portingrequest",
        "numbers.view_portingreminder",
        "pbx.*callingpolicy",
        "security.view_sipauthfailure",
        "security.*sipban",
        "security.*allowednetwork",
        "security.view_tollfraudalert",
        "security.change_tollfraudalert",
        "security.view_emergencycall",
        "security.change_emergencycall",
        # unlock a person locked out of the admin, reset the two-step device of a lost phone
        "security.view_signinlockout",
        "security.delete_signinlockout",
        "security.view_failedsignin",
        "security.view_signin",
        "security.view_twostepdevice",
        "security.delete_twostepdevice",
        "api.view_apitoken",
        "voicemail.*mailbox",
        "voicemail.*missedcalldigest",
        "voicemail.view_message",  # which messages wait, not their audio
    ],
    # Calls and recordings of the queues they supervise (Queue.supervisors), and their own.
    # and the voicemail left in their boxes or for the callers they are to call back.
    "Team supervisor": [
        "pbx.view_call",
        "pbx.view_callbacktask",
        "recordings.view_recording",
        "voicemail.view_message",
    ],
    # Requests, retention, legal hold and the audit log; every recording.
    "Data protection officer": [
        "recordings.view_recording",
        "recordings.view_all_recordings",
        "recordings.legal_hold",
        "compliance.*processingpurpose",
        "compliance.view_recordingtombstone",
        "compliance.view_auditentry",
        "compliance.*datasubjectrequest",
        "pbx.view_call",
        "pbx.view_all_calls",
        "voicemail.view_message",
    ],
    # Their own calls and callbacks, and the voicemail left for them (their boxes, their callbacks).
    "Agent": [
        "pbx.view_call",
        "pbx.view_callbacktask",
        "pbx.change_callbacktask",
        "recordings.view_recording",
        "voicemail.view_message",
    ],
}


def expand(pattern: str) -> list[tuple[str, str]]:
    """'pbx.*queue' -> every action on it; 'pbx.view_call' -> that one. As (app_label, codename)."""
    app, codename = pattern.split(".", 1)
    if codename.startswith("*"):
        model = codename[1:]
        return [(app, f"{action}_{model}") for action in ("add", "change", "delete", "view")]
    return [(app, codename)]


def sync_roles(group_model, permission_model) -> None:  # type: ignore[no-untyped-def]
    """Give each role exactly its permissions. One that a migration has not created yet is
    skipped: a later migration calls this again once it exists."""
    for name, patterns in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = [pair for pattern in patterns for pair in expand(pattern)]
        permissions = [
            permission
            for app, codename in wanted
            for permission in permission_model.objects.filter(content_type__app_label=app, codename=codename)
        ]
        group.permissions.set(permissions)
