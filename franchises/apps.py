from django.apps import AppConfig


class FranchisesConfig(AppConfig):
    name = "franchises"
    default_auto_field = "django.db.models.BigAutoField"
