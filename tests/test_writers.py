"""Actions are the only writers: no view, API, admin or management command writes a model that
holds state (the call history, callbacks, notes, recordings, the audit log, extensions, bans)
through its manager directly. Such writes go through a do_* action, which audits itself, so
the audit never depends on which screen was used."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_MODELS = {
    "Call",
    "CallEvent",
    "CallNote",
    "CallbackTask",
    "Recording",
    "AuditEntry",
    "Extension",
    "SipBan",
    "EmergencyCall",
    "ApiToken",
    "DataSubjectRequest",
    "PortingRequest",
    "Message",
    "SetupLink",
}
WRITES = {"create", "update", "delete", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
APPS = ("api", "company_numbers", "compliance", "pbx", "recordings", "security", "staff", "voicemail")


def _web_modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel:
                continue
            web = path.name in ("api.py", "views.py", "forms.py", "serializers.py") or "admin" in rel
            if web or "/management/commands/" in rel:
                found.append(path)
    return found


def _root_model(node: ast.AST) -> str | None:
    """`Call.objects.filter(...).update` -> "Call"."""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name):
            return node.value.id
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return None


def direct_writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return [
        f"{name}:{node.lineno} {model}.objects...{node.func.attr}()"
        for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in WRITES
        and (model := _root_model(node.func.value)) in STATE_MODELS
    ]


def test_no_view_admin_or_command_writes_a_state_model_directly():
    modules = _web_modules()
    assert len(modules) > 20  # the scan found the web modules
    writes = [write for path in modules for write in direct_writes(path)]
    assert writes == [], "use (or write) a do_* action:\n" + "\n".join(writes)


def test_the_scan_finds_a_direct_write(tmp_path):
    bad = tmp_path / "api.py"
    bad.write_text(
        "def view(request):\n    CallNote.objects.create(text='x')\n    Call.objects.filter(pk=1).update(outcome='x')\n"
    )
    found = [line.split(" ", 1)[1] for line in direct_writes(bad)]
    assert found == ["CallNote.objects...create()", "Call.objects...update()"]
