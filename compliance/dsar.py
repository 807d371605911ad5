"""Data-subject requests: find everything about a phone number, export it, erase what may go."""

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.audit import do_audit
from pbx.local_time import office_stamp

if TYPE_CHECKING:
    from compliance.models import DataSubjectRequest
from compliance.models import DataSubjectRequest
from pbx.models import Call, CallbackTask, CallNote
from pbx.phone import InvalidPhoneNumber, to_e164
from recordings.actions import do_erase_recording
from recordings.crypto import RecordingUnreadable
from recordings.models import Recording


@dataclass
class Findings:
    number: str
    calls: list[Call] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    callbacks: list[CallbackTask] = field(default_factory=list)


def find_everything(raw_number: str) -> Findings:
    """Every call, recording and callback involving the number. Raises InvalidPhoneNumber."""
    number = to_e164(raw_number)
    calls = list(Call.objects.filter(caller=number) | Call.objects.filter(called=number))
    return Findings(
        number=number,
        calls=sorted(calls, key=lambda c: c.started_at),
        recordings=list(Recording.objects.filter(call__in=calls).select_related("purpose").order_by("created_at")),
        callbacks=list(CallbackTask.objects.filter(number=number).order_by("requested_at")),
    )


def do_export_to_stream(raw_number: str, name: str, actor: str) -> tuple[BinaryIO, Findings]:
    """do_export for a download: the ZIP as an open file whose name is already gone from disk.
    Its decrypted recordings must not outlive the download (a later erasure by key destruction
    would leave them behind), so the folder is removed before the file is handed over."""
    with tempfile.TemporaryDirectory(prefix="centrala-dsar-") as folder:
        path = Path(folder) / name
        findings = do_export(raw_number, path, actor)
        archive = path.open("rb")  # stays readable once the folder is gone
    return archive, findings


def do_export(raw_number: str, output: Path, actor: str) -> Findings:
    """Write a ZIP: decrypted recordings, calls.csv, callbacks.csv, purposes.json, manifest.json.

    Written to a temporary name and renamed, so a failed export never leaves a partial file.
    """
    findings = find_everything(raw_number)
    partial = output.with_name(output.name + ".partial")
    manifest: list[dict[str, object]] = []
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in _documents(findings):
                archive.writestr(name, data)
                manifest.append({"file": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})
            archive.writestr(
                "manifest.json",
                json.dumps(
                    {
                        "number": findings.number,
                        "exported_at": timezone.now().isoformat(),
                        "files": manifest,
                    },
                    indent=2,
                    ensure_ascii=False,
                ),
            )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    do_audit(actor, "dsar.export", findings.number, calls=len(findings.calls), recordings=len(findings.recordings))
    return findings


def _documents(findings: Findings) -> list[tuple[str, bytes]]:
    # For the person who asked: in the office's language, times in its zone, outcomes in words.
    with translation.override(settings.LANGUAGE_CODE):
        documents = [
            ("calls.csv", _calls_csv(findings)),
            ("notes.csv", _notes_csv(findings)),
            ("callbacks.csv", _callbacks_csv(findings)),
        ]
    purposes = {}
    for recording in findings.recordings:
        try:
            documents.append((f"recordings/{recording.pk}.{recording.format}", recording.audio()))
        except RecordingUnreadable:
            continue  # erased: nothing left to hand over
        if recording.purpose:
            p = recording.purpose
            purposes[p.name] = {
                "legal_basis": p.get_legal_basis_display(),
                "retention_days": p.retention_days,
                "notice": p.notice_text,
                "notice_url": p.notice_url,
            }
    documents.append(("purposes.json", json.dumps(purposes, indent=2, ensure_ascii=False).encode()))
    return documents


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _calls_csv(findings: Findings) -> bytes:
    return _csv(
        [
            _("call"),
            _("direction"),
            _("caller"),
            _("number called"),
            _("started"),
            _("answered"),
            _("ended"),
            _("outcome"),
            _("recordings"),
        ],
        [
            [
                c.pk,
                c.get_direction_display(),
                c.caller,
                c.called,
                office_stamp(c.started_at),
                office_stamp(c.answered_at),
                office_stamp(c.ended_at),
                c.get_outcome_display(),
                sum(1 for r in findings.recordings if r.call_id == c.pk),
            ]
            for c in findings.calls
        ],
    )


def _notes_csv(findings: Findings) -> bytes:
    """What staff wrote about the calls: personal data about the caller as much as the call."""
    notes = CallNote.objects.filter(call__in=findings.calls).order_by("created_at")
    return _csv(
        [_("call"), _("written"), _("author"), _("note")],
        [[n.call_id, office_stamp(n.created_at), n.author_name, n.text] for n in notes],
    )


def _callbacks_csv(findings: Findings) -> bytes:
    return _csv(
        [_("requested"), _("reason"), _("status"), _("done")],
        [
            [office_stamp(t.requested_at), t.get_reason_display(), t.get_status_display(), office_stamp(t.done_at)]
            for t in findings.callbacks
        ],
    )


@dataclass(frozen=True)
class ErasureReport:
    erased: int
    kept: list[tuple[str, str]]  # (recording id, why it was kept)


def do_erase_subject(raw_number: str, actor: str) -> ErasureReport:
    """Erase the number's recordings by key destruction, except those under legal hold
    (art. 17(3)(e)), and say why each kept one was kept. Call metadata stays (billing and
    accounting obligations, art. 17(3)(b)); callback tasks for the number are cancelled."""
    findings = find_everything(raw_number)
    kept, erased = [], 0
    for recording in findings.recordings:
        if recording.on_hold:
            why = _("legal hold: %(reason)s (art. 17(3)(e))") % {"reason": recording.hold_reason}
            kept.append((str(recording.pk), why))
        elif recording.wrapped_key:
            do_erase_recording(recording, actor, reason=f"erasure request for {findings.number}")
            erased += 1
    with transaction.atomic():
        CallbackTask.objects.filter(number=findings.number, status=CallbackTask.Status.OPEN).update(
            status=CallbackTask.Status.CANCELLED
        )
        do_audit(actor, "dsar.erase", findings.number, erased=erased, kept=[k for k, _ in kept])
    return ErasureReport(erased=erased, kept=kept)


class RequestNotOpen(Exception):
    """The request is not an open erasure request."""


def do_carry_out_erasure(subject: "DataSubjectRequest", actor: str) -> ErasureReport:
    """Carry out an open erasure request: erase, then record on the request what was done and
    why anything was kept, and close it. Raises RequestNotOpen otherwise."""
    if subject.kind != DataSubjectRequest.Kind.ERASURE or subject.status != DataSubjectRequest.Status.OPEN:
        raise RequestNotOpen(f"{subject}: only open erasure requests can be carried out.")
    report = do_erase_subject(subject.number, actor)
    subject.outcome = erasure_outcome(report)
    subject.status = DataSubjectRequest.Status.DONE
    subject.save(update_fields=["outcome", "status"])
    return report


def erasure_outcome(report: ErasureReport) -> str:
    """What was done and why, for the request's record and the answer to the person."""
    text = _("%(n)d recording(s) erased by key destruction. Call metadata kept (accounting, art. 17(3)(b)).") % {
        "n": report.erased
    }
    kept = "; ".join(f"{recording}: {why}" for recording, why in report.kept)
    return _("%(erased)s Kept: %(kept)s") % {"erased": text, "kept": kept} if kept else str(text)


__all__ = [
    "InvalidPhoneNumber",
    "do_erase_subject",
    "do_export",
    "do_export_to_stream",
    "find_everything",
]
