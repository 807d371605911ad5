"""Webhooks signed as the Standard Webhooks specification says.

- Each secret becomes whsec_ + base64 of the same bytes, so the key a receiver holds stays the
  key Centrala signs with (only the headers and the body change).
- Each delivery's payload is {"type", "timestamp", "data"} (was {"event", "at", "data"}),
  so one sent again has the new shape too."""

import base64

import api.models
from django.db import migrations, models


def forward(apps, schema_editor):
    Endpoint = apps.get_model("api", "WebhookEndpoint")
    Delivery = apps.get_model("api", "WebhookDelivery")
    for endpoint in Endpoint.objects.exclude(secret__startswith="whsec_"):
        endpoint.secret = "whsec_" + base64.b64encode(endpoint.secret.encode()).decode()
        endpoint.save(update_fields=["secret"])
    batch = []
    for delivery in Delivery.objects.filter(payload__has_key="event").iterator(chunk_size=2000):
        old = delivery.payload
        delivery.payload = {"type": old.get("event"), "timestamp": old.get("at"), "data": old.get("data")}
        batch.append(delivery)
        if len(batch) == 2000:
            Delivery.objects.bulk_update(batch, ["payload"])
            batch = []
    Delivery.objects.bulk_update(batch, ["payload"])


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_webhooks'),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='webhookendpoint',
            name='secret',
            field=models.CharField(default=api.models.new_webhook_secret, help_text='Deliveries are signed with this secret as the Standard Webhooks specification says; give it to the receiver.', max_length=100, validators=[api.models.validate_webhook_secret], verbose_name='signing secret'),
        ),
    ]
