"""Data-subject requests through the API, for a DPO's ticketing tool: record a request, see its
deadline, export everything about the number (ZIP), carry out an erasure."""

from typing import Any

from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.auth import actor
from api.errors import Conflict
from company_numbers.serializers import PhoneNumberField
from compliance.audit import do_audit
from compliance.dsar import RequestNotOpen, do_carry_out_erasure, do_export_to_stream
from compliance.models import DataSubjectRequest


class DataSubjectRequestSerializer(serializers.ModelSerializer):
    number = PhoneNumberField()
    due_on = serializers.DateField(read_only=True, help_text="One month from receipt, three when extended.")

    class Meta:
        model = DataSubjectRequest
        fields = ["id", "kind", "number", "requester", "received_on", "extended", "due_on", "status", "outcome"]
        read_only_fields = ["status", "outcome"]


class DataSubjectRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    model = DataSubjectRequest
    scope_area = "dsar"
    serializer_class = DataSubjectRequestSerializer
    queryset = DataSubjectRequest.objects.all()
    permission_action: str | None = None

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            serializer.save()
            do_audit(
                actor(self.request), "dsar.create", f"dsar:{serializer.instance.pk}", kind=serializer.instance.kind
            )

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], permission_action="view")
    def export(self, request: Request, pk: str) -> FileResponse:
        """Everything about the request's number: calls, notes, callbacks, decrypted recordings,
        purposes and a SHA-256 manifest, as one ZIP. Logged."""
        dsr = self.get_object()
        name = f"dsar-{dsr.pk}.zip"
        archive, _ = do_export_to_stream(dsr.number, name, actor(request))
        return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")

    @extend_schema(request=None, responses=DataSubjectRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="change")
    def erase(self, request: Request, pk: str) -> Response:
        """Carry out an open erasure request: recordings go by key destruction except those under
        legal hold, which are named with the reason in the outcome; the request is closed."""
        dsr = self.get_object()
        try:
            do_carry_out_erasure(dsr, actor(request))
        except RequestNotOpen as exc:
            raise Conflict(str(exc)) from exc
        return Response(DataSubjectRequestSerializer(dsr).data, status=status.HTTP_200_OK)
