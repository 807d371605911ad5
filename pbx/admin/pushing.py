"""What every configuration screen does after a save: push the change to Asterisk once it
commits, and say plainly what would strand or loop a caller."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pbx.asterisk_config import config_changed
from pbx.configuration import configuration_problems, problem_text


@contextmanager
def pushing_config(request: HttpRequest, why: str) -> Iterator[None]:
    """Changes made inside reach Asterisk once, when they commit (pbx.asterisk_config.
    config_changed); if Asterisk could not take them, the manager is told plainly."""

    def report(problem: str) -> None:
        messages.warning(request, _("Saved, but Asterisk has not picked it up yet: %(e)s") % {"e": problem})

    with transaction.atomic():
        config_changed(why, on_failure=report)
        yield


def report_problems(request: HttpRequest) -> None:
    """After a save of call logic: say what would strand or loop a caller, if anything, as a
    warning naming the place and the fix (the save itself succeeded). Sounds Asterisk lacks are
    not about this save: the telephony status page lists them."""
    for problem in configuration_problems(check_sounds=False):
        messages.warning(request, problem_text(problem))
