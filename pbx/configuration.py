"""Checks over the whole stored configuration, for the admin."""

from django.utils.translation import gettext, gettext_noop

from pbx.ari.client import AriClient, AriError
from pbx.asterisk import run_with_ari
from pbx.callflow.validate import Problem, check, prompts_used
from pbx.directory import load_directory
from pbx.models import Destination


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
    return [
        Problem(f"sound:{sound}", "does not exist in Asterisk", "sound_missing", {"sound": sound}) for sound in missing
    ]


async def _sounds_exist(ari: AriClient, sounds: list[str]) -> list[bool]:
    return [await ari.sound_exists(sound) for sound in sounds]


# What each problem means, for the office manager, and what to do about it.
PROBLEM_TEXTS = {
    "no_scenario": gettext_noop("has no scenario: callers hear that the number is not in service. Choose a scenario."),
    "leads_nowhere": gettext_noop("leads to %(target)s, which does not exist. Choose where it should lead."),
    "starts_nowhere": gettext_noop("starts at %(target)s, which does not exist. Choose where calls start."),
    "loop": gettext_noop(
        "sends callers round in a loop without them choosing anything: %(route)s. Change one of the steps."
    ),
    "menu_no_keys": gettext_noop("is a menu with no keys to press. Add at least one option."),
    "queue_empty": gettext_noop("rings queue %(queue)s, which has no members. Add people to the queue."),
    "rota_empty": gettext_noop("rings whoever is on duty for %(queue)s, but nobody is on the rota. Fill in the rota."),
    "no_extension": gettext_noop("rings extension %(extension)s, which does not exist. Choose another person."),
    "sound_missing": gettext_noop(
        "the sound %(sound)s does not exist in Asterisk: callers hear silence there. Choose another prompt "
        "or upload a recording."
    ),
}


def problem_text(problem: Problem) -> str:
    """A problem as one sentence in the office's language, naming the place and the fix."""
    template = PROBLEM_TEXTS.get(problem.code)
    text = gettext(template) % dict(problem.params) if template else problem.message
    return f"{problem.where}: {text}"
