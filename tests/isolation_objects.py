"""How the isolation walker makes an object of tenant A for each URL kwarg.

Every URL pattern's object-id kwarg must be listed here: a pattern with an unknown kwarg
fails tests/test_isolation.py, so no endpoint escapes the cross-tenant check.
"""

from tests import factories


def _membership(tenant):
    return factories.MembershipFactory(tenant=tenant, role="agent")


def _invitation(tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.models import Invitation

    return Invitation.objects.create(
        tenant=tenant,
        email="invitee@example.com",
        role="agent",
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )


def _api_key(tenant):
    from tenants.services import api_key_create

    return api_key_create(tenant=tenant, name="walker", read_only=False).api_key


def _signal_keyword(tenant):
    from signals_app.models import SignalKeyword

    return SignalKeyword.objects.create(tenant=tenant, signal="payment", text="paid-walker")


def _webhook_subscription(tenant):
    from inbox.outbound_webhooks.services import webhook_subscription_create

    return webhook_subscription_create(
        tenant=tenant,
        actor=None,
        url="https://crm.example.com/hook",
        event_types=["contact.created"],
    )


def _webhook_delivery(tenant):
    from inbox.outbound_webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.create(
        tenant=tenant,
        subscription=_webhook_subscription(tenant),
        event_type="contact.created",
        payload={"type": "contact.created", "data": {}},
        status=WebhookDelivery.Status.FAILED,
    )


def _saved_view(tenant):
    from inbox.models import SavedView

    return SavedView.objects.create(tenant=tenant, name="walker", shared=True)


def _attachment(tenant):
    from django.core.files.base import ContentFile

    from inbox.models import Attachment

    message = factories.MessageFactory(conversation=factories.ConversationFactory(tenant=tenant))
    attachment = Attachment(tenant=tenant, message=message, kind="image", mime_type="image/png")
    attachment.file.save("walker.png", ContentFile(b"png"), save=True)
    return attachment


def _webhook_event(tenant):
    from inbox.models import WebhookEvent

    channel = factories.ChannelFactory(tenant=tenant)
    return WebhookEvent.objects.create(
        provider="whatsapp",
        body=b"{}",
        dedup_key=f"walker-{channel.pk}",
        status="failed",
        tenant=tenant,
        channel=channel,
    )


def _signal_report(tenant):
    from signals_app.models import SignalReport

    conversation = factories.ConversationFactory(tenant=tenant)
    return SignalReport.objects.create(
        tenant=tenant,
        conversation=conversation,
        signal="payment",
        event_name="Purchase",
        event_id=f"walker-{conversation.pk}",
    )


def _order(tenant):
    from tests.commerce.factories import make_order

    return make_order(tenant=tenant)


def _booking(tenant):
    from tests.commerce.factories import make_booking

    return make_booking(tenant=tenant)


KWARG_FACTORIES = {
    "savedview_id": _saved_view,
    "attachment_id": _attachment,
    "membership_id": _membership,
    "invitation_id": _invitation,
    "apikey_id": _api_key,
    "channel_id": lambda tenant: factories.ChannelFactory(tenant=tenant),
    "contact_id": lambda tenant: factories.ContactFactory(tenant=tenant),
    "conversation_id": lambda tenant: factories.ConversationFactory(tenant=tenant),
    "message_id": lambda tenant: factories.MessageFactory(
        conversation=factories.ConversationFactory(tenant=tenant)
    ),
    # Reuse the tenant's label if it has one: label names are unique per tenant, and the
    # stored-XSS walker writes the same name into every label.
    "label_id": lambda tenant: (
        factories.LabelFactory._meta.model.objects.for_tenant(tenant).first()
        or factories.LabelFactory(tenant=tenant)
    ),
    "signal_keyword_id": _signal_keyword,
    "signalreport_id": _signal_report,
    "webhooksubscription_id": _webhook_subscription,
    "webhookdelivery_id": _webhook_delivery,
    "webhook_event_id": _webhook_event,
    "order_id": lambda tenant: _order(tenant),
    "booking_id": lambda tenant: _booking(tenant),
}

# Kwargs that are not object ids of a tenant (tokens, slugs handled by the walker itself).
NON_OBJECT_KWARGS = {"tenant_slug", "token", "rest", "provider", "action"}
# Values the walker puts in for such kwargs of tenant pages.
NON_OBJECT_VALUES = {"provider": "whatsapp", "action": "hide"}


def _rule(tenant):
    from inbox.automation.models import AutoReplyRule

    return AutoReplyRule.objects.create(tenant=tenant, name="walker", reply_text="hi")


def _holiday(tenant):
    import datetime

    from inbox.automation.models import Holiday

    return Holiday.objects.create(tenant=tenant, date=datetime.date(2030, 1, 1))


def _canned(tenant):
    from inbox.automation.models import CannedResponse

    return CannedResponse.objects.create(tenant=tenant, shortcut="walker", text="hi")


def _team(tenant):
    from inbox.models import Team

    return Team.objects.for_tenant(tenant).first() or Team.objects.create(
        tenant=tenant, name="walker team"
    )


def _macro(tenant):
    from inbox.automation.models import Macro

    return Macro.objects.for_tenant(tenant).first() or Macro.objects.create(
        tenant=tenant, name="walker macro", actions=[{"type": "status", "value": "pending"}]
    )


KWARG_FACTORIES["team_id"] = _team
KWARG_FACTORIES["macro_id"] = _macro
KWARG_FACTORIES.update({"rule_id": _rule, "holiday_id": _holiday, "canned_response_id": _canned})


def _message_template(tenant):
    from inbox.models import MessageTemplate

    return MessageTemplate.objects.create(
        tenant=tenant,
        channel=factories.ChannelFactory(tenant=tenant),
        name="walker",
        language="en_US",
        status="approved",
        components=[{"type": "BODY", "text": "Hi {{1}}"}],
    )


KWARG_FACTORIES.update({"template_id": _message_template, "messagetemplate_id": _message_template})


def _csat_survey(tenant):
    from inbox.models import CsatSurvey

    conversation = factories.ConversationFactory(tenant=tenant)
    return CsatSurvey.objects.create(
        tenant=tenant,
        conversation=conversation,
        channel=conversation.channel,
        status="rated",
        rating=4,
    )


KWARG_FACTORIES.update({"csatsurvey_id": _csat_survey})


def _comment(tenant):
    from inbox.models import Comment, Message, Post

    conversation = factories.ConversationFactory(tenant=tenant, kind="comments")
    post = Post.objects.create(tenant=tenant, channel=conversation.channel, external_id="p-walk")
    conversation.post = post
    conversation.save(update_fields=["post"])
    message = factories.MessageFactory(conversation=conversation, kind=Message.Kind.COMMENT)
    return Comment.objects.create(
        tenant=tenant,
        channel=conversation.channel,
        post=post,
        external_id=f"c-walk-{tenant.pk}",
        conversation=conversation,
        message=message,
        contact=conversation.contact,
        author_external_id="walker",
        text="walker",
    )


def _post(tenant):
    return _comment(tenant).post


KWARG_FACTORIES.update({"comment_id": _comment, "post_id": _post})


def _comment_rule(tenant):
    from inbox.automation.models import CommentRule

    return CommentRule.objects.create(tenant=tenant, name="walker", hide=True)


KWARG_FACTORIES.update({"comment_rule_id": _comment_rule})
