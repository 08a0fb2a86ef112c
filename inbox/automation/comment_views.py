"""The comment rules' pages (trigger "new comment"): the list with the shipped defaults, a
form per rule, enable/disable. Owners and admins only, as the other automation pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inbox.automation.models import CommentRule
from inbox.automation.services.comment_rules import (
    comment_rule_set_enabled,
)
from inbox.models import Label, Post
from tenants.access import access_comment_rule, tenant_view
from tenants.models import Membership

MANAGE = "automation.manage"


class CommentRuleForm(forms.ModelForm):
    class Meta:
        model = CommentRule
        fields = [
            "name",
            "enabled",
            "post",
            "keywords",
            "has_phone",
            "has_email",
            "is_reply",
            "hide",
            "public_reply_text",
            "private_reply_text",
            "add_label",
            "assign_to",
            "cooldown_minutes",
        ]
        widgets = {
            "keywords": forms.Textarea(attrs={"rows": 4}),
            "public_reply_text": forms.Textarea(attrs={"rows": 2}),
            "private_reply_text": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "public_reply_text": gettext_lazy("TikTok allows 150 characters in a comment reply."),
            "private_reply_text": gettext_lazy(
                "Facebook and Instagram: one private message per comment, within 7 days."
            ),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = Post.objects.for_tenant(tenant).order_by("-updated_at")
        self.fields["add_label"].queryset = Label.objects.for_tenant(tenant)
        members = Membership.objects.for_tenant(tenant).exclude(role="viewer")
        self.fields["assign_to"].queryset = self.fields["assign_to"].queryset.filter(
            memberships__in=members
        )

    def clean(self):
        data = super().clean()
        actions = ("hide", "public_reply_text", "private_reply_text", "add_label", "assign_to")
        if not any(data.get(name) for name in actions):
            raise forms.ValidationError(_("Choose at least one action."))
        return data


def _render(request, template, context):
    context.setdefault("nav", "automation")
    context.setdefault("section", "comment_rules")
    return render(request, template, context)


@tenant_view(MANAGE)
def comment_rule_list(request):
    rules = CommentRule.objects.for_tenant(request.tenant).select_related("post")
    return _render(request, "automation/comment_rules.html", {"rules": rules})


def _save(request, rule=None):
    form = CommentRuleForm(request.POST or None, instance=rule, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.tenant = request.tenant
        saved.save()
        messages.success(request, _("Comment rule saved."))
        return redirect("automation_comment_rules", request.tenant.slug)
    return _render(request, "automation/comment_rule_form.html", {"form": form, "rule": rule})


@tenant_view(MANAGE)
def comment_rule_create(request):
    return _save(request)


@tenant_view(MANAGE)
def comment_rule_edit(request, comment_rule_id):
    rule = access_comment_rule(request.membership, comment_rule_id, write=True)
    return _save(request, rule)


@require_POST
@tenant_view(MANAGE)
def comment_rule_toggle(request, comment_rule_id):
    rule = access_comment_rule(request.membership, comment_rule_id, write=True)
    comment_rule_set_enabled(rule=rule, enabled=not rule.enabled)
    return redirect("automation_comment_rules", request.tenant.slug)
