from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from compliance.audit import client_address
from recordings.access import audio_response, do_fetch_audio
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording


@staff_member_required
def audio(request: HttpRequest, pk: str) -> HttpResponse:
    """Decrypt and send a recording to a signed-in user allowed to listen to it.

    Every play, download and refusal is written to the audit log (who, when, which, from where).
    """
    recording = get_object_or_404(Recording, pk=pk)
    download = request.GET.get("download") == "1"
    action = "recording.download" if download else "recording.play"
    user = request.user
    try:
        data = do_fetch_audio(user, recording, client_address(request), user.get_username(), action)
    except RecordingUnreadable:
        return HttpResponse("This recording was erased.", status=410, content_type="text/plain")
    return audio_response(recording, data, recording.asterisk_name if download else "")
