"""Prompts in the admin: upload a recording, type a text to be read out, or name a stock
sound; hear the result at once. Conversion happens while the form is checked, so a file
that cannot become a prompt is an error on the form and nothing is saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from compliance.admin_audit import AuditedModelAdmin
from pbx.audio.convert import BadAudio
from pbx.audio.speech import MAX_CHARACTERS
from pbx.callflow.services import RECORD_PROMPT_CODE
from pbx.models import Prompt
from pbx.prompts import NewAudio, audio_for_change, discard, use_audio


class PromptForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("Recording"),
        required=False,
        help_text=_("WAV, MP3, OGG or M4A, up to 10 minutes; it is converted for the phone network."),
    )

    class Meta:
        model = Prompt
        fields = ["name", "source", "upload", "text", "sound"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "maxlength": MAX_CHARACTERS})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.source if self.instance.pk else None
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            c for c in Prompt.Source.choices if c[0] != Prompt.Source.PHONE or current == c[0]
        ]
        self.new_audio: NewAudio | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source", "")
        try:  # the instance still holds the prompt as it was: what changed decides
            self.new_audio = audio_for_change(self.instance, source, data.get("upload"), data.get("text", ""))
        except BadAudio as exc:
            self.add_error("upload" if source == Prompt.Source.UPLOAD else "text", str(exc))
        return data

    def full_clean(self) -> None:
        super().full_clean()  # the fields, clean() above, then the model's own checks
        if self.errors:  # nothing saved: the audio converted for it goes
            discard(self.new_audio)
            self.new_audio = None

    def save(self, commit: bool = True) -> Prompt:
        prompt: Prompt = super().save(commit=False)
        use_audio(prompt, self.new_audio, prompt.source)
        if commit:
            prompt.save()
        return prompt


@admin.register(Prompt)
class PromptAdmin(AuditedModelAdmin):
    form = PromptForm
    list_display = ["name", "source", "length", "player"]
    list_filter = ["source"]
    search_fields = ["name", "text", "sound"]
    readonly_fields = ["player", "length", "changed_at", "phone_code"]

    def get_fields(self, request: HttpRequest, obj: Prompt | None = None) -> list[str]:  # type: ignore[override]
        fields = ["name", "source", "upload", "text", "sound"]
        return [*fields, "player", "length", "changed_at", "phone_code"] if obj is not None else fields

    @admin.display(description=_("record by phone"))
    def phone_code(self, prompt: Prompt) -> str:
        return str(
            _(
                "Dial %(code)s on your desk phone, type your PIN and #, speak after the tone, press #, "
                "listen, then 1 to keep it (2 to record again). *96 alone records a new prompt."
            )
            % {"code": f"{RECORD_PROMPT_CODE}{prompt.pk}"}
        )

    @admin.display(description=_("listen"))
    def player(self, prompt: Prompt) -> str:
        if prompt.source == Prompt.Source.STOCK or prompt.pk is None:
            return "—"
        if prompt.file_missing:
            return str(_("The file of this prompt is missing: callers hear a general greeting instead."))
        url = reverse("admin-prompt-audio", args=[prompt.pk])
        return format_html('<audio controls preload="none" src="{}?v={}"></audio>', url, prompt.file_stem)

    @admin.display(description=_("length"))
    def length(self, prompt: Prompt) -> str:
        return f"{prompt.seconds:.1f} s" if prompt.seconds is not None else "—"
