"""What the API shows and takes for calls, their notes and timelines, and callbacks."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from company_numbers.serializers import PhoneNumberField
from pbx.models import Call, CallbackTask, CallEvent, CallNote, Extension


class CallNoteSerializer(serializers.ModelSerializer):
    text = serializers.CharField(max_length=4000, allow_blank=True)

    class Meta:
        model = CallNote
        fields = ["id", "author_name", "text", "created_at"]
        read_only_fields = ["author_name", "created_at"]

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Write what was agreed; an empty note says nothing.")
        return value.strip()


class CallEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallEvent
        fields = ["at", "kind", "detail"]


class CallSerializer(serializers.ModelSerializer):
    queue = serializers.CharField(source="queue.name", default=None, read_only=True)
    staff = serializers.SerializerMethodField(help_text="Extensions that talked on the call.")
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    notes = CallNoteSerializer(many=True, read_only=True)
    recordings = serializers.SerializerMethodField(help_text="Ids; /api/recordings/{id}/ has the details.")

    class Meta:
        model = Call
        fields = [
            "id",
            "direction",
            "caller",
            "called",
            "started_at",
            "answered_at",
            "ended_at",
            "duration_seconds",
            "outcome",
            "hangup_cause",
            "hangup_cause_text",
            "hung_up_by",
            "queue",
            "staff",
            "notes",
            "recordings",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_staff(self, call: Call) -> list[str]:
        return sorted(x.number for x in call.staff.all())

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_recordings(self, call: Call) -> list[str]:
        return [str(r.pk) for r in call.recordings.all()]


class CallDetailSerializer(CallSerializer):
    timeline = CallEventSerializer(source="events", many=True, read_only=True)

    class Meta(CallSerializer.Meta):
        fields = [*CallSerializer.Meta.fields, "timeline"]


class CallbackSerializer(serializers.ModelSerializer):
    number = PhoneNumberField()
    assigned_to = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Extension.objects.all(),
        required=False,
        allow_null=True,
        help_text="Extension number; empty: whoever picks it up.",
    )
    call = serializers.UUIDField(source="call_id", read_only=True, allow_null=True)

    class Meta:
        model = CallbackTask
        fields = ["id", "number", "reason", "status", "requested_at", "assigned_to", "done_at", "call"]
        read_only_fields = ["status", "requested_at", "done_at"]
        extra_kwargs = {"reason": {"default": CallbackTask.Reason.REQUESTED}}


class ClickToCallSerializer(serializers.Serializer):
    extension = serializers.SlugRelatedField(
        slug_field="number", queryset=Extension.objects.all(), help_text="The staff phone that rings first."
    )
    number = PhoneNumberField(help_text="The customer's number, called when staff answer.")


class StartCallbackSerializer(serializers.Serializer):
    extension = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Extension.objects.all(),
        required=False,
        help_text="Default: the extension the callback is assigned to.",
    )
