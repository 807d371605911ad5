"""Large XLSX exports of the call list, built by the worker instead of a web request: an XLSX
is a zip, written whole before it can be sent, and a year of calls takes minutes (openpyxl,
about 4,000 rows a second). CSV needs none of this: it streams.

- The person asks (the call list's *Eksport XLSX* with more than XLSX_CALLS calls) and is sent
  to a page that shows it coming and then offers the file.
- The worker rebuilds the call list with the person's own filters and scope, writes the
  workbook, encrypts it like a recording (recordings/crypto.py) and stores it.
- Only that person downloads it; a day later the file and its row are gone (a job every hour).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recordings.crypto import decrypt, encrypt

from .export import xlsx_file
from .models import Export

KEPT = timedelta(days=1)


def do_request_calls_export(user: Any, query: str) -> Export:
    export = Export.objects.create(requested_by=user, query=query)
    transaction.on_commit(lambda: _queue(str(export.pk)))
    return export


def _queue(export_id: str) -> None:
    from django_q.tasks import async_task

    async_task("reports.exports.build_calls_export", export_id)


def build_calls_export(export_id: str) -> str:
    """The worker's job: the whole call list as the person filtered it, as XLSX."""
    from . import call_list

    export = Export.objects.select_related("requested_by").get(pk=export_id)
    request = RequestFactory().get(f"/admin/pbx/call/?{export.query}")
    request.user = export.requested_by
    try:
        with translation.override(settings.LANGUAGE_CODE):
            _calls, header, rows = call_list.table(request)
            counted = 0

            def counting() -> Any:
                nonlocal counted
                for row in rows:
                    counted += 1
                    yield row

            with xlsx_file(_("Calls"), header, counting()) as spool:
                stored, export.wrapped_key = encrypt(spool.read(), str(export.pk))
        export.file.save(f"{export.pk}.xlsx.enc", ContentFile(stored), save=False)
        export.status, export.rows = Export.Status.READY, counted
    except Exception as error:
        export.status, export.error = Export.Status.FAILED, f"{type(error).__name__}: {error}"[:300]
        raise
    finally:
        export.finished_at = timezone.now()
        export.save()
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(n)d calls exported") % {"n": counted}


def workbook(export: Export) -> bytes:
    with export.file.open("rb") as handle:
        return decrypt(handle.read(), bytes(export.wrapped_key), str(export.pk))


def forget_old_exports() -> int:
    """The worker's hourly job: exports older than a day go, file and row."""
    old = Export.objects.filter(created_at__lt=timezone.now() - KEPT)
    gone = 0
    for export in old:
        if export.file and default_storage.exists(export.file.name):
            default_storage.delete(export.file.name)
        export.delete()
        gone += 1
    return gone
