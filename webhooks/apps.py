from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The lower layers announce events (gbp_scheduler/events.py); their outbox rows are written
        # here, in the transaction that announced them.
        from gbp_scheduler.events import event_announced

        from .outbox import outbox_write_received

        event_announced.connect(outbox_write_received, dispatch_uid="webhooks.outbox_write")
        from . import checks  # noqa: F401  (registers the deploy check)
