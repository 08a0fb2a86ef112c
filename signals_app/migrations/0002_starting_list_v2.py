from django.db import migrations

from ._starting_list import upgrade


def forwards(apps, schema_editor):
    upgrade(apps, 1, 2)


def backwards(apps, schema_editor):
    upgrade(apps, 2, 1)


class Migration(migrations.Migration):
    """Starting list v2: the plain words for each signal (TikTok's "payment" example), Japanese,
    Thai and Japanese as "contains", Czech and Spanish accent-insensitive. Tenants' own
    keywords are kept (see _starting_list.py)."""

    dependencies = [("signals_app", "0001_tiktok_signals")]

    operations = [migrations.RunPython(forwards, backwards)]
