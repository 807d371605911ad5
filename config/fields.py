"""Model fields the apps share. A leaf: it imports only Django."""

from typing import Any

from django.db import models


class HttpsURLField(models.URLField):
    """An address typed without a scheme means https (Django 6's default, chosen now)."""

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{"assume_scheme": "https", **kwargs})
