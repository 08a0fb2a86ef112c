"""Acting on a comment from its thread: one URL per comment and action → the service → the
refreshed thread (422 with the provider's reason when refused)."""

from __future__ import annotations

from django.http import Http404
from django.views.decorators.http import require_POST

from inbox.services.comments import ACTIONS, CommentActionRefused, comment_act
from inbox.views.conversation_actions import _thread
from tenants.access import access_comment, access_conversation, tenant_view


@require_POST
@tenant_view("inbox.view")
def comment_action(request, conversation_id, comment_id, action):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    comment = access_comment(request.membership, comment_id, conversation=conversation, write=True)
    if action not in ACTIONS:
        raise Http404
    try:
        comment_act(
            comment=comment, action=action, text=request.POST.get("text", ""), actor=request.user
        )
    except CommentActionRefused as refused:
        return _thread(request, conversation, error=refused.reason, status=422)
    return _thread(request, conversation)
