from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from compliance.audit import do_audit
from recordings.access import check_can_listen
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording


@staff_member_required
def audio(request: HttpRequest, pk: str) -> HttpResponse:
    """Decrypt and send a recording to a signed-in user allowed to listen to it.

    Every play, download and refusal is written to the audit log (who, when, which, from where).
    """
    recording = get_object_or_404(Recording, pk=pk)
    check_can_listen(request.user, recording, source=request.META.get("REMOTE_ADDR", ""))
    download = request.GET.get("download") == "1"
    try:
        data = recording.audio()
    except RecordingUnreadable:
        return HttpResponse("This recording was erased.", status=410, content_type="text/plain")
    action = "recording.download" if download else "recording.play"
    do_audit(request.user.get_username(), action, str(recording.pk), source=request.META.get("REMOTE_ADDR", ""),
             call=str(recording.call_id))  # fmt: skip
    response = HttpResponse(data, content_type=f"audio/{recording.format}")
    response["Cache-Control"] = "private, no-store"
    if download:
        response["Content-Disposition"] = f'attachment; filename="{recording.asterisk_name}.{recording.format}"'
    return response
