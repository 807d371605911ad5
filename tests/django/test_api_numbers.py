"""The numbers and porting part of the REST API, through integration tokens as a CRM uses it:
scopes, roles, clear errors that change nothing, and the porting flow to a routable number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from api.actions import do_create_token
from company_numbers.models import CompanyNumber, PortingRequest
from company_numbers.porting.calendar import is_working_day, next_working_day
from compliance.models import AuditEntry

pytestmark = pytest.mark.django_db
IN_A_MONTH = next_working_day(date.today() + timedelta(days=30))
ACME = {
    "subscriber_type": "company",
    "subscriber_name": "ACME sp. z o.o.",
    "nip": "5261040828",
    "address": "ul. Prosta 1, 00-001 Warszawa",
    "current_operator": "Orange",
    "requested_date": IN_A_MONTH.isoformat(),
    "numbers": ["22 555 12 34"],
}
ALL = ["numbers:read", "numbers:write", "porting:read", "porting:write"]


def last_working_day_before(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


@pytest.fixture
def office_manager() -> User:
    """Ola's colleague Basia, in the Office manager role (not a superuser)."""
    user = User.objects.create_user("basia", password="Basia-Long-Password-1")
    user.groups.add(Group.objects.get(name="Office manager"))
    return user


def crm(user: User, scopes: list[str] = ALL, name: str = "crm") -> APIClient:
    _, token = do_create_token(name, user, scopes, actor="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    return client


class TestNumbers:
    def test_a_number_written_as_people_do_is_stored_in_e164_and_audited(self, office_manager):
        response = crm(office_manager).post("/api/numbers/", {"e164": "0048 22 123-45-67", "label": "Biuro"})
        assert response.status_code == 201, response.content
        number = CompanyNumber.objects.get()
        assert response.json() == {
            "id": number.pk,
            "e164": "+48221234567",
            "label": "Biuro",
            "kind": "geographic",
            "status": "active",
            "scenario": None,
            "is_main": False,
            "routable": True,
        }
        entry = AuditEntry.objects.get(action="config.add")
        assert (entry.actor, entry.target) == ("basia (token crm)", f"numbers.companynumber:{number.pk}")

    def test_an_invalid_or_taken_number_is_named_and_nothing_is_written(self, office_manager):
        client = crm(office_manager)
        bad = client.post("/api/numbers/", {"e164": "12 34"})
        assert (bad.status_code, bad.json()) == (
            400,
            {"error": "Some fields are not valid.", "fields": {"e164": ["'12 34' is not a valid phone number"]}},
        )
        CompanyNumber.objects.create(e164="+48221234567")
        taken = client.post("/api/numbers/", {"e164": "22 123 45 67"})
        assert taken.json()["fields"] == {"e164": ["+48221234567 is already a company number here."]}
        assert CompanyNumber.objects.count() == 1
        assert not AuditEntry.objects.filter(action="config.add").exists()

    def test_one_main_number_at_a_time(self, office_manager):
        old = CompanyNumber.objects.create(e164="+48221234567", is_main=True)
        new = CompanyNumber.objects.create(e164="+48221234568")
        response = crm(office_manager).patch(f"/api/numbers/{new.pk}/", {"is_main": True}, format="json")
        assert response.status_code == 200, response.content
        assert list(CompanyNumber.objects.filter(is_main=True)) == [new]
        old.refresh_from_db()
        assert old.is_main is False

    def test_list_is_paged_and_filtered_by_a_number_in_any_form(self, office_manager):
        for last in range(60, 63):
            CompanyNumber.objects.create(e164=f"+482212345{last}")
        client = crm(office_manager)
        page = client.get("/api/numbers/", {"page_size": 2}).json()
        assert (page["count"], len(page["results"]), page["previous"]) == (3, 2, None)
        assert "page=2" in page["next"]
        found = client.get("/api/numbers/", {"number": "0 22 123 45 61"}).json()["results"]
        assert [n["e164"] for n in found] == ["+48221234561"]
        bad = client.get("/api/numbers/", {"status": "sleeping"})
        assert bad.status_code == 400
        assert bad.json()["fields"] == {"status": ["One of active, porting_in, porting_out, reserved."]}
        past_end = client.get("/api/numbers/", {"page": 9})
        assert (past_end.status_code, past_end.json()) == (404, {"error": "Invalid page."})

    def test_a_number_named_in_a_porting_request_cannot_be_deleted(self, office_manager):
        client = crm(office_manager)
        created = client.post("/api/porting-requests/", ACME, format="json")
        number = CompanyNumber.objects.get(e164="+48225551234")
        response = client.delete(f"/api/numbers/{number.pk}/")
        assert (response.status_code, response.json()) == (
            409,
            {"error": "It is still in use (1 object(s) refer to it)."},
        )
        assert CompanyNumber.objects.filter(pk=number.pk).exists()
        assert created.status_code == 201
        free = CompanyNumber.objects.create(e164="+48221234567")
        assert client.delete(f"/api/numbers/{free.pk}/").status_code == 204
        assert AuditEntry.objects.filter(action="config.delete", target=f"numbers.companynumber:{free.pk}").exists()


class TestPorting:
    def test_creation_returns_the_problems_deadlines_and_advice(self, office_manager):
        response = crm(office_manager).post(
            "/api/porting-requests/", {**ACME, "nip": "5261040829", "name_on_record": "ACME SP. Z O.O."}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["state"], body["numbers"]) == ("draft", ["+48225551234"])
        assert body["findings"]["problems"] == [
            "NIP '5261040829' is not valid: The number's checksum or check digit is invalid."
        ]
        assert body["findings"]["warnings"][0].startswith("The name differs from the operator's record")
        assert [d["what"] for d in body["deadlines"]] == ["last day to withdraw", "porting date", "number working here"]
        assert body["advice"][0].startswith("Do not terminate your contract")
        assert CompanyNumber.objects.get(e164="+48225551234").status == "porting_in"

    def test_bad_fields_are_named_and_nothing_is_written(self, office_manager):
        client = crm(office_manager)
        response = client.post(
            "/api/porting-requests/",
            {**ACME, "numbers": ["22 555 12 34", "999"], "subscriber_type": "alien", "requested_date": "soon"},
            format="json",
        )
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert set(fields) == {"numbers", "subscriber_type", "requested_date"}
        assert fields["subscriber_type"] == ['"alien" is not a valid choice.']
        CompanyNumber.objects.create(e164="+48225551234", status="active")
        in_use = client.post("/api/porting-requests/", ACME, format="json")
        assert (in_use.status_code, in_use.json()) == (
            409,
            {"error": "+48225551234 is already an active company number here."},
        )
        assert not PortingRequest.objects.exists()

    def test_the_flow_to_completion_makes_the_number_active(self, office_manager):
        client = crm(office_manager)
        porting = client.post("/api/porting-requests/", ACME, format="json").json()
        move = f"/api/porting-requests/{porting['id']}/move/"
        for step in ({"to": "validated"}, {"to": "submitted"}, {"to": "accepted"}):
            response = client.post(move, step, format="json")
            assert (response.status_code, response.json()["state"]) == (200, step["to"]), response.content
        # The operator confirmed a date that has passed by the time the number is switched over.
        port_date = last_working_day_before(date.today())
        scheduled = client.post(move, {"to": "scheduled", "port_date": port_date.isoformat()}, format="json")
        assert scheduled.json()["port_date"] == port_date.isoformat()
        done = client.post(move, {"to": "completed"}, format="json")
        assert (done.status_code, done.json()["state"]) == (200, "completed")
        number = CompanyNumber.objects.get(e164="+48225551234")
        assert (number.status, number.routable) == ("active", True)
        actions = list(
            AuditEntry.objects.filter(action__startswith="porting.").order_by("seq").values_list("action", flat=True)
        )
        assert actions == [
            "porting.create",
            "porting.validated",
            "porting.submitted",
            "porting.accepted",
            "porting.scheduled",
            "porting.completed",
        ]

    def test_refused_moves_say_why_and_change_nothing(self, office_manager):
        client = crm(office_manager)
        porting = client.post("/api/porting-requests/", {**ACME, "nip": ""}, format="json").json()
        move = f"/api/porting-requests/{porting['id']}/move/"
        not_ready = client.post(move, {"to": "validated"}, format="json")
        assert (not_ready.status_code, not_ready.json()) == (
            409,
            {"error": "The request is not ready:\n- A company needs NIP or REGON or register number (KRS/CEIDG)."},
        )
        skip = client.post(move, {"to": "completed"}, format="json")
        assert skip.json() == {"error": "A draft request cannot become completed; allowed: validated, withdrawn."}
        unknown = client.post(move, {"to": "lost"}, format="json")
        assert unknown.json() == {
            "error": "Some fields are not valid.",
            "fields": {"to": ['"lost" is not a valid choice.']},
        }
        no_reason = client.post(move, {"to": "withdrawn"}, format="json")
        assert no_reason.json() == {"error": "Say why the request is withdrawn (reason)."}
        assert PortingRequest.objects.get().state == "draft"
        assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
            "api.token_create",
            "porting.create",
        ]

    def test_only_a_draft_is_edited_and_its_numbers_stay(self, office_manager):
        client = crm(office_manager)
        porting = client.post("/api/porting-requests/", {**ACME, "nip": ""}, format="json").json()
        url = f"/api/porting-requests/{porting['id']}/"
        fixed = client.patch(url, {"nip": "526-104-08-28"}, format="json")
        assert (fixed.status_code, fixed.json()["findings"]["problems"]) == (200, [])
        renumber = client.patch(url, {"numbers": ["22 555 12 35"]}, format="json")
        assert renumber.json()["fields"] == {
            "numbers": ["The numbers are set when the request is created; withdraw it and create a new one."]
        }
        client.post(f"{url}move/", {"to": "validated"}, format="json")
        late = client.patch(url, {"current_operator": "Play"}, format="json")
        assert (late.status_code, late.json()) == (
            409,
            {"error": "Only a draft can be edited; this request is validated."},
        )
        assert PortingRequest.objects.get().current_operator == "Orange"

    def test_open_requests_are_listed_by_state(self, office_manager):
        client = crm(office_manager)
        client.post("/api/porting-requests/", ACME, format="json")
        client.post("/api/porting-requests/", {**ACME, "numbers": ["22 555 12 36"]}, format="json")
        first = PortingRequest.objects.order_by("pk").first()
        assert first is not None
        client.post(
            f"/api/porting-requests/{first.pk}/move/", {"to": "withdrawn", "reason": "changed our mind"}, format="json"
        )
        assert client.get("/api/porting-requests/", {"state": "open"}).json()["count"] == 1
        assert client.get("/api/porting-requests/", {"state": "withdrawn"}).json()["results"][0]["reason"] == (
            "changed our mind"
        )
        assert client.get("/api/porting-requests/", {"state": "gone"}).status_code == 400
