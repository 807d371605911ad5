"""What callers get: prompts, opening hours, and the destinations a call walks through."""

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from company_numbers.fields import E164Field
from pbx.audio import library

from .people import Extension, Weekday
from .policies import forward_target_problem

sound_name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_/-]*$",
    _("Use an Asterisk sound name: lower-case letters, digits, '_', '-' and '/', no extension."),
)


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("'%(tz)s' is not a time zone (e.g. Europe/Warsaw).") % {"tz": value})


class Prompt(models.Model):
    """A message played to callers: the office's own recording (uploaded, recorded by phone),
    a text read out, or one of Asterisk's stock sounds by name (e.g. 'hello-world'). Own audio
    lives in the sounds library (pbx/audio); a change writes new files under a new name."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("uploaded recording")
        PHONE = "phone", _("recorded by phone")
        SPEECH = "speech", _("text read out")
        STOCK = "stock", _("Asterisk's stock sound")

    name = models.CharField(_("name"), max_length=80, unique=True)
    source = models.CharField(_("what is played"), max_length=8, choices=Source.choices, default=Source.STOCK)
    sound = models.CharField(
        _("stock sound"),
        max_length=120,
        blank=True,
        validators=[sound_name_validator],
        help_text=_("Only for a stock sound: its name in Asterisk, e.g. hello-world."),
    )
    text = models.TextField(_("text read out"), blank=True, max_length=1000)
    file_stem = models.CharField(_("file"), max_length=40, blank=True, editable=False)
    seconds = models.FloatField(_("length (s)"), null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(_("audio changed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source == self.Source.STOCK and not self.sound:
            raise ValidationError({"sound": _("Name the stock sound, e.g. hello-world.")})

    @property
    def own_audio(self) -> bool:
        return self.source != self.Source.STOCK

    @property
    def media_uri(self) -> str:
        """What Asterisk plays. Stock sounds are localised by the configuration loader
        (pbx/directory.py) into the built-in Polish version where there is one."""
        if self.own_audio:
            return library.uri(library.PROMPTS, self.file_stem)
        return f"sound:{self.sound}"

    @property
    def file_missing(self) -> bool:
        return self.own_audio and not (self.file_stem and library.present(library.PROMPTS, self.file_stem))


class Schedule(models.Model):
    """Opening hours. Polish public holidays apply by themselves; closures and the manual
    day/night switch go on top."""

    class Override(models.TextChoices):
        NONE = "", _("automatic (hours, holidays, closures)")
        OPEN = "open", _("force open (day mode)")
        CLOSED = "closed", _("force closed (night mode)")

    name = models.CharField(_("name"), max_length=80, unique=True)
    timezone = models.CharField(_("time zone"), max_length=40, default="Europe/Warsaw", validators=[validate_timezone])
    public_holidays = models.BooleanField(_("closed on Polish public holidays"), default=True)
    override = models.CharField(_("manual switch"), max_length=6, choices=Override.choices, blank=True, default="")
    override_until = models.DateTimeField(
        _("switch until"), null=True, blank=True, help_text=_("Empty: until switched back by hand.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return self.name


class OpeningInterval(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening interval")
        verbose_name_plural = _("opening intervals")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})


class Closure(models.Model):
    """A one-off closed day (a team outing, an inventory day)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120)

    class Meta:
        ordering = ["date"]
        unique_together = [("schedule", "date")]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}"


class Queue(models.Model):
    """A ring group: who rings, in what order, for how long."""

    MUSIC_CLASS = "centrala-queue-{pk}"  # its class in musiconhold.conf, when it has music of its own

    class Strategy(models.TextChoices):
        RING_ALL = "ring_all", _("ring all at once")
        LINEAR = "linear", _("in order")
        ROTA = "rota", _("whoever is on duty")

    name = models.CharField(_("name"), max_length=80, unique=True)
    strategy = models.CharField(_("strategy"), max_length=10, choices=Strategy.choices, default=Strategy.RING_ALL)
    member_ring_seconds = models.PositiveSmallIntegerField(_("ring each phone for (s)"), default=15)
    max_wait_seconds = models.PositiveSmallIntegerField(_("maximum wait (s)"), default=60)
    music_on_hold = models.BooleanField(_("music on hold while waiting"), default=True)
    announce_place_seconds = models.PositiveSmallIntegerField(
        _("tell callers their place every (s)"),
        default=30,
        help_text=_("Over the hold music: “your call is second in the queue”. 0: never."),
    )
    offer_callback = models.BooleanField(
        _("waiting callers may press 1 to be called back"),
        default=True,
        help_text=_("Said after their place; pressing 1 ends the wait and makes a callback task."),
    )
    service_level_seconds = models.PositiveSmallIntegerField(
        _("answered in time within (s)"),
        default=20,
        help_text=_("The reports count a call as answered in time when a person took it within this many seconds."),
    )
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team supervisors"),
        blank=True,
        related_name="supervised_queues",
        help_text=_("They see this queue's calls and, with the supervisor role, listen to its recordings."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name

    def own_music(self) -> list[str]:
        """The library stems of its own hold music whose files are there, in its order."""
        tracks = sorted(self.music.all(), key=lambda m: (m.position, m.pk))
        return [m.prompt.file_stem for m in tracks if m.prompt.own_audio and not m.prompt.file_missing]

    @property
    def music_class_name(self) -> str:
        """The name its music class in musiconhold.conf has when it has music of its own."""
        return self.MUSIC_CLASS.format(pk=self.pk)

    @property
    def music_class(self) -> str:
        """Its music class in Asterisk when it has music of its own; "" for the default."""
        return self.music_class_name if self.own_music() else ""

    def clean(self) -> None:
        if self.member_ring_seconds and not 5 <= self.member_ring_seconds <= 120:
            raise ValidationError({"member_ring_seconds": _("Ring each phone for 5 to 120 seconds.")})
        if self.max_wait_seconds and self.max_wait_seconds < self.member_ring_seconds:
            raise ValidationError({"max_wait_seconds": _("The maximum wait cannot be shorter than one ring.")})


class QueueMusic(models.Model):
    """A recording of the firm's own, played to callers waiting in a queue (in turn, over and
    over). A prompt that is hold music cannot be deleted, like any prompt in use."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="music")
    prompt = models.ForeignKey(
        Prompt,
        verbose_name=_("recording"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=~models.Q(source="stock"),
        help_text=_("Upload it as a prompt first."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("hold music")
        verbose_name_plural = _("the firm's own hold music (empty: Centrala's music, opsound.org, CC BY-SA 3.0)")

    def __str__(self) -> str:
        return str(self.prompt)

    def clean(self) -> None:
        if self.prompt_id is not None and not self.prompt.own_audio:
            raise ValidationError({"prompt": _("Hold music is a recording of your own, not a stock sound.")})


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="members")
    extension = models.ForeignKey(Extension, verbose_name=_("extension"), on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        unique_together = [("queue", "extension")]
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")

    def __str__(self) -> str:
        return f"{self.position}. {self.extension}"


class Menu(models.Model):
    """An IVR menu: a prompt, then one key press chooses a destination."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    prompt = models.ForeignKey(Prompt, verbose_name=_("prompt"), on_delete=models.PROTECT, related_name="+")
    timeout_seconds = models.PositiveSmallIntegerField(_("wait for a key (s)"), default=5)
    retries = models.PositiveSmallIntegerField(_("repeat the menu"), default=2)
    invalid_prompt = models.ForeignKey(
        Prompt, verbose_name=_("wrong key message"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("IVR menu")
        verbose_name_plural = _("IVR menus")

    def __str__(self) -> str:
        return self.name


class MenuOption(models.Model):
    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="options")
    digit = models.CharField(
        _("key"), max_length=1, validators=[RegexValidator(r"^[0-9*#]$", _("One key: 0-9, * or #."))]
    )
    destination = models.ForeignKey(
        "Destination", verbose_name=_("goes to"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["digit"]
        unique_together = [("menu", "digit")]
        verbose_name = _("menu option")
        verbose_name_plural = _("menu options")

    def __str__(self) -> str:
        return f"{self.digit} → {self.destination}"


class Destination(models.Model):
    """One place a call can go. `then` is where it goes next: after an announcement, when
    nobody answers, when a menu gets no valid key, or when a callback offer is declined."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("ring an extension")
        QUEUE = "queue", _("ring a queue")
        MENU = "menu", _("IVR menu")
        ANNOUNCEMENT = "announcement", _("play an announcement")
        VOICEMAIL = "voicemail", _("take a message (voicemail)")
        CALLBACK_OFFER = "callback_offer", _("offer a callback (press 1)")
        EXTERNAL = "external", _("forward to an outside number")
        HANGUP = "hangup", _("hang up")

    NEEDS: dict[str, list[str]] = {
        Kind.EXTENSION: ["extension"],
        Kind.QUEUE: ["queue"],
        Kind.MENU: ["menu"],
        Kind.ANNOUNCEMENT: ["prompt"],
        Kind.CALLBACK_OFFER: ["prompt"],
        Kind.EXTERNAL: ["external_number"],
    }
    NO_THEN = {Kind.VOICEMAIL, Kind.HANGUP}

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("what happens"), max_length=16, choices=Kind.choices)
    prompt = models.ForeignKey(
        Prompt, verbose_name=_("message"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension = models.ForeignKey(
        Extension, verbose_name=_("extension"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    menu = models.ForeignKey(
        Menu, verbose_name=_("menu"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_number = E164Field(_("outside number"), blank=True)
    mailbox = models.ForeignKey(
        "voicemail.Mailbox",
        verbose_name=_("voicemail box"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a message: the box it goes to (its owners are told). Empty: no box, only a callback task."),
    )
    seconds = models.PositiveSmallIntegerField(
        _("seconds"), default=20, help_text=_("How long to ring, or the longest message to record.")
    )
    then = models.ForeignKey(
        "self",
        verbose_name=_("then / if not answered"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: hang up politely."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("destination")
        verbose_name_plural = _("destinations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, object] = {
            name: _("Required for “%(kind)s”.") % {"kind": self.get_kind_display()}
            for name in self.NEEDS.get(self.kind, [])
            if not getattr(self, name if name == "external_number" else f"{name}_id")
        }
        if self.kind in self.NO_THEN and self.then_id:
            errors["then"] = _("Nothing follows “%(kind)s”.") % {"kind": self.get_kind_display()}
        if self.pk and self.then_id == self.pk:
            errors["then"] = _("A destination cannot lead to itself.")
        if (
            self.kind == self.Kind.EXTERNAL
            and self.external_number
            and (problem := forward_target_problem(self.external_number))
        ):
            errors["external_number"] = problem
        if errors:
            raise ValidationError(errors)


class Scenario(models.Model):
    """What a company number does: one entry when open, one when closed (and on holidays)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    schedule = models.ForeignKey(
        Schedule,
        verbose_name=_("opening hours"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: always open."),
    )
    when_open = models.ForeignKey(Destination, verbose_name=_("when open"), on_delete=models.PROTECT, related_name="+")
    when_closed = models.ForeignKey(
        Destination, verbose_name=_("when closed"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_holiday = models.ForeignKey(
        Destination,
        verbose_name=_("on holidays and closures"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: as when closed."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.schedule_id and not self.when_closed_id:
            raise ValidationError({"when_closed": _("With opening hours, say what happens when closed.")})
