"""Saved views: named filter sets in the sidebar, personal or shared with the tenant."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.views.decorators.http import require_POST

from inbox.selectors.conversations import ConversationFilters
from inbox.services.saved_views import SavedViewError, saved_view_create, saved_view_delete
from tenants.access import access_saved_view, tenant_view


@require_POST
@tenant_view("inbox.view")
def saved_view_create_view(request):
    filters = ConversationFilters.from_querydict(QueryDict(request.POST.get("filters", "")))
    try:
        view = saved_view_create(
            membership=request.membership,
            name=request.POST.get("name", ""),
            filters=filters,
            shared=request.POST.get("shared") == "1",
        )
    except SavedViewError as error:
        return HttpResponseBadRequest(str(error))
    return JsonResponse({"id": view.pk, "url": f"?{filters.urlencode()}"}, status=201)


@require_POST
@tenant_view("inbox.view")
def saved_view_delete_view(request, savedview_id):
    # Another member's personal view is "not found", like a foreign object.
    saved_view = access_saved_view(request.membership, savedview_id)
    saved_view_delete(membership=request.membership, saved_view=saved_view)
    return HttpResponse(status=204)
