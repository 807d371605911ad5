"""The call history the Stasis app writes."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pbx.local_time import office_time


class Call(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "inbound", _("inbound")
        OUTBOUND = "outbound", _("outbound")
        INTERNAL = "internal", _("internal")

    class Outcome(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        ANSWERED = "answered", _("answered")
        VOICEMAIL = "voicemail", _("left a message")
        MISSED = "missed", _("missed")
        REJECTED = "rejected", pgettext_lazy("call outcome", "rejected")
        FAILED = "failed", _("failed")
        LOST = "lost", _("lost track (closed on reconnect)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel_id = models.CharField(_("Asterisk channel"), max_length=150, unique=True)
    sip_call_id = models.CharField(_("SIP Call-ID"), max_length=255, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    caller = models.CharField(_("caller"), max_length=32, blank=True, db_index=True)
    called = models.CharField(_("called"), max_length=32, blank=True, db_index=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.IN_PROGRESS)
    hangup_cause = models.PositiveSmallIntegerField(_("hangup cause (Q.850)"), null=True, blank=True)
    hangup_cause_text = models.CharField(_("hangup cause"), max_length=80, blank=True)
    hung_up_by = models.CharField(
        _("hung up by"),
        max_length=10,
        blank=True,
        choices=[("caller", _("caller")), ("centrala", _("Centrala")), ("", _("unknown"))],
    )
    # For the reports (reports/figures.py): when a person first took the call and who (an
    # extension, or the outside number a forward reached), and whether the caller gave up
    # while the firm's phones rang or they waited in a queue.
    connected_at = models.DateTimeField(_("a person answered"), null=True, blank=True)
    waited = models.DurationField(_("waited to be answered"), null=True, blank=True)
    answered_by = models.CharField(_("answered by"), max_length=32, blank=True, db_index=True)
    abandoned = models.BooleanField(_("caller gave up waiting"), default=False)
    # Which Stasis process served it (STASIS_WORKERS): each closes and stores only its own. The
    # database default lets a process of an older version go on writing during an upgrade.
    stasis_worker = models.PositiveSmallIntegerField(_("Stasis worker"), default=1, db_default=1, editable=False)
    # Who may see the call and its recordings follows from these two (see pbx/access.py).
    queue = models.ForeignKey(
        "pbx.Queue", verbose_name=_("queue"), null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    staff = models.ManyToManyField(
        "pbx.Extension", verbose_name=_("staff on the call"), blank=True, related_name="calls"
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        permissions = [("view_all_calls", _("Can see every call, not only own or own team's"))]
        indexes = [
            models.Index(fields=["direction", "started_at"], name="call_direction_started"),
            # the calls still going on (few): where the reports' summary stops (reports/summary.py)
            models.Index(fields=["started_at"], condition=models.Q(ended_at__isnull=True), name="call_open_started"),
        ]

    def __str__(self) -> str:
        return f"{self.caller or '?'} → {self.called or '?'} ({office_time(self.started_at)})"

    @property
    def duration_seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


class CallEvent(models.Model):
    """One step of a call's timeline, as the call-flow core reported it."""

    class Kind(models.TextChoices):
        """The core's StepKind and the history's HistoryKind (pbx.callflow.vocabulary), with
        labels; tests/django/test_vocabulary.py keeps them equal."""

        STARTED = "started", _("Call started")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", _("Call ended")
        LOST = "lost", _("Lost track of the call")
        CALLBACK_TASK = "callback_task", _("Callback task created")
        ENCRYPTION = "encryption", _("Phone encryption checked")
        HOURS = "hours", _("Opening hours")
        ANNOUNCEMENT = "announcement", _("Announcement")
        MENU = "menu", _("IVR menu")
        MENU_CHOICE = "menu_choice", _("Menu key pressed")
        MENU_INVALID = "menu_invalid", _("Wrong menu key")
        MENU_NO_INPUT = "menu_no_input", _("No menu key pressed")
        MENU_GAVE_UP = "menu_gave_up", _("Menu gave up")
        RING_EXTENSION = "ring_extension", _("Rings an extension")
        RING_QUEUE = "ring_queue", _("Rings a queue")
        RING_PLAN_B = "ring_plan_b", _("Plan B: rings mobiles")
        RING_TRANSFER = "ring_transfer", _("Rings the transfer target")
        RING_EXTERNAL = "ring_external", _("Forwards to an outside number")
        RING_OUTBOUND = "ring_outbound", _("Dials out")
        RING_EMERGENCY = "ring_emergency", _("Emergency call dialled")
        RING_PARKED = "ring_parked", _("Parked")
        QUEUE_PLACE = "queue_place", _("Told the caller their place in the queue")
        CALLBACK_INSTEAD = (
            "callback_instead",
            _("Asked to be called back instead of waiting"),
        )
        LEG_FAILED = "leg_failed", _("Did not pick up")
        NOT_ANSWERED = "not_answered", _("Nobody answered")
        CONNECTED = "connected", _("Connected")
        STAFF_HUNG_UP = "staff_hung_up", _("Staff hung up")
        TRANSFERRED = "transferred", _("Transferred")
        TRANSFER_REFUSED = "transfer_refused", _("Transfer refused")
        HANDED_OVER = "handed_over", _("Caller handed over to the colleague consulted")
        RESUMED = "resumed", _("Interrupted by a restart and resumed")
        VOICEMAIL = "voicemail", _("Voicemail")
        CALLBACK_OFFER = "callback_offer", _("Callback offered")
        CALLBACK_DECLINED = "callback_declined", _("Callback not requested")
        RECORDING = "recording", _("Recording started")
        RECORDING_NOTICE = "recording_notice", _("Recording announced")
        RECORDING_OBJECTION = "recording_objection", _("Objected to recording")
        RECORDING_PAUSED = "recording_paused", _("Recording paused")
        RECORDING_RESUMED = "recording_resumed", _("Recording resumed")
        RECORDING_FAILED = "recording_failed", _("Recording failed")
        NOT_RECORDED = "not_recorded", _("Not recorded")
        CALLER_ID = "caller_id", _("Number shown")
        TOLL_ALERT = "toll_alert", _("Toll-fraud alert")
        OUTBOUND_BLOCKED = "outbound_blocked", _("Outside call refused")
        OUTBOUND_CUT = "outbound_cut", _("Outside call cut off")
        EMERGENCY_CALL = "emergency_call", _("Emergency call")
        NOT_IN_SERVICE = "not_in_service", _("Number not in service")
        BAD_ARGUMENTS = "bad_arguments", _("Refused: malformed call")
        LOOP_STOPPED = "loop_stopped", _("Configuration loop stopped")
        COMMAND_FAILED = "command_failed", _("Asterisk refused a step")
        CALLER_HUNG_UP = "caller_hung_up", _("Caller hung up")
        HANGUP = "hangup", _("Centrala hung up")
        DND = "dnd", _("Do not disturb: not rung")
        FORWARDED = "forwarded", _("Forwarded by the person's own setting")
        FORWARD_REFUSED = "forward_refused", _("Forward from the phone refused")
        PICKED_UP = "picked_up", _("Picked up from another phone")
        PHONE_SERVICE = "phone_service", _("Staff phone service")
        PIN_WRONG = "pin_wrong", _("Wrong PIN")
        PIN_ACCEPTED = "pin_accepted", _("PIN accepted")
        PIN_LOCKED = "pin_locked", _("Refused: too many wrong PINs in the last hour")
        PROMPT_RECORDED = "prompt_recorded", _("Prompt recorded by phone")
        MESSAGE_PLAYED = "message_played", _("Voicemail message played on the phone")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("event"), max_length=40, choices=Kind.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")

    def __str__(self) -> str:
        return str(self.get_kind_display())


class CallNote(models.Model):
    """What was agreed on a call, written by the staff. Part of the caller's data (DSAR export)."""

    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "auth.User", verbose_name=_("author"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(_("author"), max_length=150, editable=False)
    text = models.TextField(_("note"), max_length=4000)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("call note")
        verbose_name_plural = _("call notes")

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:60]}"
