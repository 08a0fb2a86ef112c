"""Message templates: sync a channel's templates from its provider, apply the provider's status
webhook, and ``template_send`` — the one way to send a template, used by the composer, the API,
automation rules, commerce reminders and summaries, CSAT and macros.

A template can be sent whatever the reply window says (that is what templates are for); the
provider still checks it, and its refusals come back on the message in plain words
(``Message.error_text``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Channel, Conversation, Message, MessageTemplate
from inbox.models.templates import PLACEHOLDER
from inbox.providers import registry
from inbox.providers.base import ProviderError, TemplateStatusUpdate

from . import http
from .channels import channel_credentials_fresh
from .sending import MessageRejected, message_queue

log = logging.getLogger(__name__)

MAX_VARIABLE_LENGTH = 1024

# Where a placeholder can be filled from (``MessageTemplate.variable_map``); the context of
# a send (an order, a booking) supplies the ones beyond the contact.
SOURCES = (
    "contact.name",
    "contact.first_name",
    "contact.phone",
    "contact.email",
    "business.name",
    "order.number",
    "order.total",
    "booking.service",
    "booking.date",
    "booking.time",
)


class TemplateError(MessageRejected):
    """A template send or sync Parley refuses; ``reason`` is for the person who tried."""


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    gone: int


def supports_templates(channel: Channel) -> bool:
    return bool(getattr(registry.get(channel.provider), "HAS_TEMPLATES", False))


# --- sync -------------------------------------------------------------------------------------


def templates_sync(*, channel: Channel, now: datetime | None = None) -> SyncResult:
    """Fetch every template of the channel's business account and store it. Kept: what Parley
    adds (purpose, variable map). Templates gone from the account become unusable."""
    now = now or timezone.now()
    if not supports_templates(channel):
        raise TemplateError(_("This channel has no message templates."))
    if not channel.waba_id:
        raise TemplateError(
            _("Enter the WhatsApp business account id of this channel to sync its templates.")
        )
    if channel.status == Channel.Status.DISCONNECTED:
        raise TemplateError(_("This channel is disconnected; reconnect it to sync templates."))
    module = registry.get(channel.provider)
    try:
        with http.client_for(channel) as client:
            credentials = channel_credentials_fresh(channel=channel, client=client, now=now)
            items = module.fetch_templates(
                client,
                base_url=http.base_url_for(channel),
                credentials=credentials,
                business_account_id=channel.waba_id,
                **http.provider_opts(channel.provider),
            )
    except ProviderError as exc:
        _sync_note(channel, now, error=exc.message)
        raise TemplateError(
            _("The templates could not be synced: %(error)s") % {"error": exc.message}
        ) from exc
    return _store(channel, items, now)


def _store(channel: Channel, items: list[dict], now: datetime) -> SyncResult:
    added = updated = 0
    with transaction.atomic():
        existing = {
            (t.name, t.language): t
            for t in MessageTemplate.objects.for_tenant(channel.tenant_id)
            .select_for_update()
            .filter(channel=channel)
        }
        seen = set()
        for item in items:
            key = (item["name"][:512], item["language"][:16])
            if key in seen:
                continue
            seen.add(key)
            values = {
                "provider_template_id": item["id"][:64],
                "category": item["category"][:32],
                "status": item["status"],
                "parameter_format": item["parameter_format"][:12],
                "components": item["components"],
                "rejection_reason": item["rejection_reason"][:300],
                "synced_at": now,
            }
            template = existing.get(key)
            if template is None:
                MessageTemplate.objects.create(
                    tenant_id=channel.tenant_id,
                    channel=channel,
                    name=key[0],
                    language=key[1],
                    **values,
                )
                added += 1
            else:
                for field, value in values.items():
                    setattr(template, field, value)
                template.save()
                updated += 1
        gone = [t.pk for key, t in existing.items() if key not in seen]
        MessageTemplate.objects.filter(pk__in=gone).exclude(
            status=MessageTemplate.Status.DISABLED
        ).update(
            status=MessageTemplate.Status.DISABLED,
            rejection_reason=_("No longer in the WhatsApp business account."),
            synced_at=now,
        )
        _sync_note(channel, now)
    return SyncResult(added=added, updated=updated, gone=len(gone))


def _sync_note(channel: Channel, now: datetime, *, error: str = "") -> None:
    settings = dict(channel.settings or {})
    settings["templates_synced_at"] = now.isoformat()
    settings["templates_sync_error"] = error[:500]
    Channel.objects.filter(pk=channel.pk).update(settings=settings, updated_at=timezone.now())
    channel.settings = settings


def templates_sync_all(*, now: datetime | None = None) -> int:
    """Daily: sync every connected channel that has templates and a business account."""
    done = 0
    providers = [name for name, m in registry.PROVIDERS.items() if getattr(m, "HAS_TEMPLATES", 0)]
    channels = Channel.objects.filter(provider__in=providers).exclude(waba_id="")
    for channel in channels.exclude(status=Channel.Status.DISCONNECTED):
        try:
            templates_sync(channel=channel, now=now)
            done += 1
        except TemplateError as exc:
            log.warning("template sync of channel %s failed: %s", channel.pk, exc.reason)
    return done


def templates_sync_later(channel: Channel) -> None:
    """Sync after the current transaction commits (a channel just connected)."""
    if supports_templates(channel) and channel.waba_id:
        effects.task_on_commit(effects.TEMPLATES_SYNC, channel.pk)


def template_status_apply(*, channels, update: TemplateStatusUpdate) -> int:
    """The provider's status webhook: the template's new status on every channel of that
    business account. Returns how many templates changed."""
    changed = 0
    for channel in channels:
        qs = MessageTemplate.objects.for_tenant(channel.tenant_id).filter(channel=channel)
        match = qs.filter(provider_template_id=update.template_id) if update.template_id else None
        if match is None or not match.exists():
            match = qs.filter(name=update.name, language=update.language)
        changed += match.update(
            status=update.status,
            rejection_reason=update.reason,
            synced_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not changed:  # a template Parley has not seen yet: fetch the account's list
            templates_sync_later(channel)
    return changed


def template_configure(
    *, template: MessageTemplate, purpose: str, variable_map: dict[str, str]
) -> MessageTemplate:
    """What a template is used for, and where its variables come from."""
    if purpose not in MessageTemplate.Purpose.values:
        raise TemplateError(_("Unknown purpose."))
    keys = {variable_key(kind, key) for kind, key in template.variables}
    clean = {}
    for key, source in variable_map.items():
        if key in keys and source:
            if source not in SOURCES:
                raise TemplateError(_("Unknown variable source."))
            clean[key] = source
    template.purpose = purpose
    template.variable_map = clean
    template.save(update_fields=["purpose", "variable_map", "updated_at"])
    return template


# --- values and rendering ---------------------------------------------------------------------


def variable_key(kind: str, key: str) -> str:
    """The name of one variable in forms and the API: ``body.1``, ``header.1``, ``body.name``."""
    return f"{kind.lower()}.{key}"


def source_values(conversation: Conversation | None, context: dict | None = None) -> dict:
    """Every source's value for this conversation (and the order or booking in ``context``)."""
    values: dict[str, str] = {}
    if conversation is not None:
        contact = conversation.contact
        values["contact.name"] = contact.name or ""
        values["contact.first_name"] = (contact.name or "").split(" ")[0]
        values["contact.phone"] = contact.phone or ""
        values["contact.email"] = contact.email or ""
        values["business.name"] = conversation.tenant.name
    values.update({k: str(v) for k, v in (context or {}).items() if v is not None})
    return values


def template_prefill(
    template: MessageTemplate, conversation: Conversation | None, context: dict | None = None
) -> dict[str, str]:
    """The variables Parley can fill itself (mapped in ``variable_map``)."""
    sources = source_values(conversation, context)
    prefilled = {}
    for kind, key in template.variables:
        name = variable_key(kind, key)
        source = (template.variable_map or {}).get(name)
        if source and sources.get(source):
            prefilled[name] = sources[source]
    return prefilled


def _values(template: MessageTemplate, variables) -> dict[str, str]:
    """Normalise the caller's variables (a dict by name, or a list in order) and check them."""
    needed = [variable_key(kind, key) for kind, key in template.variables]
    if isinstance(variables, list | tuple):
        if len(variables) != len(needed):
            raise TemplateError(
                _("The template “%(name)s” needs %(n)d variable(s), but %(given)d were given.")
                % {"name": template.name, "n": len(needed), "given": len(variables)}
            )
        variables = dict(zip(needed, variables, strict=True))
    variables = {str(k): str(v or "").strip() for k, v in (variables or {}).items()}
    unknown = sorted(set(variables) - set(needed))
    if unknown:
        raise TemplateError(
            _("The template “%(name)s” has no variable %(var)s.")
            % {"name": template.name, "var": ", ".join(unknown)}
        )
    for name in needed:
        value = variables.get(name, "")
        if not value:
            raise TemplateError(
                _("Fill in the variable %(var)s of the template.") % {"var": variable_label(name)}
            )
        if len(value) > MAX_VARIABLE_LENGTH or "\n" in value or "\t" in value:
            raise TemplateError(
                _(
                    "The variable %(var)s is too long or has line breaks or tabs, which "
                    "WhatsApp refuses in template variables."
                )
                % {"var": variable_label(name)}
            )
    return {name: variables[name] for name in needed}


def variable_label(name: str) -> str:
    kind, _dot, key = name.partition(".")
    where = _("header") if kind == "header" else _("body")
    return "{{" + key + "}} (" + str(where) + ")"


def template_render(template: MessageTemplate, values: dict[str, str]) -> str:
    """The text the customer reads: header, body and footer with the variables filled in."""
    parts = []
    for kind in ("HEADER", "BODY", "FOOTER"):
        text = template.part_text(kind)
        if not text:
            continue
        parts.append(
            PLACEHOLDER.sub(
                lambda m, kind=kind: values.get(variable_key(kind, m.group(1)), m.group(0)), text
            )
        )
    return "\n".join(parts)


def template_refusal(template: MessageTemplate) -> str | None:
    """Why the template cannot be sent now (its review status), in plain words, or None."""
    Status = MessageTemplate.Status
    reasons = {
        Status.PENDING: _("The template “%(name)s” is still waiting for WhatsApp's review."),
        Status.REJECTED: _("WhatsApp rejected the template “%(name)s”%(reason)s."),
        Status.PAUSED: _(
            "WhatsApp paused the template “%(name)s” because customers reported or ignored "
            "it. Use another template."
        ),
        Status.DISABLED: _("The template “%(name)s” is disabled%(reason)s."),
        Status.ARCHIVED: _("The template “%(name)s” is archived."),
        Status.OTHER: _("The template “%(name)s” cannot be sent now."),
    }
    if template.status == Status.APPROVED:
        return None
    reason = f" ({template.rejection_reason})" if template.rejection_reason else ""
    return str(reasons[template.status]) % {"name": template.name, "reason": reason}


# --- sending ----------------------------------------------------------------------------------


def template_send(
    *,
    conversation: Conversation,
    template: MessageTemplate,
    variables: dict[str, str] | list[str] | None = None,
    author_user=None,
    author_kind: str = "agent",
    rule_name: str = "",
    context: dict | None = None,
    now: datetime | None = None,
) -> Message:
    """Queue a template in the conversation. ``variables``: by name (``{"body.1": "Ada"}``)
    or a list in the template's order; missing ones are prefilled from their mapped source
    (the contact, ``context``). Raises ``TemplateError`` with the reason before anything is
    stored when the template cannot be sent; the thread shows the rendered text."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("channel", "contact", "tenant")
            .get(pk=conversation.pk, tenant=conversation.tenant_id)
        )
        channel = conversation.channel
        if not supports_templates(channel):
            raise TemplateError(_("This channel has no message templates."))
        if template.channel_id != channel.pk or template.tenant_id != conversation.tenant_id:
            raise TemplateError(_("This template belongs to another channel."))
        if channel.status == Channel.Status.DISCONNECTED:
            raise TemplateError(_("This channel is disconnected; reconnect it to reply."))
        refusal = template_refusal(template)
        if refusal:
            raise TemplateError(refusal)
        if not isinstance(variables, list | tuple):
            variables = {**template_prefill(template, conversation, context), **(variables or {})}
        values = _values(template, variables)
        text = template_render(template, values)
        grouped: dict[str, list[list[str]]] = {}
        for kind, key in template.variables:
            grouped.setdefault(kind, []).append([key, values[variable_key(kind, key)]])
        metadata = {
            "template": {
                "id": template.pk,
                "name": template.name,
                "language": template.language,
                "parameter_format": template.parameter_format,
                "values": grouped,
            }
        }
        return message_queue(
            conversation=conversation,
            text=text,
            author_user=author_user,
            author_kind=author_kind,
            rule_name=rule_name,
            metadata=metadata,
            now=now,
        )
