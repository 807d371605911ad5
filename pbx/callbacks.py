"""Callback tasks as people change them (the API, the admin): created, called back now (the
staff phone rings first, then the customer), completed, and click-to-call. Each audits
itself. The Stasis app's own changes to tasks (a caller asked, the customer answered) are call
facts, in pbx/actions.py."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.audit import do_audit
from pbx.ari.client import AriClient, AriError
from pbx.asterisk import run_with_ari
from pbx.callflow import names
from pbx.models import CallbackTask, Extension


class CallbackError(Exception):
    """The callback cannot start (already done, nobody to ring)."""


def do_start_callback(task: CallbackTask, extension: str | None = None, actor: str = "") -> str:
    """Ring `extension` (default: the task's assignee) into the Stasis app, which calls the
    customer when the staff member answers, presenting the company's number. Returns the
    extension rung. With `actor`, the audit log says who asked. Whether that person may ring
    that phone is the caller's to check (pbx.access.extension_to_ring)."""
    if task.status in (CallbackTask.Status.DONE, CallbackTask.Status.CANCELLED):
        raise CallbackError(f"The callback to {task.number} is already {task.get_status_display()}.")
    target = extension or (task.assigned_to.number if task.assigned_to else "")
    if not target:
        raise CallbackError(f"The callback to {task.number} is assigned to nobody: assign an extension first.")
    person = Extension.objects.filter(number=target).prefetch_related("devices").first()
    logins = [target, *(device.sip_username for device in person.active_devices())] if person else [target]

    async def ring_every_phone(ari: AriClient) -> None:
        """All of the person's phones ring; the first to answer calls the customer and the
        call flow stops the others (pbx/callflow/staff_calls.py). A phone that is off is
        skipped; only when none could be rung does this fail."""
        failure: AriError | None = None
        rung = 0
        for login in logins:
            try:
                await ari.originate(
                    channel_id=names.callback_phone(str(task.pk), login),
                    endpoint=f"PJSIP/{login}",
                    app=settings.ARI_APP,
                    args=("callback", str(task.pk), task.number, target),
                    caller_id=f'"Oddzwoń" <{task.number}>',
                    timeout_seconds=30,
                )
                rung += 1
            except AriError as exc:
                failure = exc
        if not rung and failure is not None:
            raise failure

    run_with_ari(ring_every_phone)
    with transaction.atomic():
        CallbackTask.objects.filter(pk=task.pk).update(status=CallbackTask.Status.DIALLING)
        if actor:
            do_audit(actor, "callback.call", f"callback:{task.pk}", number=task.number, extension=target)
    return target


def do_create_callback(task: CallbackTask, actor: str) -> CallbackTask:
    """A task someone entered by hand (a CRM, the admin): saved with the time it was asked for."""
    with transaction.atomic():
        task.requested_at = task.requested_at or timezone.now()
        task.save()
        do_audit(actor, "callback.create", f"callback:{task.pk}", number=task.number)
    return task


def do_complete_callback(task: CallbackTask, actor: str) -> CallbackTask:
    """Mark it called back (e.g. from a mobile). CallbackError when it is done or cancelled."""
    if task.status in (CallbackTask.Status.DONE, CallbackTask.Status.CANCELLED):
        raise CallbackError(f"The callback is already {task.get_status_display()}.")
    task.status, task.done_at = CallbackTask.Status.DONE, timezone.now()
    with transaction.atomic():
        task.save(update_fields=["status", "done_at"])
        do_audit(actor, "callback.complete", f"callback:{task.pk}")
    return task


def do_click_to_call(number: str, extension: Extension, actor: str) -> CallbackTask:
    """Ring `extension`; when it answers, call `number` from the company's number. The task
    records it; when nothing rang (Asterisk away, CallbackError), no task is left behind.
    Whether `actor` may ring that phone is the caller's to check (pbx.access.may_ring)."""
    task = CallbackTask.objects.create(
        number=number, requested_at=timezone.now(), reason=CallbackTask.Reason.CLICK_TO_CALL, assigned_to=extension
    )
    try:
        do_start_callback(task, extension.number)
    except Exception:
        task.delete()
        raise
    do_audit(actor, "callback.click_to_call", f"callback:{task.pk}", number=task.number, extension=extension.number)
    task.refresh_from_db()
    return task
