from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A franchise's hold ended (franchises/holds.py): its posts that missed their time wait.
        from franchises.holds import hold_ended

        from .services.holds import on_hold_ended

        hold_ended.connect(on_hold_ended, dispatch_uid="posts_hold_release")
