from django.contrib.postgres.operations import (
    BtreeGistExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations


class Migration(migrations.Migration):
    """Extensions for search (trigram, unaccent) and booking overlap constraints (btree_gist)."""

    dependencies = [("inbox", "0001_initial")]

    operations = [TrigramExtension(), UnaccentExtension(), BtreeGistExtension()]
