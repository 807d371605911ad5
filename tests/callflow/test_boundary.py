"""The call-flow core stays free of I/O: no Django, httpx, websockets or asyncio, directly or
through another Centrala module."""

from __future__ import annotations

import ast
from pathlib import Path

import pbx.callflow

FORBIDDEN = {"django", "httpx", "websockets", "asyncio", "psycopg", "requests"}
# Centrala modules the core may use; each must itself be pure.
ALLOWED_LOCAL = {"pbx.callflow", "pbx.phone"}
CORE = Path(pbx.callflow.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def pure_files() -> list[Path]:
    return [*sorted(CORE.rglob("*.py")), CORE.parent / "phone.py"]


def test_the_core_and_its_helpers_import_no_io_library():
    offenders = {
        f"{path.name}: {name}"
        for path in pure_files()
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert offenders == set()


def test_the_core_imports_no_other_centrala_module():
    offenders = {
        f"{path.name}: {name}"
        for path in pure_files()
        for name in imported_modules(path)
        if name.split(".")[0] in {"pbx", "recordings", "company_numbers", "compliance", "config"}
        and not any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED_LOCAL)
    }
    assert offenders == set()


def test_the_check_would_catch_a_forbidden_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("import asyncio\nfrom django.db import models\n")
    assert imported_modules(bad) == {"asyncio", "django.db"}
