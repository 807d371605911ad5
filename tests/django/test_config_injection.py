"""Nothing typed into Centrala can add to Asterisk's configuration: every field that reaches a
rendered file, given Asterisk's syntax characters and line breaks, either is refused (by the
form, or by the renderer, naming the row) or renders into the same set of sections."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.test import Client

from company_numbers.models import CompanyNumber
from pbx.asterisk_config import ConfigError, render_all
from pbx.extensions import do_create_extension
from pbx.models import Extension
from security.models import SipBan
from tests.conftest import NO_ROTA, signed_in

pytestmark = pytest.mark.django_db

HOSTILE = [
    "Anna\n[evil]\ntype = endpoint",
    "Anna\r\n[evil](101)",
    'Anna" <999>',
    "Anna; comment",
    "Anna [x]",
    "Anna\\",
    "Anna,1",
    "Anna\x00",
    "Anna\x1b[2J",
    "1\n[e]",  # short enough for an extension number
    "1]\n[",
    "1,2",
]


@pytest.fixture(autouse=True)
def config_dir(settings, tmp_path):
    settings.ASTERISK_CONFIG_DIR = tmp_path


def sections() -> dict[str, list[str]]:
    return {name: re.findall(r"^\[([^\]]*)\]", text, flags=re.M) for name, text in render_all().items()}


@pytest.fixture
def office() -> dict[str, list[str]]:
    main = CompanyNumber.objects.create(e164="+48221234567", label="Biuro", is_main=True)
    anna, _ = do_create_extension("101", "Anna")
    anna.caller_id = main
    anna.save()
    SipBan.objects.create(source="203.0.113.5", reason="failed logins")
    return sections()


# Every text field a template reads, on its row as the renderer gets it.
FIELDS = [
    (Extension, {"number": "101"}, "display_name"),
    (Extension, {"number": "101"}, "number"),
    (Extension, {"number": "101"}, "sip_ha1"),
    (Extension, {"number": "101"}, "mobile"),
    (CompanyNumber, {"e164": "+48221234567"}, "e164"),
    (SipBan, {"source": "203.0.113.5"}, "reason"),
]


@pytest.mark.parametrize(("model", "row", "field"), FIELDS, ids=[f"{m.__name__}.{f}" for m, _, f in FIELDS])
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_value_written_past_the_forms_never_changes_the_sections(office, model, row, field, value):
    try:
        with transaction.atomic():
            model.objects.filter(**row).update(**{field: value})
    except (ValidationError, DataError):
        assert model.objects.filter(**row).exists()  # the field itself refused it: the row is as it was
        return
    try:
        rendered, refusal = sections(), ""
    except ConfigError as exc:  # refused: a line break, or a value its field does not allow
        rendered, refusal = {}, str(exc)
    if refusal:
        assert str(model._meta.verbose_name) in refusal  # naming the row
    else:
        assert rendered == office


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_the_extension_form_refuses_a_name_with_config_syntax(manager: User, value):
    anna, _ = do_create_extension("101", "Anna")
    client = signed_in(Client(HTTP_ACCEPT_LANGUAGE="en"), manager)
    page = client.post(
        f"/admin/pbx/extension/{anna.pk}/change/",
        {"number": "101", "display_name": value, "kind": "softphone", **NO_ROTA},
    )
    assert page.status_code == 200 and page.context["adminform"].form.errors["display_name"]
    assert Extension.objects.get().display_name == "Anna"


def test_the_renderer_names_the_row_that_holds_a_line_break(office):
    Extension.objects.filter(number="101").update(display_name="Anna\n[evil]")
    with pytest.raises(ConfigError, match=r"^extension \d+: name shown on calls: A name cannot hold line breaks"):
        render_all()
