from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard.demo import demo_data_ensure


class Command(BaseCommand):
    help = "On an empty database, create the demo logins, franchises, posts and queue (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords: it only runs with DEBUG=true.")
        login = demo_data_ensure()
        if login.created:
            self.stdout.write(self.style.SUCCESS("Created the demo data."))
        else:
            self.stdout.write("Users exist already: demo data left as it is.")
        self.stdout.write("Demo logins (if you kept them):")
        for username, password, what in login.logins:
            self.stdout.write(f"  {username} / {password}  — {what}")
