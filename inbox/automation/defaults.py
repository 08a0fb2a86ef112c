"""The reply texts Parley ships: a welcome message, an away message and the TikTok privacy
notice, written in every shipped language (the catalogues hold them; `tests/i18n` keeps them
complete).

A new business gets them as **disabled** rules in its default language (`tenant_create` calls
`default_rules_install`), so nothing is sent until an owner or admin turns them on. The rule
form can insert any of them, in any shipped language, into a rule's reply
(`?default=<kind>&language=<code>`); the TikTok connection page shows the privacy notice.

The texts are templates like every rule reply: `{{ business.name }}` is filled in when sent.
This module writes rules directly (not through `services.rule_save`): it is called from
`tenants.services`, which `rule_save` itself imports for the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from inbox.automation.models import DEFAULT_COMMENT_RULE_NAMES, AutoReplyRule, CommentRule
from inbox.services._sql import insert_ignore_conflict

WELCOME = "welcome"
AWAY = "away"
TIKTOK_PRIVACY = "tiktok_privacy"


@dataclass(frozen=True)
class DefaultReply:
    kind: str
    name: str  # an English msgid, translated when read
    text: str  # an English msgid, translated when read
    rule: dict  # the rule's settings besides name and reply

    def name_in(self, language: str) -> str:
        with translation.override(language):
            return gettext(self.name)

    def text_in(self, language: str) -> str:
        with translation.override(language):
            return gettext(self.text)


DEFAULT_REPLIES: dict[str, DefaultReply] = {
    reply.kind: reply
    for reply in (
        DefaultReply(
            WELCOME,
            gettext_noop("Welcome message"),
            gettext_noop(
                "Hi! Thanks for writing to {{ business.name }}. Tell us what you are looking "
                "for and we will reply shortly."
            ),
            {"trigger": AutoReplyRule.Trigger.WELCOME, "stop_after": False, "cooldown_minutes": 0},
        ),
        DefaultReply(
            AWAY,
            gettext_noop("Away message"),
            gettext_noop(
                "Thanks for your message! {{ business.name }} is closed right now; we will "
                "reply as soon as we open again."
            ),
            {"trigger": AutoReplyRule.Trigger.AWAY, "stop_after": True, "cooldown_minutes": 240},
        ),
        DefaultReply(
            TIKTOK_PRIVACY,
            gettext_noop("TikTok privacy notice"),
            gettext_noop(
                "About your privacy: {{ business.name }} advertises on TikTok. To measure its "
                "ads, we tell TikTok only what a conversation is about (for example an order or "
                "a payment), never the content of your messages, your name or your phone "
                "number."
            ),
            {
                "trigger": AutoReplyRule.Trigger.WELCOME,
                "from_ad": AutoReplyRule.FromAd.YES,
                "stop_after": False,
                "cooldown_minutes": 0,
            },
        ),
    )
}


def shipped_language(code: str | None) -> str:
    codes = [c for c, _name in settings.LANGUAGES]
    return code if code in codes else settings.LANGUAGE_CODE


def default_reply_choices() -> list[tuple[str, str]]:
    """(kind, name in the active language) for a select."""
    return [(kind, gettext(reply.name)) for kind, reply in DEFAULT_REPLIES.items()]


def default_rules_install(*, tenant) -> list[AutoReplyRule]:
    """The shipped replies as disabled rules, in the business's default language, after the
    business's other rules. Rules of a kind already installed (same trigger and text) are not
    added twice."""
    language = shipped_language(tenant.default_language)
    rules = AutoReplyRule.objects.for_tenant(tenant)
    last = rules.aggregate(m=Max("position"))["m"]
    position = (last + 1) if last is not None else 0
    created = []
    for reply in DEFAULT_REPLIES.values():
        text = reply.text_in(language)
        if rules.filter(trigger=reply.rule["trigger"], reply_text=text).exists():
            continue
        created.append(
            AutoReplyRule.objects.create(
                tenant=tenant,
                name=reply.name_in(language),
                enabled=False,
                position=position,
                reply_text=text,
                **reply.rule,
            )
        )
        position += 1
    return created


def default_reply_initial(kind: str | None, language: str | None, *, new_rule: bool) -> dict:
    """Initial form values that put a shipped reply into the rule form (the rule form's
    "Insert" control: ``?default=<kind>&language=<code>``). A new rule also takes the reply's
    name and settings; an existing rule only its reply text. {} for an unknown kind."""
    reply = DEFAULT_REPLIES.get(kind or "")
    if reply is None:
        return {}
    language = shipped_language(language)
    initial = {"reply_text": reply.text_in(language)}
    if new_rule:
        initial.update(reply.rule, name=reply.name_in(language))
    return initial


def default_reply_picker(request_get, tenant) -> dict:
    """Template context of the rule form's "Insert one of Parley's texts" control."""
    return {
        "default_choices": default_reply_choices(),
        "default_kind": request_get.get("default", ""),
        "default_language": shipped_language(
            request_get.get("language") or tenant.default_language
        ),
        "default_languages": settings.LANGUAGES,
    }


def default_rule_find(*, tenant, kind: str) -> AutoReplyRule | None:
    """The business's rule that sends this shipped reply (in any shipped language), if any."""
    reply = DEFAULT_REPLIES[kind]
    texts = {reply.text_in(code) for code, _name in settings.LANGUAGES}
    return (
        AutoReplyRule.objects.for_tenant(tenant)
        .filter(trigger=reply.rule["trigger"], reply_text__in=texts)
        .order_by("position", "id")
        .first()
    )


def tiktok_privacy_notice(*, tenant) -> dict:
    """The privacy notice as the TikTok connection page shows it: in the business's default
    language with its name filled in, and the rule that sends it (if the business has one)."""
    language = shipped_language(tenant.default_language)
    text = DEFAULT_REPLIES[TIKTOK_PRIVACY].text_in(language)
    return {
        "text": text.replace("{{ business.name }}", tenant.name),
        "language": language,
        "rule": default_rule_find(tenant=tenant, kind=TIKTOK_PRIVACY),
    }


# --- comment rules ----------------------------------------------------------------------

PRICE_KEYWORDS = (
    "price", "how much", "giá", "bao nhiêu", "ib giá", "ราคา", "เท่าไหร่", "harga", "berapa",
    "cena", "kolik", "いくら", "値段", "価格",
)  # fmt: skip


def comment_rule_defaults(language: str) -> dict[str, dict]:
    """The shipped rules' fields by key, off, the reply written in ``language`` (also used by
    the data migration that gives them to the businesses created before)."""
    with translation.override(language or "en"):
        return {
            "hide_phone": {
                "name": DEFAULT_COMMENT_RULE_NAMES["hide_phone"],
                "enabled": False,
                "has_phone": True,
                "hide": True,
                "cooldown_minutes": 0,
                "position": 0,
            },
            "price_private": {
                "name": DEFAULT_COMMENT_RULE_NAMES["price_private"],
                "enabled": False,
                "keywords": "\n".join(PRICE_KEYWORDS),
                "private_reply_text": gettext(
                    "Hello! Thank you for your interest. We have sent you the price here in "
                    "a private message."
                ),
                "cooldown_minutes": 24 * 60,
                "position": 1,
            },
        }


def comment_rules_ensure_defaults(*, tenant) -> None:
    """The shipped rules, off until the business enables them, created with the business
    (``tenant_create``; migration 0007 for the businesses created before). Idempotent: a
    default that exists is left as the business edited it. The names are shown in each
    person's language, the reply is in the business's."""
    for key, fields in comment_rule_defaults(tenant.default_language).items():
        insert_ignore_conflict(CommentRule(tenant=tenant, default_key=key, **fields))
