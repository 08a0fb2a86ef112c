"""Labels: create, rename, merge, delete; each change audited. Browser and API both
come here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inbox.automation.models import AutoReplyRule
from inbox.automation.selectors import rules_requiring_label
from inbox.automation.services.rules import rule_set_enabled
from inbox.models import Conversation, Label
from tenants.services import audit_log_record


def _label_name_taken(tenant, name: str, exclude_id: int | None = None) -> bool:
    qs = Label.objects.for_tenant(tenant).filter(name__iexact=name)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


@transaction.atomic
def label_create(*, tenant, actor, name: str, color: str, description: str = "") -> Label:
    name = name.strip()
    if _label_name_taken(tenant, name):
        raise ValidationError(_("A label with this name already exists."))
    label = Label.objects.create(tenant=tenant, name=name, color=color, description=description)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="labels.created",
        target=label,
        details={"name": name, "color": color},
    )
    return label


@transaction.atomic
def label_update(*, tenant, actor, label: Label, name: str, color: str, description: str) -> Label:
    name = name.strip()
    if _label_name_taken(tenant, name, exclude_id=label.pk):
        raise ValidationError(
            _("A label with this name already exists: merge the two labels instead.")
        )
    before = {"name": label.name, "color": label.color, "description": label.description}
    label.name, label.color, label.description = name, color, description
    label.save(update_fields=["name", "color", "description"])
    after = {"name": label.name, "color": label.color, "description": label.description}
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="labels.renamed" if before["name"] != name else "labels.updated",
        target=label,
        details={"before": before, "after": after},
    )
    return label


@transaction.atomic
def label_merge(*, tenant, actor, source: Label, target: Label) -> Label:
    """Merge ``source`` into ``target``: every conversation labelled ``source`` gets
    ``target`` (nothing loses its label), rules that used ``source`` use ``target``, then
    ``source`` is deleted."""
    if source.pk == target.pk:
        raise ValidationError(_("Choose a different label to merge into."))
    if source.tenant_id != tenant.pk or target.tenant_id != tenant.pk:
        raise ValidationError(_("Unknown label."))
    through = Conversation.labels.through
    conversation_ids = list(
        through.objects.filter(label_id=source.pk).values_list("conversation_id", flat=True)
    )
    already = set(
        through.objects.filter(
            label_id=target.pk, conversation_id__in=conversation_ids
        ).values_list("conversation_id", flat=True)
    )
    through.objects.bulk_create(
        through(conversation_id=cid, label_id=target.pk)
        for cid in conversation_ids
        if cid not in already
    )
    for name in ("labels_required", "labels_excluded", "add_labels", "remove_labels"):
        rel = getattr(AutoReplyRule, name).through
        rule_ids = list(
            rel.objects.filter(label_id=source.pk).values_list("autoreplyrule_id", flat=True)
        )
        have = set(
            rel.objects.filter(label_id=target.pk, autoreplyrule_id__in=rule_ids).values_list(
                "autoreplyrule_id", flat=True
            )
        )
        rel.objects.bulk_create(
            rel(autoreplyrule_id=rid, label_id=target.pk) for rid in rule_ids if rid not in have
        )
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="labels.merged",
        target=target,
        details={
            "source": source.name,
            "source_id": source.pk,
            "target": target.name,
            "conversations": len(conversation_ids),
        },
    )
    source.delete()
    return target


@transaction.atomic
def label_delete(*, tenant, actor, label: Label) -> None:
    """Delete a label. Rules that required it are disabled first: without the label their
    condition would vanish and they would suddenly fire for every conversation."""
    count = label.conversations.count()
    disabled = []
    for rule in rules_requiring_label(tenant=tenant, label=label).filter(enabled=True):
        rule_set_enabled(tenant=tenant, actor=actor, rule=rule, enabled=False)
        disabled.append(rule.name)
    audit_log_record(
        tenant=tenant,
        actor=actor,
        action="labels.deleted",
        target=label,
        details={"name": label.name, "conversations": count, "rules_disabled": disabled},
    )
    label.delete()
