"""NotificationSettings moves down from health to franchises, beside the memberships, so that
franchises/recipients.py answers "who gets this email" with the opt-outs in the same layer. The
table stays where it is (state only), then takes a name of its own app: notification_settings."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("franchises", "0005_google_sync"),
        ("health", "0005_cache_table"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="NotificationSettings",
                    fields=[
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="notification_settings",
                                serialize=False,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "email_post_failures",
                            models.BooleanField(
                                default=True,
                                help_text="Email me when a post of a franchise I administer fails to publish, or "
                                "Google rejects or removes it.",
                            ),
                        ),
                        (
                            "email_weekly_digest",
                            models.BooleanField(
                                default=True,
                                help_text="Email me each franchise's week: drafts waiting, failures, what went out.",
                            ),
                        ),
                    ],
                    options={"verbose_name_plural": "notification settings", "db_table": "health_notification_settings"},
                )
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="notificationsettings", table="notification_settings"),
    ]
