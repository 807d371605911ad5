from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404

from recordings.models import Recording


@staff_member_required
def audio(request: HttpRequest, pk: str) -> FileResponse:
    """Stream a recording to a signed-in user allowed to view recordings. Never public."""
    if not request.user.has_perm("recordings.view_recording"):
        raise PermissionDenied
    recording = get_object_or_404(Recording, pk=pk)
    response = FileResponse(recording.file.open("rb"), content_type=f"audio/{recording.format}")
    response["Cache-Control"] = "private, no-store"
    return response
