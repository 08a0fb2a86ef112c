"""A batch's plain customer messages stored set-based: the batch pipeline's fast path.

For the events of a batch that carry only customer messages (no echo, reply, referral,
attachment-less rating, status, comment, …: ``fast_eligible``), the per-message work of
``messages.message_receive`` is done for all of them at once, in the caller's transaction:

- the customers' identities: one ``SELECT … FOR UPDATE`` of exactly the batch's
  (channel, customer) pairs; the new ones: one ``INSERT`` of contacts, one of identities
  (``ON CONFLICT DO NOTHING``: a customer created meanwhile by the single-event path makes
  the whole group fall back to it, ``Contended``);
- their conversations: one query for each contact's latest conversation per provider
  conversation id, then ``conversations.conversation_for``'s choice replayed in memory in
  arrival order (new ones written with one ``INSERT``);
- the messages: one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` in arrival order (so ids
  keep the order of a conversation's messages); redeliveries found before by one query;
- the conversations' counters, preview, status and provider id: one ``UPDATE … FROM (VALUES
  …)``, each column moved only forward against the row as it is then (as
  ``messages.conversation_touch_inbound`` does for one message);
- the effects (outbound webhook rows one INSERT per type and tenant, live hints, push,
  automation, media) through the door's processing pass; signal detection per message as
  before (it queries only for the messages that can signal).

The caller runs this inside a savepoint: any error rolls the whole group back and its events
are processed one by one (so a poisoned event still fails alone).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.db import connection
from django.utils import timezone

from inbox import effects
from inbox.csat_replies import rating_from_reply
from inbox.models import (
    Attachment,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    WebhookEvent,
)
from inbox.outbound_webhooks.payloads import (
    contact_payload,
    conversation_payload,
    message_payload,
)
from inbox.phone_numbers import whatsapp_phone
from inbox.providers.base import InboundMessage, ParsedBatch
from inbox.push.selectors import tenant_has_push_devices
from inbox.services._sql import insert_many_ignore_conflict
from signals_app.services import signals_detect_for_messages

from .messages import ATTACHMENT_KINDS, message_preview

NAME_MAX = Contact._meta.get_field("name").max_length
REOPENED_FROM = (Conversation.Status.RESOLVED, Conversation.Status.SNOOZED)


class Contended(Exception):
    """Another transaction created one of the batch's customers meanwhile: the group is
    processed again one event at a time."""


def fast_eligible(parsed: ParsedBatch | None) -> bool:
    """Whether an event's parts are all plain customer messages this path stores exactly as
    ``message_receive`` would (everything else goes through the per-event path)."""
    if parsed is None or not parsed.messages or parsed.templates:
        return False
    if len(parsed.items()) != len(parsed.messages):
        return False
    for inbound in parsed.messages:
        if inbound.direction != "in" or inbound.reply_to or inbound.referral is not None:
            return False
        if not inbound.contact_external_id:
            return False
        if not inbound.attachments and rating_from_reply(inbound.text) is not None:
            return False  # maybe a satisfaction rating: the per-event path decides
    return True


@dataclass
class _Item:
    event: WebhookEvent
    channel: Channel
    inbound: InboundMessage
    contact_id: int | None = None
    conversation: Conversation | None = None
    created: bool = False
    duplicate: bool = False
    message: Message | None = None


@dataclass
class _Person:
    channel: Channel
    external_id: str
    contact: Contact | None = None
    identity_id: int | None = None
    username: str = ""  # the last name seen (the identity's)
    first_name: str = ""  # the first name seen (a contact without one takes it)
    db_name: str = ""
    db_username: str = ""
    new: bool = False
    conversations: list = field(default_factory=list)


def events_receive(routed: list[tuple[WebhookEvent, ParsedBatch, dict[str, Channel]]]) -> None:
    """Store the messages of these events (in arrival order; each routed to its channels)
    and finish the events (their rows are written by the caller, with the batch's)."""
    items = [
        _Item(event, channels[inbound.account_id], inbound)
        for event, parsed, channels in routed
        for inbound in parsed.messages
    ]
    people = _people(items)
    _duplicates(items)
    _conversations(items, people)
    _messages_insert(items)
    _conversations_update(items)
    _effects(items, people)
    now = timezone.now()
    for event, parsed, channels in routed:
        first = next(iter(channels.values()))
        event.channel, event.tenant = first, first.tenant
        event.status = WebhookEvent.Status.PROCESSED
        event.error = "; ".join(parsed.ignored)[:2000]
        event.processed_at = now
        event.attempts += 1


def _people(items: list[_Item]) -> dict[tuple[int, str], _Person]:
    """The customers' identities, locked; the new ones created (contacts, then identities)."""
    people: dict[tuple[int, str], _Person] = {}
    for item in items:
        key = (item.channel.pk, item.inbound.contact_external_id)
        person = people.setdefault(key, _Person(item.channel, key[1]))
        name = (item.inbound.contact_name or "")[:NAME_MAX]
        if name:
            person.username = name  # the last name seen wins, as one event after another
            person.first_name = person.first_name or name
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.channel_id, i.external_id, i.id, i.username, i.contact_id, c.name
            FROM inbox_contactidentity i JOIN inbox_contact c ON c.id = i.contact_id
            WHERE i.tenant_id = ANY(%s) AND (i.channel_id, i.external_id) IN (
                SELECT * FROM unnest(%s::bigint[], %s::text[]))
            ORDER BY i.id
            FOR UPDATE OF i
            """,
            [
                sorted({item.channel.tenant_id for item in items}),
                [k[0] for k in people],
                [k[1] for k in people],
            ],
        )
        for channel_id, external_id, identity_id, username, contact_id, name in cursor:
            person = people[(channel_id, external_id)]
            person.identity_id, person.db_username, person.db_name = identity_id, username, name
            person.contact = Contact(pk=contact_id, tenant_id=person.channel.tenant_id, name=name)
    new = [p for p in people.values() if p.identity_id is None]
    for item in items:  # a new contact's name: the first one seen (then it is not empty)
        person = people[(item.channel.pk, item.inbound.contact_external_id)]
        if person.identity_id is None and person.contact is None:
            person.contact = Contact(
                tenant=item.channel.tenant,
                name=(item.inbound.contact_name or "")[:NAME_MAX],
                phone=whatsapp_phone(person.external_id)
                if item.channel.provider == "whatsapp"
                else "",
            )
            person.new = True
        elif person.new and not person.contact.name and item.inbound.contact_name:
            person.contact.name = item.inbound.contact_name[:NAME_MAX]
    if new:
        Contact.objects.bulk_create([p.contact for p in new])
        _identities_insert(new)
    _names_update([p for p in people.values() if not p.new])
    for item in items:
        item.contact_id = people[(item.channel.pk, item.inbound.contact_external_id)].contact.pk
    return people


def _identities_insert(new: list[_Person]) -> None:
    identities = [
        ContactIdentity(
            tenant_id=p.channel.tenant_id,
            contact=p.contact,
            channel=p.channel,
            external_id=p.external_id,
            username=p.username,
        )
        for p in new
    ]
    if insert_many_ignore_conflict(identities) != len(new):
        raise Contended("a customer of the batch was created meanwhile")
    for person, identity in zip(new, identities, strict=True):
        person.identity_id = identity.pk


def _names_update(known: list[_Person]) -> None:
    """Known customers whose name arrived (contact without one) or changed (username)."""
    now = timezone.now()
    for person in known:
        if person.first_name and not person.db_name:
            Contact.objects.filter(pk=person.contact.pk).update(
                name=person.first_name, updated_at=now
            )
            person.contact.name = person.first_name
        if person.username and person.username != person.db_username:
            ContactIdentity.objects.filter(pk=person.identity_id).update(username=person.username)


def _duplicates(items: list[_Item]) -> None:
    """Messages already stored (a redelivery under another dedup key), or twice in the batch."""
    keys = [(item.channel.pk, item.inbound.message_id) for item in items]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT channel_id, provider_message_id FROM inbox_message"
            " WHERE tenant_id = ANY(%s) AND (channel_id, provider_message_id) IN ("
            " SELECT * FROM unnest(%s::bigint[], %s::text[]))",
            [
                sorted({item.channel.tenant_id for item in items}),
                [k[0] for k in keys],
                [k[1] for k in keys],
            ],
        )
        seen = set(cursor.fetchall())
    for item, key in zip(items, keys, strict=True):
        item.duplicate = key in seen
        seen.add(key)


def _conversations(items: list[_Item], people: dict) -> None:
    """``conversation_for`` for each message in arrival order, on the contacts' latest
    conversation per provider conversation id (read once), with each stored message's touch
    applied in memory so a later message chooses as it would have one event later."""
    pairs = sorted({(item.channel.pk, item.contact_id) for item in items})
    tenants = sorted({item.channel.tenant_id for item in items})
    found = Conversation.objects.raw(
        """
        SELECT DISTINCT ON (contact_id, channel_id, provider_conversation_id) *
        FROM inbox_conversation
        WHERE tenant_id = ANY(%s) AND kind = 'messages'
          AND (channel_id, contact_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))
        ORDER BY contact_id, channel_id, provider_conversation_id, last_message_at DESC, id DESC
        """,
        [tenants, [p[0] for p in pairs], [p[1] for p in pairs]],
    )
    candidates: dict[tuple[int, int], list[Conversation]] = defaultdict(list)
    for conversation in found:
        candidates[(conversation.channel_id, conversation.contact_id)].append(conversation)
    created: list[Conversation] = []
    for item in items:
        mine = candidates[(item.channel.pk, item.contact_id)]
        pcid = item.inbound.conversation_external_id
        chosen = None
        if pcid:
            chosen = _latest([c for c in mine if c.provider_conversation_id == pcid])
        if chosen is None:
            chosen = _latest(mine)
        if chosen is None:
            chosen = Conversation(
                tenant=item.channel.tenant,
                channel=item.channel,
                contact_id=item.contact_id,
                provider_conversation_id=pcid,
                last_message_at=item.inbound.timestamp,
            )
            chosen._order = len(created)
            created.append(chosen)
            mine.append(chosen)
            item.created = True
        else:
            chosen.tenant = item.channel.tenant
            if pcid and not chosen.provider_conversation_id:
                chosen.provider_conversation_id = pcid
                chosen._pcid_set = True
        item.conversation = chosen
        if not item.duplicate:
            _touch(chosen, item.inbound)
    if created:
        Conversation.objects.bulk_create(created)


def _latest(conversations: list[Conversation]) -> Conversation | None:
    """The latest by (last message, id); new ones (no id yet) after every stored one."""
    if not conversations:
        return None
    return max(
        conversations,
        key=lambda c: (c.last_message_at, c.pk or 10**18 + getattr(c, "_order", 0)),
    )


def _touch(conversation: Conversation, inbound: InboundMessage) -> None:
    """``conversation_touch_inbound`` in memory (written by ``_conversations_update``)."""
    at = inbound.timestamp
    touched = getattr(conversation, "_touched", None)
    if touched is None:
        touched = conversation._touched = {"customer_at": None, "last": None, "reopen": False}
    if conversation.last_customer_message_at is None or at > conversation.last_customer_message_at:
        conversation.last_customer_message_at = at
        conversation.business_messages_since_customer = 0
        touched["customer_at"] = at
    if at >= conversation.last_message_at:
        conversation.last_message_at = at
        conversation.last_message_preview = _preview(inbound)
        touched["last"] = (at, conversation.last_message_preview)
    if conversation.status in REOPENED_FROM:
        conversation.status = Conversation.Status.OPEN
        conversation.snoozed_until = None
    touched["reopen"] = True


def _metadata(inbound: InboundMessage) -> dict:
    metadata = {"type": inbound.message_type}
    if inbound.content_stripped:
        metadata["content_stripped"] = True
    return metadata


def _preview(inbound: InboundMessage) -> str:
    return message_preview(Message(text=inbound.text, metadata=_metadata(inbound)))


def _messages_insert(items: list[_Item]) -> None:
    fresh = [item for item in items if not item.duplicate]
    for item in fresh:
        inbound = item.inbound
        metadata = _metadata(inbound)
        if inbound.reply_token:
            metadata["reply_token"] = inbound.reply_token
        item.message = Message(
            tenant=item.channel.tenant,
            conversation=item.conversation,
            channel=item.channel,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.IN,
            author_kind=Message.AuthorKind.CUSTOMER,
            text=inbound.text,
            provider_message_id=inbound.message_id,
            status=Message.Status.RECEIVED,
            metadata=metadata,
            created_at=inbound.timestamp,
        )
    inserted = insert_many_ignore_conflict([item.message for item in fresh])
    if inserted != len(fresh):
        raise Contended("a message of the batch was stored meanwhile")
    attachments = [
        Attachment(
            tenant=item.channel.tenant,
            message=item.message,
            kind=ATTACHMENT_KINDS.get(att.kind, "file"),
            provider_media_id=att.media_id,
            url=att.url[:1000],
            mime_type=att.mime_type,
            size=att.size,
        )
        for item in fresh
        for att in item.inbound.attachments
    ]
    if attachments:
        Attachment.objects.bulk_create(attachments)


def _conversations_update(items: list[_Item]) -> None:
    """One UPDATE for the existing conversations the batch touched: each column moved only
    forward against the row as it is now."""
    rows: dict[int, tuple] = {}
    for item in items:
        conversation = item.conversation
        if item.created or conversation.pk in rows:
            continue
        touched = getattr(conversation, "_touched", None)
        if touched is None and not getattr(conversation, "_pcid_set", False):
            continue
        touched = touched or {"customer_at": None, "last": None, "reopen": False}
        last_at, preview = touched["last"] or (None, None)
        rows[conversation.pk] = (
            conversation.pk,
            touched["customer_at"],
            last_at,
            preview,
            touched["reopen"],
            conversation.provider_conversation_id,
        )
    if not rows:
        return
    values = list(rows.values())
    columns = list(zip(*values, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE inbox_conversation c SET
                business_messages_since_customer = CASE
                    WHEN v.customer_at IS NOT NULL AND (c.last_customer_message_at IS NULL
                         OR v.customer_at > c.last_customer_message_at) THEN 0
                    ELSE c.business_messages_since_customer END,
                last_customer_message_at = GREATEST(c.last_customer_message_at, v.customer_at),
                last_message_preview = CASE WHEN v.last_at >= c.last_message_at
                    THEN v.preview ELSE c.last_message_preview END,
                last_message_at = CASE WHEN v.last_at >= c.last_message_at
                    THEN v.last_at ELSE c.last_message_at END,
                snoozed_until = CASE WHEN v.reopen AND c.status IN ('resolved', 'snoozed')
                    THEN NULL ELSE c.snoozed_until END,
                status = CASE WHEN v.reopen AND c.status IN ('resolved', 'snoozed')
                    THEN 'open' ELSE c.status END,
                provider_conversation_id = CASE WHEN c.provider_conversation_id = ''
                    THEN v.pcid ELSE c.provider_conversation_id END,
                updated_at = %s
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::text[],
                        %s::boolean[], %s::text[])
                AS v(id, customer_at, last_at, preview, reopen, pcid)
            WHERE c.id = v.id AND c.tenant_id = ANY(%s)
            """,
            [
                timezone.now(),
                *[list(column) for column in columns],
                sorted({item.channel.tenant_id for item in items}),
            ],
        )


def _effects(items: list[_Item], people: dict) -> None:
    """What ``message_receive`` sends after each message, for the whole batch: outbound
    webhook rows once per type and tenant, hints, push, automation, media (via the pass)."""
    webhooks: dict[tuple[int, str], list] = defaultdict(list)
    tenants = {}
    for person in people.values():
        if person.new:
            tenants[person.channel.tenant_id] = person.channel.tenant
            webhooks[(person.channel.tenant_id, "contact.created")].append(
                partial(contact_payload, person.contact)
            )
    for item in items:
        tenant_id = item.channel.tenant_id
        tenants[tenant_id] = item.channel.tenant
        conversation = item.conversation
        if item.created:
            webhooks[(tenant_id, "conversation.created")].append(
                partial(conversation_payload, conversation)
            )
            effects.live_hint(
                tenant_id=tenant_id,
                event="conversation.created",
                conversation_id=conversation.pk,
            )
        message = item.message
        if message is None:
            continue
        webhooks[(tenant_id, "message.created")].append(partial(message_payload, message))
        if not item.created:
            webhooks[(tenant_id, "conversation.updated")].append(
                partial(conversation_payload, conversation)
            )
        effects.live_hint(
            tenant_id=tenant_id,
            event="message.created",
            conversation_id=conversation.pk,
            message_id=message.pk,
        )
        if tenant_has_push_devices(tenant_id):
            effects.task_on_commit(effects.PUSH_NOTIFY, message.pk)
        if not item.inbound.content_stripped:
            effects.automation_run(message)
        if any(a.kind != "share_post" for a in item.inbound.attachments):
            effects.task_on_commit(effects.MEDIA_PREFETCH, message.pk)
    signals_detect_for_messages(messages=[item.message for item in items if item.message])
    for (tenant_id, event_type), datas in webhooks.items():
        effects.webhook_events(tenant=tenants[tenant_id], event_type=event_type, datas=datas)
