"""The recordings part of the REST API."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pbx.models import Call
from recordings.actions import RecordingControlRefused, do_control_recording


class RecordingControlView(APIView):
    """POST /api/calls/{id}/recording/pause (or /resume): pause the live call's recording for
    card details, or resume it. 202: asked; the call's timeline shows when it happened."""

    scope_area = "recordings"  # POST: recordings:write; who may is do_control_recording's rule
    serializer_class = None

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=["pause", "resume"])],
        responses={202: inline_serializer("RecordingControlAccepted", {"call": serializers.UUIDField(),
                                                                       "requested": serializers.CharField()})},
    )  # fmt: skip
    def post(self, request: Request, pk: str, action: str) -> Response:
        call = get_object_or_404(Call, pk=pk)
        try:
            do_control_recording(request.user, call, action, source=request.META.get("REMOTE_ADDR", ""))
        except RecordingControlRefused as exc:
            return Response({"error": str(exc)}, status=exc.status)
        return Response({"call": str(call.pk), "requested": action}, status=status.HTTP_202_ACCEPTED)

    def get_view_name(self) -> str:
        return "Recording control"

    def http_method_not_allowed(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response({"error": f"Use POST, not {request.method}."}, status=status.HTTP_405_METHOD_NOT_ALLOWED)
