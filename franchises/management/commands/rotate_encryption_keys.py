from django.core.management.base import BaseCommand

from franchises.services import encrypted_tokens_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored Google token under the first key of FIELD_ENCRYPTION_KEY."

    def handle(self, *args, **options):
        count = encrypted_tokens_rotate()
        self.stdout.write(f"Re-encrypted tokens of {count} franchise(s).")
