"""Checks over the whole stored configuration, for the admin."""

from pbx.callflow.validate import Problem, check
from pbx.directory import load_directory
from pbx.models import Destination


def configuration_problems() -> list[Problem]:
    names = dict(Destination.objects.values_list("pk", "name"))
    return check(load_directory(), names)
