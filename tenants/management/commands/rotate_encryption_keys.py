from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.crypto import EncryptedJSONField


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the newest key of FIELD_ENCRYPTION_KEYS. "
        "Run after prepending a new key; afterwards the old key can be removed."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedJSONField)]
            if not fields:
                continue
            with transaction.atomic():
                for obj in model._base_manager.select_for_update().only("pk", *fields):
                    # Reading decrypts with any key; saving encrypts with the newest.
                    obj.save(update_fields=fields)
                    total += 1
        self.stdout.write(f"Re-encrypted {total} rows.")
