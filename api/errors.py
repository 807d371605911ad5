"""One shape for every API error: {"error": "what is wrong"}, plus {"fields": {...}} naming
each bad field when the request body or query did not validate."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from pbx.refusals import AsteriskAway, BadInput, NotAllowed, NotNow, Refused, UnknownRequest

# The domain's refusals (pbx/refusals.py) as HTTP statuses: here and nowhere else.
REFUSAL_STATUS = {
    UnknownRequest: status.HTTP_400_BAD_REQUEST,
    BadInput: status.HTTP_400_BAD_REQUEST,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    NotNow: status.HTTP_409_CONFLICT,
    AsteriskAway: status.HTTP_503_SERVICE_UNAVAILABLE,
}


class Conflict(exceptions.APIException):
    """The request is well formed but the thing is not in a state that allows it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not possible in the current state."


def bad_query(field: str, message: str) -> exceptions.ValidationError:
    """A query parameter that is not valid, named like a bad body field: 400 with "fields"."""
    return exceptions.ValidationError({field: [message]})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Refused):
        code = next((code for kind, code in REFUSAL_STATUS.items() if isinstance(exc, kind)), status.HTTP_409_CONFLICT)
        return Response({"error": str(exc)}, status=code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages)
    if isinstance(exc, ProtectedError):
        exc = Conflict(f"It is still in use ({len(exc.protected_objects)} object(s) refer to it).")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"error": str(response.data["detail"])}
    return response


def _validation_body(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        general = data.pop("non_field_errors", None) or data.pop("__all__", None)
        fields = {name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for name, msgs in data.items()}
        message = " ".join(str(m) for m in general) if general else "Some fields are not valid."
        body: dict[str, Any] = {"error": message}
        if fields:
            body["fields"] = fields
        return body
    messages = data if isinstance(data, list) else [data]
    return {"error": " ".join(str(m) for m in messages)}
