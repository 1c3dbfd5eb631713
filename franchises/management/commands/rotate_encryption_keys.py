from django.core.management.base import BaseCommand, CommandError

from gbp_scheduler.encryption import encrypted_values_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (every encrypted column of every model) under the first key of "
        "FIELD_ENCRYPTION_KEY. Run it after putting a new key first, before removing the old one."
    )

    def handle(self, *args, **options):
        census = encrypted_values_rotate()
        for column, found in census.items():
            self.stdout.write(
                f"{column}: {found.values} value(s); {found.older_key} still under an older key; "
                f"{found.undecryptable} no key opens"
            )
        stuck = sum(found.older_key for found in census.values())
        lost = sum(found.undecryptable for found in census.values())
        if lost:
            raise CommandError(
                f"{lost} stored value(s) open with no key in FIELD_ENCRYPTION_KEY: put back the key they were "
                "encrypted with and run this again."
            )
        if stuck:
            raise CommandError(f"{stuck} value(s) changed while being rotated: run this again.")
        self.stdout.write("Every stored secret is encrypted under the first key: older keys can be removed.")
