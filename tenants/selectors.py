from tenants.models import ApiKey, Invitation, Membership


def member_list(*, tenant):
    return Membership.objects.for_tenant(tenant).select_related("user").order_by("user__email")


def pending_invitation_list(*, tenant):
    return [
        i
        for i in Invitation.objects.for_tenant(tenant).select_related("invited_by")
        if i.state == "pending"
    ]


def api_key_list(*, tenant):
    return ApiKey.objects.for_tenant(tenant).select_related("created_by")


def agent_list(*, tenant):
    """Members who can be assigned conversations."""
    return (
        Membership.objects.for_tenant(tenant)
        .filter(role__in=["owner", "admin", "agent"])
        .select_related("user")
        .order_by("user__first_name", "user__email")
    )
