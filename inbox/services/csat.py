"""Customer satisfaction (CSAT): after a conversation is resolved on a channel that asks for
it, a short rating question goes to the customer in the business's language; a reply that is
a rating (``inbox.csat_replies``) within ``REPLY_WINDOW`` is recorded on the survey, shown in
the thread as the rating and announced to CRMs (``conversation.rated``) — it neither reopens
the conversation nor counts as a new customer message.

The question respects the provider's reply window like any message (``message_send``); when
the window is closed and the channel has an approved template chosen for CSAT, that template
goes instead; otherwise nothing is sent and the survey records why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Channel, Conversation, CsatSurvey, Message, MessageTemplate
from inbox.outbound_webhooks.payloads import csat_payload
from inbox.selectors.templates import purpose_template

from .sending import MessageRejected, ReplyWindowClosed, message_send
from .templates import TemplateError, template_send

REPLY_WINDOW = timedelta(hours=48)
CLOCK_TOLERANCE = timedelta(seconds=5)
RULE_NAME = "CSAT"


def csat_question_text(tenant) -> str:
    return _(
        "Thank you for contacting %(business)s! How would you rate our help? Reply with a "
        "number from 1 (bad) to 5 (great)."
    ) % {"business": tenant.name}


def csat_setting_update(*, channel: Channel, enabled: bool) -> Channel:
    channel.csat_enabled = bool(enabled)
    channel.save(update_fields=["csat_enabled", "updated_at"])
    return channel


def csat_ask(*, conversation_id: int, now: datetime | None = None) -> CsatSurvey | None:
    """Ask the customer of a resolved conversation for a rating (once per resolution).
    Returns the survey (asked, or skipped with the reason), or None when there is nothing to
    ask (the channel does not ask, the conversation was reopened, already asked)."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("channel", "tenant", "contact")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None or not conversation.channel.csat_enabled:
            return None
        if conversation.status != Conversation.Status.RESOLVED:
            return None
        last = conversation.csat_surveys.order_by("-created_at", "-id").first()
        customer_at = conversation.last_customer_message_at
        if last is not None and (customer_at is None or last.created_at >= customer_at):
            return None  # nothing new from the customer since the last question
        with translation.override(conversation.tenant.default_language or "en"):
            return _ask(conversation, now)


def _ask(conversation: Conversation, now: datetime) -> CsatSurvey:
    kwargs = {"author_kind": Message.AuthorKind.BOT, "rule_name": RULE_NAME, "now": now}
    try:
        with transaction.atomic():
            question = message_send(
                conversation=conversation, text=csat_question_text(conversation.tenant), **kwargs
            )
    except ReplyWindowClosed as exc:
        template = purpose_template(
            channel=conversation.channel, purpose=MessageTemplate.Purpose.CSAT
        )
        if template is None:
            return _skipped(
                conversation,
                now,
                _("%(reason)s No approved template is chosen for the satisfaction question.")
                % {"reason": exc.reason},
            )
        try:
            with transaction.atomic():
                question = template_send(conversation=conversation, template=template, **kwargs)
        except TemplateError as template_exc:
            return _skipped(conversation, now, template_exc.reason)
    except MessageRejected as exc:
        return _skipped(conversation, now, exc.reason)
    return CsatSurvey.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        status=CsatSurvey.Status.ASKED,
        question=question,
        asked_at=now,
        expires_at=now + REPLY_WINDOW,
        created_at=now,
    )


def _skipped(conversation: Conversation, now: datetime, reason: str) -> CsatSurvey:
    text = _("Satisfaction question not sent: %(reason)s") % {"reason": reason}
    activity = Message.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        kind=Message.Kind.ACTIVITY,
        direction=Message.Direction.OUT,
        author_kind=Message.AuthorKind.SYSTEM,
        rule_name=RULE_NAME,
        text=text,
        status=Message.Status.SENT,
        created_at=now,
    )
    effects.live_hint(
        tenant_id=conversation.tenant_id,
        event="message.created",
        conversation_id=conversation.pk,
        message_id=activity.pk,
    )
    return CsatSurvey.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        channel_id=conversation.channel_id,
        status=CsatSurvey.Status.SKIPPED,
        skip_reason=reason[:500],
        created_at=now,
    )


def csat_survey_open(*, conversation: Conversation, at: datetime) -> CsatSurvey | None:
    """The question a customer message at ``at`` may answer: the latest one asked in this
    conversation, still within its reply window."""
    return (
        CsatSurvey.objects.for_tenant(conversation.tenant_id)
        .filter(
            conversation=conversation,
            status=CsatSurvey.Status.ASKED,
            # provider timestamps may be whole seconds, and clocks differ a little
            asked_at__lte=at + CLOCK_TOLERANCE,
            expires_at__gt=at,
        )
        .order_by("-asked_at", "-id")
        .first()
    )


def csat_rating_record(*, survey: CsatSurvey, reply: Message, rating: int) -> CsatSurvey:
    """The customer's reply ``reply`` (stored by the caller) rates the conversation."""
    updated = CsatSurvey.objects.filter(pk=survey.pk, status=CsatSurvey.Status.ASKED).update(
        status=CsatSurvey.Status.RATED, rating=rating, reply=reply, rated_at=reply.created_at
    )
    survey.refresh_from_db()
    if updated:
        effects.webhook_event(
            tenant=survey.conversation.tenant,
            event_type="conversation.rated",
            data=partial(csat_payload, survey),
        )
        effects.live_hint(
            tenant_id=survey.tenant_id,
            event="conversation.updated",
            conversation_id=survey.conversation_id,
        )
    return survey
