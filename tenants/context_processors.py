from tenants.permissions import has_perm


def tenant_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    memberships = list(user.memberships.select_related("tenant").order_by("tenant__name"))
    can = {}
    if membership is not None:
        from tenants.permissions import MATRIX

        can = {perm.replace(".", "_"): has_perm(membership, perm) for perm in MATRIX}
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "user_memberships": memberships,
        "can": can,
    }
