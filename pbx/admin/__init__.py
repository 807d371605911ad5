from . import callbacks, calls, config  # noqa: F401  (registers the admin classes)
