"""Which trigrams a conversation's messages contain, as a 4,096-bit Bloom filter.

The list's and the API's `q` with a frequent word walk the conversations newest first and
ask each one "has a message or note containing the query?" (`parley_conversation_mentions`).
Without help that question reads every message of a conversation that does not match, so
its cost follows the length of the threads walked. A signature answers "certainly not" from
one row: each trigram of a message (pg_trgm's `show_trgm` of the normalized text) sets bit
`hashtext(trigram) & 4095`. A conversation containing the query has every word-inner trigram
of the query among its messages' trigrams, so a cleared bit proves the query absent; when
all bits are set the messages are read as before (a false positive costs time, never a
result). Bits are only ever added: an edited or moved message leaves its old bits behind.

Kept by the triggers of migration 0022 on `inbox_message` (insert; update of text or
conversation) in the writing transaction; the migration fills it for existing messages.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from inbox.models.conversations import Conversation

SIGNATURE_WORDS = 64  # × 64 bits


class ConversationSearchSignature(models.Model):
    conversation = models.OneToOneField(
        Conversation, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    bits = ArrayField(models.BigIntegerField(), size=SIGNATURE_WORDS)

    def __str__(self):
        return f"Search signature of conversation {self.conversation_id}"
