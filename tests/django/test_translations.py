"""Polish is the admin's default language: every string Centrala marks for translation has a
Polish translation in locale/, and the compiled catalogue is the one in use."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from tests.conftest import signed_in

PO = Path(settings.BASE_DIR) / "locale" / "pl" / "LC_MESSAGES" / "django.po"


def test_every_string_has_a_polish_translation_with_the_same_placeholders():
    catalogue = polib.pofile(str(PO))

    def translated(entry: polib.POEntry) -> bool:  # a plural entry has one translation per Polish form
        return all(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)

    missing = [e.msgid for e in catalogue if not translated(e) or "fuzzy" in e.flags]
    assert missing == []
    assert catalogue.percent_translated() == 100


def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path, settings, monkeypatch):
    """makemessages on a copy of the code: a new string without a Polish translation fails
    here. (On a copy, because makemessages writes into the locale folder beside the code.)"""
    source = Path(settings.BASE_DIR)
    before = PO.read_text()
    copy = tmp_path / "src"
    shutil.copytree(
        source,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "var", ".git", "tests", "docker", "bench", "__pycache__", "*.mo", ".*_cache"
        ),
    )
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [copy / "locale"]
    call_command("makemessages", "-l", "pl", verbosity=0)
    found = {e.msgid for e in polib.pofile(str(copy / "locale" / "pl" / "LC_MESSAGES" / "django.po")) if not e.obsolete}
    known = {e.msgid for e in polib.pofile(str(PO))}
    assert sorted(found - known) == []
    assert PO.read_text() == before  # the repository's catalogue is left as it was


def test_the_compiled_catalogue_is_in_use():
    with translation.override("pl"):
        assert translation.gettext("Two-factor login") == "Logowanie dwuskładnikowe"
        assert translation.gettext("Calls per hour") == "Połączenia na godzinę"


@pytest.mark.django_db
def test_the_admin_speaks_polish_by_default_and_english_on_request(manager):
    polish = signed_in(Client(), manager).get("/admin/").content.decode()
    assert "Dzisiaj" in polish and "Połączenia na godzinę" in polish and "Scenariusz" in polish  # the menu, by task
    english = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager).get("/admin/").content.decode()
    assert "Today" in english and "Calls per hour" in english
