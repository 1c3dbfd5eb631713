"""NotificationSettings now lives in franchises (its migration 0006 took the table over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0005_cache_table"),
        ("franchises", "0006_notification_settings_from_health"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="NotificationSettings")],
            database_operations=[],
        )
    ]
