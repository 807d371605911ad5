"""Checks over the whole stored configuration, for the admin."""

from pbx.ari.client import AriClient, AriError
from pbx.asterisk import run_with_ari
from pbx.callflow.validate import Problem, check, prompts_used
from pbx.models import Destination
from pbx.stasis.directory import load_directory


def configuration_problems(check_sounds: bool = True) -> list[Problem]:
    """Loops, dead ends and missing references; with `check_sounds`, prompts Asterisk lacks."""
    directory = load_directory()
    names = dict(Destination.objects.values_list("pk", "name"))
    problems = check(directory, names)
    if check_sounds:
        problems += missing_sounds(prompts_used(directory))
    return problems


def missing_sounds(media: set[str]) -> list[Problem]:
    """Ask Asterisk for each stock sound; a sound it does not have would play as silence. The
    sounds library's own files (absolute paths) are checked where they are written: a prompt
    whose file is missing is on the status page and in the compliance checklist."""
    parts = {part.removeprefix("sound:") for uri in media for part in uri.split(",")}
    sounds = sorted(part for part in parts if not part.startswith("/"))
    try:
        found = run_with_ari(lambda ari: _sounds_exist(ari, sounds))
    except AriError as exc:
        return [Problem("Asterisk", f"could not check that the prompts exist: {exc}")]
    missing = [sound for sound, ok in zip(sounds, found, strict=True) if not ok]
    return [Problem(f"sound:{sound}", "does not exist in Asterisk") for sound in missing]


async def _sounds_exist(ari: AriClient, sounds: list[str]) -> list[bool]:
    return [await ari.sound_exists(sound) for sound in sounds]
