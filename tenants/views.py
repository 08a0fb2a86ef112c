from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants import selectors, services
from tenants.access import (
    SESSION_TENANT_KEY,
    access_api_key,
    access_invitation,
    access_membership,
    tenant_view,
)
from tenants.forms import (
    AcceptInvitationForm,
    ApiKeyForm,
    InvitationForm,
    RoleForm,
    TenantCreateForm,
    TenantSettingsForm,
)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def home(request):
    memberships = request.user.memberships.select_related("tenant")
    preferred = request.session.get(SESSION_TENANT_KEY)
    membership = memberships.filter(tenant__slug=preferred).first() or memberships.first()
    if membership is None:
        return redirect("tenant_create")
    return redirect("inbox", tenant_slug=membership.tenant.slug)


@login_required
def tenant_create(request):
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = services.tenant_create(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, _("%(name)s is ready.") % {"name": tenant.name})
        return redirect("inbox", tenant_slug=tenant.slug)
    return render(request, "tenants/tenant_create.html", {"form": form})


@tenant_view("settings.manage")
def tenant_settings(request):
    form = TenantSettingsForm(request.POST or None, instance=request.tenant)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form.Meta.fields}
        request.tenant.refresh_from_db()
        services.tenant_update(tenant=request.tenant, actor=request.user, **fields)
        messages.success(request, _("Settings saved."))
        return redirect("tenant_settings", tenant_slug=request.tenant.slug)
    return render(request, "tenants/settings.html", {"form": form, "section": "general"})


@tenant_view("members.manage")
def member_list(request):
    return render(
        request,
        "tenants/members.html",
        {
            "section": "members",
            "members": selectors.member_list(tenant=request.tenant),
            "invitations": selectors.pending_invitation_list(tenant=request.tenant),
            "invite_form": InvitationForm(),
        },
    )


@require_POST
@tenant_view("members.manage")
def member_role(request, membership_id):
    membership = access_membership(request.membership, membership_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                actor_membership=request.membership,
                membership=membership,
                role=form.cleaned_data["role"],
            )
            messages.success(request, _("Role changed."))
        except ValidationError as exc:
            _errors(request, exc)
    return redirect("member_list", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view("members.manage")
def member_remove(request, membership_id):
    membership = access_membership(request.membership, membership_id)
    try:
        services.membership_remove(actor_membership=request.membership, membership=membership)
        messages.success(request, _("Member removed."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("member_list", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view("members.manage")
def invitation_create(request):
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            created = services.invitation_create(
                actor_membership=request.membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
            messages.success(
                request,
                _("Invitation sent to %(email)s. Link: %(url)s")
                % {"email": created.invitation.email, "url": created.url},
            )
        except ValidationError as exc:
            _errors(request, exc)
    else:
        messages.error(request, _("Enter a valid email address and role."))
    return redirect("member_list", tenant_slug=request.tenant.slug)


@require_POST
@tenant_view("members.manage")
def invitation_revoke(request, invitation_id):
    invitation = access_invitation(request.membership, invitation_id)
    try:
        services.invitation_revoke(actor_membership=request.membership, invitation=invitation)
        messages.success(request, _("Invitation revoked."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("member_list", tenant_slug=request.tenant.slug)


def invitation_accept(request, token):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404(_("This invitation link is not valid."))
    context = {"invitation": invitation}
    if invitation.state != "pending":
        return render(request, "tenants/invitation.html", context, status=410)
    existing = services.User.objects.filter(email__iexact=invitation.email).first()
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as exc:
                _errors(request, exc)
                return redirect("invitation_accept", token=token)
            messages.success(
                request, _("Welcome to %(tenant)s.") % {"tenant": invitation.tenant.name}
            )
            return redirect("inbox", tenant_slug=invitation.tenant.slug)
        return render(request, "tenants/invitation.html", context)
    if existing is not None:
        context["must_sign_in"] = True
        return render(request, "tenants/invitation.html", context)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            email=invitation.email,
            password=form.cleaned_data["password1"],
            name=form.cleaned_data["name"],
            verified=True,
        )
        services.invitation_accept(invitation=invitation, user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("inbox", tenant_slug=invitation.tenant.slug)
    context["form"] = form
    return render(request, "tenants/invitation.html", context)


@tenant_view("apikeys.manage")
def api_key_list(request):
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = services.api_key_create(
            tenant=request.tenant,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            actor=request.user,
        )
        form = ApiKeyForm()
    return render(
        request,
        "tenants/api_keys.html",
        {
            "section": "api_keys",
            "form": form,
            "created": created,
            "api_keys": selectors.api_key_list(tenant=request.tenant),
        },
    )


@require_POST
@tenant_view("apikeys.manage")
def api_key_revoke(request, apikey_id):
    api_key = access_api_key(request.membership, apikey_id)
    services.api_key_revoke(api_key=api_key, actor=request.user)
    messages.success(request, _("API key revoked."))
    return redirect("api_key_list", tenant_slug=request.tenant.slug)
