"""The calls part of the REST API: history with timelines and notes, callbacks, click-to-call.
Everyone sees the calls pbx/access.py lets them see, through the admin or through here."""

from datetime import datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import actor
from api.errors import Conflict, bad_query
from compliance.audit import client_address
from pbx.access import callbacks_visible_to, calls_visible_to, extension_to_ring, may_ring
from pbx.actions import do_add_call_note
from pbx.ari.client import AriError
from pbx.callbacks import CallbackError, do_click_to_call, do_complete_callback, do_create_callback, do_start_callback
from pbx.models import Call, CallbackTask
from pbx.phone import InvalidPhoneNumber, to_e164
from pbx.web.serializers import (
    CallbackSerializer,
    CallDetailSerializer,
    CallNoteSerializer,
    CallSerializer,
    ClickToCallSerializer,
    StartCallbackSerializer,
)


class AsteriskUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Asterisk cannot be reached; try again in a moment."


def _moment(raw: str, field: str, end_of_day: bool = False) -> datetime:
    """'2026-11-24' (the whole day, local time) or an ISO date-time."""
    try:  # a plain date first: parse_datetime would read it as midnight
        if (day := parse_date(raw)) is not None:
            return timezone.make_aware(datetime.combine(day, time.max if end_of_day else time.min))
        if (moment := parse_datetime(raw)) is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        pass
    raise bad_query(field, f"{raw!r} is not a date (2026-11-24) or date-time (2026-11-24T08:00:00+01:00).")


CALL_FILTERS = [
    OpenApiParameter("number", str, description="Caller or called number, in any usual form."),
    OpenApiParameter("since", str, description="From this date (local) or date-time on."),
    OpenApiParameter("until", str, description="Up to this date (the whole day) or date-time."),
    OpenApiParameter("outcome", str, enum=list(Call.Outcome.values)),
    OpenApiParameter("direction", str, enum=list(Call.Direction.values)),
    OpenApiParameter("queue", str, description="Queue name."),
]


class CallViewSet(viewsets.ReadOnlyModelViewSet):
    """The call history, newest first, as far as your role sees it."""

    model = Call
    scope_area = "calls"
    serializer_class = CallSerializer
    permission_action: str | None = None

    def get_serializer_class(self) -> Any:
        return CallDetailSerializer if self.action == "retrieve" else CallSerializer

    @extend_schema(parameters=CALL_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Call]:
        calls = calls_visible_to(self.request.user).select_related("queue")
        calls = calls.prefetch_related("staff", "notes", "recordings").order_by("-started_at")
        return self._filtered(calls, self.request.query_params) if self.action == "list" else calls

    def _filtered(self, calls: QuerySet[Call], query: Any) -> QuerySet[Call]:
        if raw := query.get("number"):
            try:
                number = to_e164(raw)
            except InvalidPhoneNumber as exc:
                raise bad_query("number", str(exc)) from exc
            calls = calls.filter(Q(caller=number) | Q(called=number))
        if raw := query.get("since"):
            calls = calls.filter(started_at__gte=_moment(raw, "since"))
        if raw := query.get("until"):
            calls = calls.filter(started_at__lte=_moment(raw, "until", end_of_day=True))
        for field, choices in (("outcome", Call.Outcome.values), ("direction", Call.Direction.values)):
            if (value := query.get(field)) and value not in choices:
                raise bad_query(field, f"One of {', '.join(choices)}.")
            if value:
                calls = calls.filter(**{field: value})
        if name := query.get("queue"):
            calls = calls.filter(queue__name=name)
        return calls

    @extend_schema(request=CallNoteSerializer, responses={201: CallNoteSerializer})
    @action(detail=True, methods=["post"], permission_action="view")
    def notes(self, request: Request, pk: str) -> Response:
        """Add a note to a call you can see (what was agreed). Notes cannot be edited."""
        call = self.get_object()
        note = CallNoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        saved = do_add_call_note(call, request.user, note.validated_data["text"], source=client_address(request))
        return Response(CallNoteSerializer(saved).data, status=status.HTTP_201_CREATED)


class CallbackViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Calls the firm owes: open first, oldest first."""

    model = CallbackTask
    scope_area = "callbacks"
    serializer_class = CallbackSerializer
    queryset = CallbackTask.objects.all()  # narrowed per person in get_queryset
    permission_action: str | None = None

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(CallbackTask.Status.values))])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[CallbackTask]:
        tasks = callbacks_visible_to(self.request.user)
        if value := self.request.query_params.get("status"):
            if value not in CallbackTask.Status.values:
                raise bad_query("status", f"One of {', '.join(CallbackTask.Status.values)}.")
            tasks = tasks.filter(status=value)
        return tasks

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = do_create_callback(CallbackTask(**serializer.validated_data), actor(self.request))

    @extend_schema(request=None, responses=CallbackSerializer)
    @action(detail=True, methods=["post"], permission_action="change")
    def complete(self, request: Request, pk: str) -> Response:
        """Mark it called back (e.g. the CRM user phoned from a mobile)."""
        try:
            task = do_complete_callback(self.get_object(), actor(request))
        except CallbackError as exc:
            raise Conflict(str(exc)) from exc
        return Response(CallbackSerializer(task).data)

    @extend_schema(request=StartCallbackSerializer, responses={202: CallbackSerializer})
    @action(detail=True, methods=["post"], permission_action="change")
    def call(self, request: Request, pk: str) -> Response:
        """Call back now: the extension's phone rings; when staff answer, the customer is called."""
        task = self.get_object()
        body = StartCallbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = extension_to_ring(request.user, task, body.validated_data.get("extension"))
        if target is None:
            raise PermissionDenied("You can ring only your own extension.")
        _start(task, target.number, actor(request))
        task.refresh_from_db()
        return Response(CallbackSerializer(task).data, status=status.HTTP_202_ACCEPTED)


def _start(task: CallbackTask, extension: str | None, actor: str = "") -> str:
    try:
        return do_start_callback(task, extension, actor=actor)
    except CallbackError as exc:
        raise Conflict(str(exc)) from exc
    except AriError as exc:
        raise AsteriskUnavailable() from exc


class ClickToCallView(APIView):
    """POST /api/click-to-call: ring a staff extension; when it answers, call the customer
    (presenting the company's number). The call appears in the history like any other."""

    model = CallbackTask
    scope_area = "callbacks"
    permission_action = "change"  # agents may (their own extension); the task is Centrala's record
    serializer_class = ClickToCallSerializer

    @extend_schema(request=ClickToCallSerializer, responses={202: CallbackSerializer})
    def post(self, request: Request) -> Response:
        body = ClickToCallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        extension = body.validated_data["extension"]
        if not may_ring(request.user, extension):
            raise PermissionDenied("You can ring only your own extension.")
        try:
            task = do_click_to_call(body.validated_data["number"], extension, actor(request))
        except CallbackError as exc:
            raise Conflict(str(exc)) from exc
        except AriError as exc:
            raise AsteriskUnavailable() from exc
        return Response(CallbackSerializer(task).data, status=status.HTTP_202_ACCEPTED)
