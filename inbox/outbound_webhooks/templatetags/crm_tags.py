from django import template

from inbox.outbound_webhooks.selectors import webhook_subscriptions_disabled

register = template.Library()


@register.inclusion_tag("crm/_disabled_notice.html", takes_context=True)
def webhooks_disabled_notice(context):
    """The notice, on every settings page, that webhooks were disabled after failing a day."""
    tenant = context.get("current_tenant")
    can = context.get("can") or {}
    if tenant is None or not can.get("webhooks_manage"):
        return {"disabled": []}
    return {"disabled": list(webhook_subscriptions_disabled(tenant=tenant)), "tenant": tenant}
