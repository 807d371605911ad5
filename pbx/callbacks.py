"""Click-to-call for callback tasks: the staff phone rings first, then the customer."""

from django.conf import settings
from django.db import transaction

from compliance.audit import do_audit
from pbx.ari.client import run_with_ari
from pbx.models import CallbackTask


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
    run_with_ari(
        lambda ari: ari.originate(
            channel_id=f"callback-{task.pk}",
            endpoint=f"PJSIP/{target}",
            app=settings.ARI_APP,
            args=("callback", str(task.pk), task.number, target),
            caller_id=f'"Oddzwoń" <{task.number}>',
            timeout_seconds=30,
        )
    )
    with transaction.atomic():
        CallbackTask.objects.filter(pk=task.pk).update(status=CallbackTask.Status.DIALLING)
        if actor:
            do_audit(actor, "callback.call", f"callback:{task.pk}", number=task.number, extension=target)
    return target
