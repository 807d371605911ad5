"""Personas and data shared by the Django tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from company_numbers.models import CompanyNumber
from pbx.models import Prompt


@pytest.fixture
def manager(db: None) -> User:
    """Ola, the office manager: a superuser in this first version."""
    return User.objects.create_superuser("ola", "ola@firma.test", "Ola-Long-Password-1")


@pytest.fixture
def greeting(db: None) -> Prompt:
    return Prompt.objects.create(name="Powitanie", sound="hello-world")


@pytest.fixture
def office_line(greeting: Prompt) -> CompanyNumber:
    return CompanyNumber.objects.create(e164="+48221234567", label="Biuro", greeting=greeting, record_seconds=3)
