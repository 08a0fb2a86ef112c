"""Demo data for automation: ``seed_automation(tenant)``, called by ``seed_demo``.

Labels, a welcome rule, multilingual keyword rules, an away rule with business hours and a
holiday, and canned responses. Safe to run again (does nothing when the tenant has rules).
"""

from __future__ import annotations

from datetime import date, time

from inbox.automation import services
from inbox.automation.models import AutoReplyRule, CannedResponse
from inbox.models import Label

LABELS = [
    ("Hot lead", "#dc2626", "Asked for a price or how to pay"),
    ("Shipping", "#2563eb", "Questions about delivery"),
    ("VIP", "#7c3aed", "Returning customers"),
]

CANNED = [
    ("thanks", "Thank you! 🙏 / Cảm ơn bạn! / ขอบคุณค่ะ"),
    ("hours", "We answer Monday to Saturday, 9:00–18:00 (Bangkok time)."),
    ("bank", "Bank transfer: KBank 123-4-56789-0 (Demo Shop). Please send the slip here."),
]


def seed_automation(tenant) -> None:
    rules = AutoReplyRule.objects.for_tenant(tenant)
    if rules.filter(trigger=AutoReplyRule.Trigger.KEYWORDS).exists():
        return
    labels = {}
    for name, color, description in LABELS:
        label = Label.objects.for_tenant(tenant).filter(name__iexact=name).first()
        if label is None:
            label = services.label_create(
                tenant=tenant, actor=None, name=name, color=color, description=description
            )
        labels[name] = label

    def rule(name, keywords=(), *, mode="whole_word", accents=False, m2m=None, **data):
        # The welcome and away rules every new business starts with (disabled): the demo
        # turns them on with its own texts instead of adding a second one.
        installed = (
            rules.filter(trigger=data["trigger"], from_ad="", enabled=False).first()
            if data["trigger"] != AutoReplyRule.Trigger.KEYWORDS
            else None
        )
        created = services.rule_save(
            tenant=tenant,
            actor=None,
            rule=installed,
            data={"name": name, "enabled": True, **data},
            keywords=list(keywords),
            keyword_mode=mode,
            accent_insensitive=accents,
        )
        for field, values in (m2m or {}).items():
            getattr(created, field).set(values)
        return created

    rule(
        "Price questions",
        ["price", "how much", "giá", "bao nhiêu", "ราคา", "เท่าไหร่", "harga", "berapa", "cena"],
        accents=True,
        trigger="keywords",
        stop_after=True,
        cooldown_minutes=60,
        reply_text=(
            'Hi {{ contact.first_name|default:"there" }}! Prices are in our catalogue: '
            "https://demo.example/catalogue. An agent will confirm shortly."
        ),
        m2m={"add_labels": [labels["Hot lead"]]},
    )
    rule(
        "Shipping questions",
        ["ship", "delivery", "giao hàng", "phí ship", "ส่ง", "ongkir", "doprava"],
        accents=True,
        trigger="keywords",
        stop_after=False,
        cooldown_minutes=120,
        reply_text="We ship in 1–3 days; delivery is free above 500 THB.",
        m2m={"add_labels": [labels["Shipping"]]},
    )
    rule(
        "Welcome",
        trigger="welcome",
        stop_after=False,
        cooldown_minutes=0,
        reply_text=(
            'Welcome to {{ business.name }}, {{ contact.first_name|default:"friend" }}! '
            "Tell us what you are looking for."
        ),
    )
    rule(
        "Away",
        trigger="away",
        stop_after=True,
        cooldown_minutes=240,
        reply_text="We are closed right now; we answer from 9:00 (Bangkok time). 🙏",
        note_text="Arrived outside business hours.",
    )
    services.business_hours_set(
        tenant=tenant, actor=None, intervals=[(d, time(9), time(18)) for d in range(6)]
    )
    services.holiday_add(tenant=tenant, actor=None, date=date(2026, 12, 31), name="New Year's Eve")
    for shortcut, text in CANNED:
        if not CannedResponse.objects.for_tenant(tenant).filter(shortcut=shortcut).exists():
            services.canned_response_create(tenant=tenant, actor=None, shortcut=shortcut, text=text)
