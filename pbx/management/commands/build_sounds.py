"""`manage.py build_sounds`: read Centrala's built-in messages out into the sounds library
(pbx/audio/system_prompts.py -> CENTRALA_SOUNDS_DIR/system/<language>/). Run by make run,
make test and the production image's entrypoint; a message whose text has not changed since
the last build is left alone, so a second run takes no time."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pbx.audio import library
from pbx.audio.convert import CONVERSION, BadAudio
from pbx.audio.speech import speak
from pbx.audio.system_prompts import POLISH

CATALOGS = {"pl": POLISH}
STAMP = "built.json"


class Command(BaseCommand):
    help = "Build the built-in messages callers hear (text to speech), in the callers' language."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--language", default=None, help="default: PROMPT_LANGUAGE")
        parser.add_argument("--force", action="store_true", help="build every message again")

    def handle(self, *args: Any, language: str | None, force: bool, **options: Any) -> None:
        language = language or settings.PROMPT_LANGUAGE
        if language not in CATALOGS:
            raise CommandError(
                f"no built-in messages in {language!r}; available: {', '.join(sorted(CATALOGS))}. "
                "Callers hear Asterisk's English sounds."
            )
        folder = library.folder(library.SYSTEM, language)
        stamp_path = folder / STAMP
        try:
            stamps: dict[str, str] = json.loads(stamp_path.read_text()) if stamp_path.is_file() and not force else {}
        except json.JSONDecodeError:
            stamps = {}
        engine = settings.SPEECH_COMMAND or "espeak-ng"
        built = 0
        for name, text in CATALOGS[language].items():
            digest = hashlib.sha256(f"{engine}\n{CONVERSION}\n{text}".encode()).hexdigest()
            if stamps.get(name) == digest and library.present(library.SYSTEM, language, name):
                continue
            try:
                speak(text, folder, name, language)
            except BadAudio as exc:
                raise CommandError(f"could not build {name!r}: {exc}") from exc
            stamps[name] = digest
            built += 1
            stamp_path.write_text(json.dumps(stamps, indent=1, sort_keys=True))
        for stale in set(stamps) - set(CATALOGS[language]):
            library.remove(library.SYSTEM, language, stale)
            del stamps[stale]
        stamp_path.write_text(json.dumps(stamps, indent=1, sort_keys=True))
        self.stdout.write(
            f"built-in messages ({language}): {built} built, {len(stamps) - built} unchanged, in {folder}"
        )
