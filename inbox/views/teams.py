"""Settings → Teams: owners and admins create teams, rename them, pick their members."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inbox.selectors.teams import team_list
from inbox.services.teams import TeamError, team_create, team_delete, team_update
from inbox.views.thread import assignable_members
from tenants.access import access_team, tenant_view


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    members = forms.MultipleChoiceField(
        label=gettext_lazy("Members"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [
            (str(m.user_id), m.user.get_full_name() or m.user.email)
            for m in assignable_members(tenant)
        ]


def _save(request, form, team=None):
    data = form.cleaned_data
    member_ids = [int(u) for u in data["members"]]
    if team is None:
        return team_create(
            tenant=request.tenant, actor=request.user, name=data["name"], member_ids=member_ids
        )
    return team_update(team=team, actor=request.user, name=data["name"], member_ids=member_ids)


@tenant_view("teams.manage")
def team_list_view(request):
    form = TeamForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            team = _save(request, form)
        except TeamError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("team_list", tenant_slug=request.tenant.slug)
    return render(
        request,
        "inbox/teams/list.html",
        {"section": "teams", "teams": team_list(tenant=request.tenant), "form": form},
        status=422 if form.errors else 200,
    )


@tenant_view("teams.manage")
def team_edit_view(request, team_id):
    team = access_team(request.membership, team_id, write=True)
    initial = {
        "name": team.name,
        "members": [str(u) for u in team.members.values_list("user_id", flat=True)],
    }
    form = TeamForm(request.POST or None, initial=initial, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, team)
        except TeamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Team saved."))
            return redirect("team_list", tenant_slug=request.tenant.slug)
    return render(
        request,
        "inbox/teams/edit.html",
        {"section": "teams", "team": team, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
@tenant_view("teams.manage")
def team_delete_view(request, team_id):
    team = access_team(request.membership, team_id, write=True)
    team_delete(team=team, actor=request.user)
    messages.success(request, _("Team deleted."))
    return redirect("team_list", tenant_slug=request.tenant.slug)
