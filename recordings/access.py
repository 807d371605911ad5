"""Who may listen to which recording, and the log of refusals.

A person needs the view_recording permission, and then:
- with view_all_recordings (data-protection officer): every recording;
- otherwise (team supervisor, agent): recordings of calls through the queues they supervise,
  and voicemail messages left for them: in a box they own, or from a caller they are to call
  back. When one of those people plays a message, it counts as heard.
A purpose that names who may listen (ProcessingPurpose.listeners, as roles) narrows this
further: only members of those roles hear its recordings. Superusers see everything.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpResponse

from compliance.audit import do_audit
from pbx.access import User
from recordings.models import Recording
from voicemail.actions import do_mark_heard, may_hear_as_owner, messages_for
from voicemail.models import Message


def recordings_visible_to(user: User) -> QuerySet[Recording]:
    if user.is_superuser:  # type: ignore[union-attr]
        return Recording.objects.all()
    if not user.has_perm("recordings.view_recording"):  # type: ignore[union-attr]
        return Recording.objects.none()
    visible = Recording.objects.all()
    if not user.has_perm("recordings.view_all_recordings"):  # type: ignore[union-attr]
        # their teams' calls, and the messages left for them (their boxes, their callbacks)
        visible = visible.filter(Q(call__queue__supervisors=user.pk) | messages_for(user))
    groups = user.groups.all()  # type: ignore[union-attr]
    narrowed = Recording.objects.filter(purpose__listeners__isnull=False).exclude(purpose__listeners__in=groups)
    return visible.exclude(pk__in=narrowed.values("pk")).distinct()


def check_can_listen(user: User, recording: Recording, source: str) -> None:
    """Raise PermissionDenied, after writing the refused attempt to the audit log, unless
    `user` may listen to `recording`."""
    if recordings_visible_to(user).filter(pk=recording.pk).exists():
        return
    log_refusal(user, recording, source)
    raise PermissionDenied("You may not listen to this recording.")


def do_fetch_audio(user: User, recording: Recording, source: str, actor: str, action: str) -> bytes:
    """The decrypted audio for someone allowed to hear it, the fetch (`action`: recording.play
    or recording.download) in the audit log. Raises PermissionDenied, the refusal logged, or
    recordings.crypto.RecordingUnreadable once the recording was erased."""
    check_can_listen(user, recording, source=source)
    data = recording.audio()
    do_audit(actor, action, str(recording.pk), source=source, call=str(recording.call_id))
    message = Message.objects.filter(recording=recording).first()
    if message is not None and may_hear_as_owner(user, recording):
        do_mark_heard(message, actor, source)  # heard by one of its people; not by an auditor
    return data


def audio_response(recording: Recording, data: bytes, attachment_name: str = "") -> HttpResponse:
    """The audio, never cached; saved as `attachment_name`.<format> when one is given."""
    response = HttpResponse(data, content_type=f"audio/{recording.format}")
    response["Cache-Control"] = "private, no-store"
    if attachment_name:
        response["Content-Disposition"] = f'attachment; filename="{attachment_name}.{recording.format}"'
    return response


def log_refusal(user: User, recording: Recording, source: str) -> None:
    do_audit(user.get_username(), "recording.refused", str(recording.pk), source=source, call=str(recording.call_id))
