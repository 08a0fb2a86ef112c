"""Reads of saved views: the ones a member sees in the sidebar."""

from __future__ import annotations

from django.db.models import Q

from inbox.models import SavedView
from inbox.selectors.conversations import ConversationFilters


def saved_view_list(*, tenant, user) -> list[SavedView]:
    """The business's shared views and this member's own, each with its filter query string."""
    views = list(SavedView.objects.for_tenant(tenant).filter(Q(shared=True) | Q(owner=user)))
    for view in views:
        view.qs = ConversationFilters.from_querydict(view.filters).urlencode()
    return views
