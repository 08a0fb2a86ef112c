"""Saved views: named filter sets in the sidebar, personal or shared with the tenant."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.views.decorators.http import require_POST

from inbox.models import SavedView
from inbox.selectors.conversations import ConversationFilters
from tenants.access import access_saved_view, tenant_view
from tenants.permissions import has_perm


def saved_views_for_member(request):
    views = list(
        SavedView.objects.for_tenant(request.tenant).filter(Q(shared=True) | Q(owner=request.user))
    )
    for view in views:
        view.qs = ConversationFilters.from_querydict(view.filters).urlencode()
    return views


@require_POST
@tenant_view("inbox.view")
def saved_view_create(request):
    name = (request.POST.get("name") or "").strip()[:80]
    if not name:
        return HttpResponseBadRequest("name")
    shared = request.POST.get("shared") == "1"
    if shared and not has_perm(request.membership, "settings.manage"):
        raise PermissionDenied
    filters = ConversationFilters.from_querydict(QueryDict(request.POST.get("filters", "")))
    view = SavedView.objects.create(
        tenant=request.tenant,
        name=name,
        owner=None if shared else request.user,
        shared=shared,
        filters=filters.to_querydict(),
    )
    return JsonResponse({"id": view.pk, "url": f"?{filters.urlencode()}"}, status=201)


@require_POST
@tenant_view("inbox.view")
def saved_view_delete(request, savedview_id):
    view = access_saved_view(request.membership, savedview_id, write=True)
    view.delete()
    return HttpResponse(status=204)
