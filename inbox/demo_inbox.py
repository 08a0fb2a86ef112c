"""Demo volume for the inbox: enough conversations to show filters, counts and search.

`seed_inbox_volume(tenant)` adds ~300 conversations and ~3,000 messages in Thai,
Vietnamese, English and Indonesian (labels, assignees, ad attribution, unread markers) to
the tenant's channels, using the same COPY loader as `generate_load_data`. Safe to run
twice: it does nothing when the tenant already has that many conversations.
"""

from __future__ import annotations

import io
import random

from django.db import connection, transaction

from inbox.models import Channel, Conversation, Label

CONVERSATIONS = 300
MESSAGES = 3_000


def seed_inbox_volume(tenant, *, conversations: int = CONVERSATIONS, messages: int = MESSAGES):
    from django.core.management.base import OutputWrapper

    from inbox.management.commands.generate_load_data import LABELS, Command
    from tenants.models import Membership

    if Conversation.objects.for_tenant(tenant).count() >= conversations:
        return 0
    channels = [
        (pk, provider)
        for pk, provider in Channel.objects.for_tenant(tenant).values_list("pk", "provider")
    ]
    if not channels:
        channels = Command()._channels(tenant)
    agents = list(
        Membership.objects.for_tenant(tenant)
        .exclude(role="viewer")
        .values_list("user_id", flat=True)
    )
    if not agents:
        return 0
    labels = [
        Label.objects.get_or_create(tenant=tenant, name__iexact=name, defaults={"name": name})[0].pk
        for name in LABELS
    ]
    command = Command(stdout=OutputWrapper(io.StringIO()))
    with transaction.atomic(), connection.cursor() as cursor:
        command._load(
            cursor, random.Random(7), tenant, agents, channels, labels, conversations, messages
        )
    return conversations
