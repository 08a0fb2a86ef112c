"""Message templates: the composer's template form (fields, preview, send) and the channel's
templates page (list, sync, purpose and variable sources)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inbox.models import MessageTemplate
from inbox.selectors.templates import channel_templates
from inbox.services.templates import (
    SOURCES,
    TemplateError,
    template_configure,
    template_prefill,
    template_render,
    template_send,
    templates_sync,
    variable_key,
    variable_label,
)
from inbox.views.conversation_actions import _thread
from tenants.access import (
    access_channel,
    access_conversation,
    access_message_template,
    tenant_view,
)

SOURCE_LABELS = {
    "contact.name": gettext_lazy("Contact's name"),
    "contact.first_name": gettext_lazy("Contact's first name"),
    "contact.phone": gettext_lazy("Contact's phone"),
    "contact.email": gettext_lazy("Contact's email"),
    "business.name": gettext_lazy("Business name"),
    "order.number": gettext_lazy("Order number"),
    "order.total": gettext_lazy("Order total"),
    "booking.service": gettext_lazy("Booking: service"),
    "booking.date": gettext_lazy("Booking: date"),
    "booking.time": gettext_lazy("Booking: time"),
}
assert set(SOURCE_LABELS) == set(SOURCES)


def _fields(template, conversation, given: dict | None = None) -> list[dict]:
    prefilled = template_prefill(template, conversation)
    fields = []
    for kind, key in template.variables:
        name = variable_key(kind, key)
        value = (given or {}).get(name, prefilled.get(name, ""))
        fields.append(
            {
                "name": name,
                "key": key,
                "kind": kind.lower(),
                "value": value,
                "source": (template.variable_map or {}).get(name, ""),
                "label": variable_label(name),
            }
        )
    return fields


def _given(request, template) -> dict:
    data = request.POST if request.method == "POST" else request.GET
    return {
        variable_key(kind, key): data.get("var:" + variable_key(kind, key), "")
        for kind, key in template.variables
    }


def _template_for(request, conversation):
    data = request.POST if request.method == "POST" else request.GET
    template_id = data.get("template", "")
    if not template_id:
        return None
    return access_message_template(request.membership, template_id)


@tenant_view("inbox.view")
def template_fields(request, conversation_id):
    """The chosen template's variables (prefilled) and its preview (htmx)."""
    conversation = access_conversation(request.membership, conversation_id)
    template = _template_for(request, conversation)
    context = {"conversation": conversation, "template": template, "fields": []}
    if template is not None and template.channel_id == conversation.channel_id:
        given = _given(request, template) if request.GET.get("part") == "preview" else None
        fields = _fields(template, conversation, given)
        values = {f["name"]: f["value"] for f in fields if f["value"]}
        context.update(fields=fields, preview=template_render(template, values))
    else:
        context["template"] = None
    preview = request.GET.get("part") == "preview"
    name = "inbox/_template_preview.html" if preview else "inbox/_template_fields.html"
    return render(request, name, context)


@require_POST
@tenant_view("inbox.view")
def template_send_view(request, conversation_id):
    conversation = access_conversation(request.membership, conversation_id, write=True)
    template = _template_for(request, conversation)
    if template is None:
        return _thread(request, conversation, error=_("Choose a template."), status=422)
    try:
        template_send(
            conversation=conversation,
            template=template,
            variables=_given(request, template),
            author_user=request.user,
        )
    except TemplateError as error:
        return _thread(request, conversation, error=error.reason, status=422)
    return _thread(request, conversation)


@tenant_view("channels.manage")
def channel_templates_page(request, channel_id):
    channel = access_channel(request.membership, channel_id)
    templates = list(channel_templates(channel=channel))
    rows = [{"template": t, "fields": _fields(t, None)} for t in templates]
    return render(
        request,
        "inbox/channels/templates.html",
        {
            "channel": channel,
            "rows": rows,
            "sources": list(SOURCE_LABELS.items()),
            "purposes": MessageTemplate.Purpose.choices,
            "section": "channels",
            "synced_at": (channel.settings or {}).get("templates_synced_at", ""),
            "sync_error": (channel.settings or {}).get("templates_sync_error", ""),
        },
    )


@require_POST
@tenant_view("channels.manage")
def channel_templates_sync(request, channel_id):
    channel = access_channel(request.membership, channel_id, write=True)
    try:
        result = templates_sync(channel=channel)
    except TemplateError as error:
        messages.error(request, error.reason)
    else:
        messages.success(
            request,
            _("Templates synced: %(added)d new, %(updated)d updated, %(gone)d gone.")
            % {"added": result.added, "updated": result.updated, "gone": result.gone},
        )
    return redirect("channel_templates", request.tenant.slug, channel.pk)


@require_POST
@tenant_view("channels.manage")
def channel_template_configure(request, channel_id, template_id):
    channel = access_channel(request.membership, channel_id, write=True)
    template = access_message_template(request.membership, template_id, write=True)
    if template.channel_id != channel.pk:
        raise Http404
    variable_map = {
        variable_key(kind, key): request.POST.get("source:" + variable_key(kind, key), "")
        for kind, key in template.variables
    }
    try:
        template_configure(
            template=template, purpose=request.POST.get("purpose", ""), variable_map=variable_map
        )
    except TemplateError as error:
        messages.error(request, error.reason)
    else:
        messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
    return redirect("channel_templates", request.tenant.slug, channel.pk)
