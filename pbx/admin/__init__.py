from . import callbacks, calls, config, people, prompts  # noqa: F401  (registers the admin classes)
