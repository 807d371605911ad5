from . import callbacks, calls, config, prompts  # noqa: F401  (registers the admin classes)
