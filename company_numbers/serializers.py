"""What the API shows and takes for company numbers and porting requests."""

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from company_numbers.models import CompanyNumber, PortingRequest
from company_numbers.porting.flow import ADVICE, MOVES, check, deadlines
from pbx.phone import InvalidPhoneNumber, to_e164


class PhoneNumberField(serializers.CharField):
    """Takes a number as people write it ('22 123 45 67', '0048...'); gives E.164."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=32, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            return to_e164(text)
        except InvalidPhoneNumber as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CompanyNumberSerializer(serializers.ModelSerializer):
    e164 = PhoneNumberField(help_text="Any usual form; stored and shown as E.164 (+48221234567).")
    routable = serializers.BooleanField(read_only=True, help_text="Whether calls to it reach its scenario now.")

    class Meta:
        model = CompanyNumber
        fields = ["id", "e164", "label", "kind", "status", "scenario", "is_main", "routable"]
        read_only_fields = ["kind"]
        # A new main number takes the mark (CompanyNumber.save), so "another is main" is no error.
        extra_kwargs: dict[str, dict[str, list[object]]] = {"is_main": {"validators": []}}

    def validate_e164(self, value: str) -> str:
        taken = CompanyNumber.objects.filter(e164=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(f"{value} is already a company number here.")
        return value


class FindingsSerializer(serializers.Serializer):
    problems = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


class DeadlineSerializer(serializers.Serializer):
    what = serializers.CharField()
    due = serializers.DateField()
    note = serializers.CharField()


class PortedNumbersField(serializers.ListField):
    """Numbers as people write them in; the request's numbers (E.164) out."""

    def to_representation(self, data: Any) -> list[str]:
        return [ported.number.e164 for ported in data.select_related("number")]


class PortingRequestSerializer(serializers.ModelSerializer):
    numbers = PortedNumbersField(
        child=PhoneNumberField(), min_length=1, help_text="The numbers to port; set on creation only."
    )
    findings = serializers.SerializerMethodField(help_text="Problems stop the request; warnings are for a person.")
    deadlines = serializers.SerializerMethodField(help_text="What is due when, in Polish working days.")
    advice = serializers.SerializerMethodField()

    class Meta:
        model = PortingRequest
        fields = [
            "id",
            "state",
            "subscriber_type",
            "subscriber_name",
            "name_on_record",
            "pesel",
            "id_document",
            "nip",
            "regon",
            "register_number",
            "address",
            "correspondence_address",
            "installation_address",
            "current_operator",
            "contract_end_date",
            "notice",
            "requested_date",
            "numbers",
            "submitted_on",
            "port_date",
            "reason",
            "findings",
            "deadlines",
            "advice",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["state", "submitted_on", "port_date", "reason", "created_at", "updated_at"]

    @extend_schema_field(FindingsSerializer)
    def get_findings(self, obj: PortingRequest) -> dict[str, list[str]]:
        found = check(obj, timezone.localdate())
        return {"problems": found.problems, "warnings": found.warnings}

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, obj: PortingRequest) -> list[dict[str, Any]]:
        return [{"what": d.what, "due": d.due.isoformat(), "note": d.note} for d in deadlines(obj)]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_advice(self, obj: PortingRequest) -> list[str]:
        return [str(advice) for advice in ADVICE]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "numbers" in attrs:
            raise serializers.ValidationError(
                {"numbers": ["The numbers are set when the request is created; withdraw it and create a new one."]}
            )
        return attrs


class MoveSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=list(MOVES), help_text="The state to move the request to.")
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)
    port_date = serializers.DateField(required=False, allow_null=True, default=None)
