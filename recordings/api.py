"""The recordings part of the REST API."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor
from compliance.audit import client_address
from pbx.models import Call
from recordings.access import audio_response, do_fetch_audio, recordings_visible_to
from recordings.actions import do_control_recording
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording


class RecordingControlView(APIView):
    """POST /api/calls/{id}/recording/pause (or /resume): pause the live call's recording for
    card details, or resume it. 202: asked; the call's timeline shows when it happened."""

    scope_area = "recordings"  # POST: recordings:write; who may is do_control_recording's rule
    serializer_class = None

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=["pause", "resume"])],
        responses={
            202: inline_serializer(
                "RecordingControlAccepted", {"call": serializers.UUIDField(), "requested": serializers.CharField()}
            )
        },
    )
    def post(self, request: Request, pk: str, action: str) -> Response:
        call = get_object_or_404(Call, pk=pk)
        do_control_recording(request.user, call, action, source=client_address(request))  # refusals: api/errors.py
        return Response({"call": str(call.pk), "requested": action}, status=status.HTTP_202_ACCEPTED)

    def get_view_name(self) -> str:
        return "Recording control"

    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response({"error": f"Use POST, not {request.method}."}, status=status.HTTP_405_METHOD_NOT_ALLOWED)


class RecordingSerializer(serializers.ModelSerializer):
    purpose = serializers.CharField(source="purpose.name", default=None, read_only=True)
    erased = serializers.SerializerMethodField()
    audio = serializers.SerializerMethodField(help_text="Where to fetch the decrypted audio (logged).")

    class Meta:
        model = Recording
        fields = [
            "id",
            "call",
            "kind",
            "format",
            "duration_seconds",
            "size_bytes",
            "sha256",
            "purpose",
            "created_at",
            "expires_at",
            "hold_reason",
            "erased",
            "audio",
        ]

    def get_erased(self, recording: Recording) -> bool:
        return not recording.wrapped_key

    def get_audio(self, recording: Recording) -> str:
        return f"/api/recordings/{recording.pk}/audio/"


class RecordingViewSet(viewsets.ReadOnlyModelViewSet):
    """Recordings you may listen to (your role, your teams, the purpose's listeners): metadata
    here, the audio at /audio with every fetch in the audit log."""

    model = Recording
    scope_area = "recordings"
    serializer_class = RecordingSerializer
    permission_action: str | None = None

    def get_queryset(self) -> QuerySet[Recording]:
        return recordings_visible_to(self.request.user).select_related("purpose")

    @extend_schema(responses={(200, "audio/wav"): OpenApiTypes.BINARY, 410: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def audio(self, request: Request, pk: str) -> HttpResponse:
        """The decrypted audio. A refusal is logged too; 410 once the recording was erased."""
        recording = get_object_or_404(Recording, pk=pk)
        source = client_address(request)
        try:
            data = do_fetch_audio(request.user, recording, source, actor(request), "recording.download")
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except RecordingUnreadable:
            return Response({"error": "This recording was erased."}, status=status.HTTP_410_GONE)
        return audio_response(recording, data, str(recording.pk))
