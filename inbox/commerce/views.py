"""Pages and htmx partials: the contact panel in the inbox, the orders and bookings pages."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from inbox.commerce import extract, notify, selectors, services
from inbox.commerce.forms import BookingForm, OrderAdjustmentsForm, OrderHeaderForm, parse_item_rows
from inbox.commerce.models import BookingStatus, LineKind, Order, OrderStatus
from inbox.commerce.money import COMMON_CURRENCIES
from inbox.models import Conversation, Message
from inbox.selectors.conversations import conversation_for_member
from tenants.access import access_booking, access_contact, access_order, require_perm, tenant_view

EMPTY_ITEM_ROWS = 3
PANEL_LIMIT = 10


def _error_text(exc: Exception) -> str:
    if isinstance(exc, services.CommerceConflict):
        return exc.message
    if isinstance(exc, notify.SendFailed):
        return exc.reason
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _panel_conversation(request, contact) -> Conversation | None:
    raw = request.GET.get("conversation") or request.POST.get("conversation")
    if not raw or not str(raw).isdigit():
        return None
    # Only a conversation this member may see (agents may be limited to their own).
    conversation = conversation_for_member(
        tenant=request.tenant,
        user=request.user,
        membership=request.membership,
        conversation_id=int(raw),
    )
    if conversation is None or conversation.contact_id != contact.pk:
        return None
    return conversation


def _suggestions(tenant, contact) -> dict:
    texts = list(
        Message.objects.for_tenant(tenant)
        .filter(conversation__contact=contact, direction="in", kind="message")
        .exclude(text="")
        .order_by("-created_at", "-id")
        .values_list("text", flat=True)[:30]
    )
    found = extract.suggestions_from_messages(
        texts, region=extract.region_for_timezone(tenant.timezone)
    )
    if contact.phone and all(p.e164 != contact.phone for p in found["phones"]):
        found["contact_phone"] = contact.phone
    return found


def _render_panel(request, contact, *, status=200, **extra):
    tenant = request.tenant
    conversation = extra.pop("conversation", None) or _panel_conversation(request, contact)
    context = {
        "contact": contact,
        "conversation": conversation,
        "orders": selectors.contact_orders(tenant=tenant, contact=contact, limit=PANEL_LIMIT),
        "bookings": selectors.contact_bookings(tenant=tenant, contact=contact, limit=PANEL_LIMIT),
        "suggestions": _suggestions(tenant, contact),
        "currencies": COMMON_CURRENCIES,
        "item_rows": range(EMPTY_ITEM_ROWS),
        "order_form": extra.pop("order_form", None) or OrderHeaderForm(),
        "adjust_form": extra.pop("adjust_form", None) or OrderAdjustmentsForm(),
        "booking_form": extra.pop("booking_form", None) or BookingForm(),
        "resources": selectors.booking_resources(tenant=tenant),
        "panel_limit": PANEL_LIMIT,
        "tenant_tz": tenant.timezone,
        **extra,
    }
    if request.headers.get("HX-Request"):
        status = 200  # htmx swaps only 2xx answers; the errors are in the partial
    with timezone.override(notify.tenant_zone(tenant)):
        return render(request, "commerce/_panel.html", context, status=status)


@require_GET
@tenant_view("commerce.view")
def contact_panel(request, contact_id):
    contact = access_contact(request.membership, contact_id)
    return _render_panel(request, contact)


@require_POST
@tenant_view("commerce.edit")
def panel_order_create(request, contact_id):
    contact = access_contact(request.membership, contact_id)
    conversation = _panel_conversation(request, contact)
    header = OrderHeaderForm(request.POST)
    adjust = OrderAdjustmentsForm(request.POST)
    items, item_errors = parse_item_rows(request.POST)
    errors = list(item_errors)
    if header.is_valid() and adjust.is_valid() and not errors:
        try:
            order = services.order_create(
                tenant=request.tenant,
                contact=contact,
                conversation=conversation,
                lines=items + adjust.lines(),
                actor=services.Actor(user=request.user),
                **header.cleaned_data,
            )
        except ValidationError as exc:
            errors.append(_error_text(exc))
        else:
            return _render_panel(
                request,
                contact,
                conversation=conversation,
                notice=_("Order #%(number)s created.") % {"number": order.number},
            )
    return _render_panel(
        request,
        contact,
        status=422,
        conversation=conversation,
        order_form=header,
        adjust_form=adjust,
        order_errors=errors,
        open_form="order",
    )


@require_POST
@tenant_view("commerce.edit")
def panel_booking_create(request, contact_id):
    contact = access_contact(request.membership, contact_id)
    conversation = _panel_conversation(request, contact)
    with timezone.override(notify.tenant_zone(request.tenant)):
        form = BookingForm(request.POST)
        valid = form.is_valid()
    errors = []
    if valid:
        try:
            booking = services.booking_create(
                tenant=request.tenant,
                contact=contact,
                conversation=conversation,
                service=form.cleaned_data["service"],
                resource=form.cleaned_data["resource"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                notes=form.cleaned_data["notes"],
                reminder_minutes_before=form.reminder_minutes,
                actor=services.Actor(user=request.user),
            )
        except (ValidationError, services.CommerceConflict) as exc:
            errors.append(_error_text(exc))
        else:
            return _render_panel(
                request,
                contact,
                conversation=conversation,
                notice=_("Booking for %(service)s created.") % {"service": booking.service},
            )
    return _render_panel(
        request,
        contact,
        status=422 if not errors else 409,
        conversation=conversation,
        booking_form=form,
        booking_errors=errors,
        open_form="booking",
    )


def _after_action(request, obj, *, notice: str = "", error: str = ""):
    """From the contact panel (htmx): re-render the panel. From a page: back with a flash."""
    if request.POST.get("from") == "panel":
        contact = obj.contact
        return _render_panel(
            request, contact, notice=notice, panel_error=error, status=200 if not error else 409
        )
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    if isinstance(obj, Order):
        return redirect("commerce_order_detail", request.tenant.slug, obj.pk)
    return redirect(reverse("commerce_booking_list", args=[request.tenant.slug]))


@require_POST
@tenant_view("commerce.view")
def order_transition(request, order_id):
    order = access_order(request.membership, order_id, write=True)
    try:
        order = services.order_transition(
            order=order,
            to_status=request.POST.get("status", ""),
            note=request.POST.get("note", "")[:500],
            actor=services.Actor(user=request.user),
        )
    except (ValidationError, services.CommerceConflict) as exc:
        return _after_action(request, order, error=_error_text(exc))
    return _after_action(
        request,
        order,
        notice=_("Order #%(number)s is now %(status)s.")
        % {"number": order.number, "status": order.get_status_display().lower()},
    )


@require_POST
@tenant_view("commerce.view")
def order_send_summary(request, order_id):
    order = access_order(request.membership, order_id, write=True)
    require_perm(request.membership, "inbox.reply")
    try:
        services.order_send_summary(order=order, actor=services.Actor(user=request.user))
    except notify.SendFailed as exc:
        return _after_action(request, order, error=_error_text(exc))
    return _after_action(request, order, notice=_("Summary sent to the customer."))


@require_POST
@tenant_view("commerce.view")
def booking_transition(request, booking_id):
    booking = access_booking(request.membership, booking_id, write=True)
    try:
        booking = services.booking_transition(
            booking=booking,
            to_status=request.POST.get("status", ""),
            actor=services.Actor(user=request.user),
        )
    except (ValidationError, services.CommerceConflict) as exc:
        return _after_action(request, booking, error=_error_text(exc))
    return _after_action(
        request,
        booking,
        notice=_("Booking is now %(status)s.") % {"status": booking.get_status_display().lower()},
    )


@require_POST
@tenant_view("commerce.view")
def booking_send_summary(request, booking_id):
    booking = access_booking(request.membership, booking_id, write=True)
    require_perm(request.membership, "inbox.reply")
    try:
        services.booking_send_summary(booking=booking, actor=services.Actor(user=request.user))
    except notify.SendFailed as exc:
        return _after_action(request, booking, error=_error_text(exc))
    return _after_action(request, booking, notice=_("Summary sent to the customer."))


@require_GET
@tenant_view("commerce.view")
def order_list(request):
    status = request.GET.get("status", "")
    contact = request.GET.get("contact", "")
    filters = {"status": [status]} if status in OrderStatus.values else {}
    if contact.isdigit():
        filters["contact"] = contact
    page = Paginator(selectors.order_list(tenant=request.tenant, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    with timezone.override(notify.tenant_zone(request.tenant)):
        return render(
            request,
            "commerce/order_list.html",
            {
                "nav": "commerce",
                "page": page,
                "status": status,
                "contact": contact if contact.isdigit() else "",
                "statuses": OrderStatus.choices,
            },
        )


def _order_detail_context(request, order, **extra):
    order = selectors.orders_with_details(Order.objects.for_tenant(request.tenant)).get(pk=order.pk)
    items = [line for line in order.lines.all() if line.kind == LineKind.ITEM]
    return {
        "nav": "commerce",
        "order": order,
        "items": items,
        "other_lines": [line for line in order.lines.all() if line.kind != LineKind.ITEM],
        "item_rows": range(2),
        "header_form": extra.pop("header_form", None)
        or OrderHeaderForm(
            initial={
                "currency": order.currency,
                "phone": order.phone,
                "shipping_address": order.shipping_address,
                "notes": order.notes,
                "payment_status": order.payment_status,
            }
        ),
        "adjust_form": extra.pop("adjust_form", None)
        or OrderAdjustmentsForm(initial=OrderAdjustmentsForm.initial_from(order)),
        "currencies": COMMON_CURRENCIES,
        **extra,
    }


@require_GET
@tenant_view("commerce.view")
def order_detail(request, order_id):
    order = access_order(request.membership, order_id)
    with timezone.override(notify.tenant_zone(request.tenant)):
        return render(request, "commerce/order_detail.html", _order_detail_context(request, order))


@require_POST
@tenant_view("commerce.view")
def order_edit(request, order_id):
    order = access_order(request.membership, order_id, write=True)
    header = OrderHeaderForm(request.POST)
    adjust = OrderAdjustmentsForm(request.POST)
    errors = []
    lines = None
    if order.lines_editable:
        items, errors = parse_item_rows(request.POST)
    if header.is_valid() and adjust.is_valid() and not errors:
        fields = dict(header.cleaned_data)
        if order.lines_editable:
            lines = items + adjust.lines()
        else:
            fields.pop("currency", None)
        try:
            services.order_update(
                order=order, actor=services.Actor(user=request.user), lines=lines, **fields
            )
        except (ValidationError, services.CommerceConflict) as exc:
            errors.append(_error_text(exc))
        else:
            messages.success(request, _("Order saved."))
            return redirect("commerce_order_detail", request.tenant.slug, order.pk)
    with timezone.override(notify.tenant_zone(request.tenant)):
        return render(
            request,
            "commerce/order_detail.html",
            _order_detail_context(
                request, order, header_form=header, adjust_form=adjust, edit_errors=errors
            ),
            status=422,
        )


@require_GET
@tenant_view("commerce.view")
def booking_list(request):
    status = request.GET.get("status", "")
    show = request.GET.get("show", "upcoming")
    filters = {}
    if status in BookingStatus.values:
        filters["status"] = [status]
    if show != "all":
        filters["starts_after"] = (timezone.now() - timedelta(hours=12)).isoformat()
    page = Paginator(selectors.booking_list(tenant=request.tenant, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    with timezone.override(notify.tenant_zone(request.tenant)):
        return render(
            request,
            "commerce/booking_list.html",
            {
                "nav": "commerce",
                "page": page,
                "status": status,
                "show": show,
                "statuses": BookingStatus.choices,
                "tenant_tz": request.tenant.timezone,
            },
        )
