"""Fixtures shared by the Django tests (the personas live in tests/django/personas.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.django.personas import make_firm, person


@pytest.fixture
def firm(tmp_path: Path) -> dict:
    """Two teams: sales (Ewa supervises, Anna 101 answers) and service (Jan supervises, Piotr 102)."""
    return make_firm(tmp_path)


@pytest.fixture
def basia() -> User:
    """An office manager."""
    return person("basia", "Office manager")


@pytest.fixture
def dpo() -> User:
    """The data protection officer."""
    return person("iod", "Data protection officer")
