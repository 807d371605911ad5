"""`manage.py sync_sounds`: the office's prompts between this host's sounds library and the
storage (pbx/audio/stored.py): what is missing here is fetched, what is only here is sent.
The web and Stasis containers run it as they start; run it by hand after adding a host."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pbx.audio import stored
from pbx.models import Prompt


class Command(BaseCommand):
    help = "Bring the office's prompts from the storage into this host's sounds library, and back."

    def handle(self, *args: Any, **options: Any) -> None:
        stems = list(Prompt.objects.exclude(file_stem="").values_list("file_stem", flat=True))
        try:
            result = stored.sync(stems)
        except OSError as error:
            raise CommandError(f"the storage could not be reached: {error}") from error
        self.stdout.write(f"{len(stems)} prompts: {result.fetched} files fetched, {result.sent} files sent")
        for stem in result.missing or []:
            name = Prompt.objects.filter(file_stem=stem).values_list("name", flat=True).first()
            self.stderr.write(f"prompt {name!r}: its audio ({stem}) is neither here nor in the storage")
