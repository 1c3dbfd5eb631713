from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from franchises.demo import demo_data_ensure


class Command(BaseCommand):
    help = "On an empty database, create the demo superuser and franchise (DEBUG only); print the login."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates a known password: it only runs with DEBUG=true.")
        login = demo_data_ensure()
        if login.created:
            self.stdout.write(self.style.SUCCESS("Created the demo superuser and franchise."))
            self.stdout.write(f"Log in at http://127.0.0.1:8000/admin/ as {login.username} / {login.password}")
        else:
            self.stdout.write(
                "Users exist already: demo data left as it is "
                f"(the demo login, if you kept it, is {login.username} / {login.password})."
            )
