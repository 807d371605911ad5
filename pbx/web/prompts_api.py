"""Prompts over the REST API: upload a recording (multipart `audio`), have a text read out
(`source=speech`, `text`), or name a stock sound; fetch the audio the callers hear."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from rest_framework import parsers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request

from api.auth import actor
from compliance.audit import client_address
from pbx.audio import library
from pbx.audio.convert import BadAudio
from pbx.audio.speech import MAX_CHARACTERS
from pbx.models import Prompt
from pbx.prompts import audio_for_change, discard, do_delete_prompt, do_save_prompt


class PromptSerializer(serializers.ModelSerializer):
    audio = serializers.FileField(write_only=True, required=False, help_text="WAV, MP3, OGG or M4A, up to 10 min.")
    text = serializers.CharField(required=False, allow_blank=True, max_length=MAX_CHARACTERS)
    source = serializers.ChoiceField(
        choices=[c for c in Prompt.Source.choices if c[0] != Prompt.Source.PHONE], required=False
    )
    file_missing = serializers.BooleanField(read_only=True)

    class Meta:
        model = Prompt
        fields = ["id", "name", "source", "sound", "text", "audio", "seconds", "changed_at", "file_missing"]
        read_only_fields = ["seconds", "changed_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: Prompt | None = self.instance
        source = attrs.get("source") or (instance.source if instance else None)
        if source is None:
            source = Prompt.Source.UPLOAD if "audio" in attrs else Prompt.Source.SPEECH if "text" in attrs else None
        if source is None:
            raise serializers.ValidationError({"source": ["Say what is played: upload, speech or stock."]})
        attrs["source"] = source
        text = attrs.get("text", instance.text if instance else "")
        try:  # a stock sound's name is the model's own check (do_save_prompt runs it)
            self.context["new_audio"] = audio_for_change(instance or Prompt(), source, attrs.pop("audio", None), text)
        except BadAudio as exc:
            field = "audio" if source == Prompt.Source.UPLOAD else "text"
            raise serializers.ValidationError({field: [str(exc)]}) from exc
        return attrs


class PromptViewSet(viewsets.ModelViewSet):
    """Prompts callers hear: greetings, menus, announcements, recording notices."""

    model = Prompt
    scope_area = "prompts"
    serializer_class = PromptSerializer
    queryset = Prompt.objects.all()
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _save(self, serializer: serializers.BaseSerializer, prompt: Prompt) -> None:
        data = dict(serializer.validated_data)
        new = serializer.context.get("new_audio")
        kind = data.pop("source")
        for field, value in data.items():
            setattr(prompt, field, value)
        try:
            serializer.instance = do_save_prompt(
                prompt, new, kind, actor(self.request), source=client_address(self.request)
            )
        except Exception:
            discard(new)
            raise

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, Prompt())

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance: Prompt) -> None:
        do_delete_prompt(instance, actor(self.request), source=client_address(self.request))

    @action(detail=True, methods=["get"])
    def audio(self, request: Request, pk: str | None = None) -> FileResponse:
        """The prompt's own audio as callers hear it (WAV, 16 kHz)."""
        path = library.best_file(library.PROMPTS, self.get_object().file_stem)
        if path is None:
            raise Http404("This prompt has no audio of its own.")
        return FileResponse(path.open("rb"), content_type="audio/wav")
