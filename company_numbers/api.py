"""The numbers part of the REST API: company numbers, porting requests and their moves.
Auth, scopes, errors and paging: api/ (docs/api.md)."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from api.auth import actor
from api.errors import Conflict, bad_query
from company_numbers.actions import do_delete_number, do_save_number
from company_numbers.models import CompanyNumber, PortingRequest
from company_numbers.porting.flow import OPEN, PortingError, do_create_request, do_edit_request, do_move
from company_numbers.serializers import CompanyNumberSerializer, MoveSerializer, PortingRequestSerializer
from compliance.audit import client_address
from pbx.phone import InvalidPhoneNumber, to_e164


def _who(request: Request) -> tuple[str, str]:
    return actor(request), client_address(request)


class CompanyNumberViewSet(viewsets.ModelViewSet):
    """Company numbers: the public numbers callers dial, each routed to a scenario."""

    model = CompanyNumber
    scope_area = "numbers"
    serializer_class = CompanyNumberSerializer
    queryset = CompanyNumber.objects.all()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(
        parameters=[
            OpenApiParameter("number", str, description="One number, in any usual form."),
            OpenApiParameter("status", str, enum=list(CompanyNumber.Status.values)),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[CompanyNumber]:
        numbers = super().get_queryset()
        if raw := self.request.query_params.get("number"):
            try:
                numbers = numbers.filter(e164=to_e164(raw))
            except InvalidPhoneNumber as exc:
                raise bad_query("number", str(exc)) from exc
        if status := self.request.query_params.get("status"):
            if status not in CompanyNumber.Status.values:
                raise bad_query("status", f"One of {', '.join(CompanyNumber.Status.values)}.")
            numbers = numbers.filter(status=status)
        return numbers

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.instance = do_save_number(CompanyNumber(), dict(serializer.validated_data), *_who(self.request))

    def perform_update(self, serializer: BaseSerializer) -> None:
        do_save_number(serializer.instance, dict(serializer.validated_data), *_who(self.request))

    def perform_destroy(self, instance: CompanyNumber) -> None:
        do_delete_number(instance, *_who(self.request))


class PortingRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Porting requests: bringing numbers from another operator, with every problem named
    before the operator sees it, and the deadlines in Polish working days."""

    model = PortingRequest
    scope_area = "porting"
    serializer_class = PortingRequestSerializer
    queryset = PortingRequest.objects.all()
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_action: str | None = None  # set per action: a move needs change_portingrequest

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "state",
                str,
                description="A state, or 'open' for every request not completed or withdrawn.",
                enum=["open", *PortingRequest.State.values],
            )
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[PortingRequest]:
        requests = super().get_queryset()
        state = self.request.query_params.get("state")
        if state == "open":
            return requests.filter(state__in=OPEN)
        if state:
            if state not in PortingRequest.State.values:
                raise bad_query("state", f"'open' or one of {', '.join(PortingRequest.State.values)}.")
            return requests.filter(state=state)
        return requests

    def perform_create(self, serializer: BaseSerializer) -> None:
        fields = dict(serializer.validated_data)
        numbers = fields.pop("numbers")
        try:
            serializer.instance = do_create_request(fields, numbers, _who(self.request)[0])
        except PortingError as exc:
            raise Conflict(str(exc)) from exc

    def perform_update(self, serializer: BaseSerializer) -> None:
        try:
            do_edit_request(serializer.instance, dict(serializer.validated_data), _who(self.request)[0])
        except PortingError as exc:
            raise Conflict(str(exc)) from exc

    @extend_schema(request=MoveSerializer, responses=PortingRequestSerializer)
    @action(detail=True, methods=["post"], permission_action="change")
    def move(self, request: Request, pk: str) -> Response:
        """Move the request to another state (validated, submitted, accepted, rejected with a
        reason, scheduled with the operator's port_date, completed, withdrawn with a reason).
        409 names every reason the move is not possible now."""
        porting = self.get_object()
        move = MoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        try:
            do_move(
                porting,
                move.validated_data["to"],
                _who(request)[0],
                timezone.localdate(),
                reason=move.validated_data["reason"],
                port_date=move.validated_data["port_date"],
            )
        except PortingError as exc:
            raise Conflict(str(exc)) from exc
        return Response(PortingRequestSerializer(porting).data)
