"""Reads for Web Push: whom a new message concerns, and a person's setting."""

from __future__ import annotations

from collections import defaultdict

from inbox.models import Conversation
from inbox.pass_memo import memo
from inbox.selectors.conversations import visible_conversations
from tenants.models import Membership

from .models import NotificationSetting, PushSubscription


def notification_setting_for(*, tenant, user) -> NotificationSetting:
    """The person's setting, or an unsaved one holding the defaults."""
    found = NotificationSetting.objects.for_tenant(tenant).filter(user=user).first()
    return found or NotificationSetting(tenant=tenant, user=user)


def tenant_has_push_devices(tenant_id: int) -> bool:
    """Whether anybody of the business subscribed a device (once per processing pass): a new
    message of a business nobody subscribed in queues no push task at all."""
    return memo(
        ("push_devices", tenant_id),
        lambda: PushSubscription.objects.for_tenant(tenant_id).exists(),
    )


def subscriptions_of(*, tenant, user) -> list[PushSubscription]:
    return list(
        PushSubscription.objects.for_tenant(tenant).filter(user=user).order_by("-created_at")
    )


def _in_scope(setting: NotificationSetting, conversation: Conversation, user) -> bool:
    scope = setting.scope
    if scope == NotificationSetting.Scope.NONE:
        return False
    if scope == NotificationSetting.Scope.MINE:
        return conversation.assignee_id == user.pk
    if scope == NotificationSetting.Scope.MINE_AND_UNASSIGNED:
        return conversation.assignee_id in (None, user.pk)
    return True


def push_recipients(*, conversation: Conversation) -> list[tuple[NotificationSetting, list]]:
    """(setting, subscriptions) of each member of the conversation's business who has a device
    subscribed, may see the conversation and wants to hear about it."""
    tenant = conversation.tenant
    by_user = defaultdict(list)
    for subscription in PushSubscription.objects.for_tenant(tenant).select_related("user"):
        by_user[subscription.user_id].append(subscription)
    if not by_user:
        return []
    memberships = Membership.objects.for_tenant(tenant).filter(user_id__in=by_user.keys())
    settings_by_user = {
        s.user_id: s
        for s in NotificationSetting.objects.for_tenant(tenant).filter(user_id__in=by_user)
    }
    recipients = []
    for membership in memberships.select_related("user"):
        user = membership.user
        if not user.is_active:
            continue
        setting = settings_by_user.get(user.pk) or NotificationSetting(tenant=tenant, user=user)
        if not _in_scope(setting, conversation, user):
            continue
        visible = visible_conversations(tenant=tenant, user=user, membership=membership)
        if not visible.filter(pk=conversation.pk).exists():
            continue
        recipients.append((setting, by_user[user.pk]))
    return recipients
