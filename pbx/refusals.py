"""Why an action refused, in the domain's words, never an HTTP status: the API maps these to
its answers in one place (api/errors.py), the admin shows their sentence. A leaf: it imports
nothing, so any app may raise them."""


class Refused(Exception):
    """An action that cannot be done; the message says why, in a sentence for people."""


class UnknownRequest(Refused):
    """The request names something that does not exist (an unknown action)."""


class BadInput(Refused):
    """What was given cannot be used (a file that is not audio, a text too long to read out)."""


class NotAllowed(Refused):
    """This person may not do this."""


class NotNow(Refused):
    """Not possible in the current state (the call has ended, the task is done)."""


class AsteriskAway(Refused):
    """Asterisk could not be reached; trying again later may work."""
