"""The conversation list: pre-filters, visibility, keyset pages.

`conversation_queryset` is the one place that decides which conversations a member sees and
which the filters keep; the browser list, the counts and the REST API all start from it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime

from inbox.models import Comment, Conversation, ConversationRead, Label, TeamMember
from signals_app.models import SignalReport
from tenants.permissions import Role

STATUSES = ("open", "pending", "resolved", "snoozed", "all")
ASSIGNEES = ("me", "unassigned", "all")
KINDS = ("", "messages", "comments")  # "" = messages and comments
PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _truthy(value) -> bool:
    return str(value).lower() in ("1", "true", "on", "yes")


def _team_value(value) -> str:
    value = str(value).strip()
    if value == "none":
        return value
    number = _int_or_none(value)
    return str(number) if number is not None and number > 0 else ""


@dataclass(frozen=True)
class ConversationFilters:
    status: str = "open"
    assignee: str = "all"  # "me" | "unassigned" | "all" | a user id as a string
    channel_id: int | None = None
    label_ids: tuple[int, ...] = ()
    unread_only: bool = False
    from_ad: bool = False
    campaign_id: str = ""
    has_signal: bool = False
    query: str = ""
    team: str = ""  # "" (any) | "none" (no team) | a team id as a string
    kind: str = ""  # "" both | "messages" | "comments"
    post_id: int | None = None
    unanswered: bool = False  # comments the shop has not answered
    hidden: bool = False  # conversations with a hidden comment

    @classmethod
    def from_querydict(cls, qd) -> ConversationFilters:
        """From a request's GET (or a saved view's dict). Unknown values fall back to defaults."""
        # A plain dict (a saved view's); a QueryDict is a dict too, but its items() keep only
        # the last value of each key (`?label=1&label=2` would lose label 1).
        if isinstance(qd, dict) and not isinstance(qd, MultiValueDict):
            data = QueryDict(mutable=True)
            for key, value in qd.items():
                if isinstance(value, list | tuple):
                    data.setlist(key, [str(v) for v in value])
                else:
                    data[key] = str(value)
            qd = data
        status = qd.get("status") or "open"
        if status not in STATUSES:
            status = "open"
        assignee = qd.get("assignee") or "all"
        if assignee not in ASSIGNEES and _int_or_none(assignee) is None:
            assignee = "all"
        kind = qd.get("kind") or ""
        label_values = qd.getlist("label") or qd.getlist("label_ids")
        label_ids = []
        for value in label_values:
            for part in str(value).split(","):
                number = _int_or_none(part)
                if number is not None:
                    label_ids.append(number)
        return cls(
            status=status,
            assignee=str(assignee),
            channel_id=_int_or_none(qd.get("channel") or qd.get("channel_id")),
            label_ids=tuple(sorted(set(label_ids))),
            unread_only=_truthy(qd.get("unread", qd.get("unread_only", ""))),
            from_ad=_truthy(qd.get("from_ad", "")),
            campaign_id=(qd.get("campaign") or qd.get("campaign_id") or "").strip()[:64],
            has_signal=_truthy(qd.get("has_signal", "")),
            query=(qd.get("q") or qd.get("query") or "").strip()[:200],
            team=_team_value(qd.get("team") or qd.get("team_id") or ""),
            kind=kind if kind in KINDS else "",
            post_id=_int_or_none(qd.get("post") or qd.get("post_id")),
            unanswered=_truthy(qd.get("unanswered", "")),
            hidden=_truthy(qd.get("hidden", "")),
        )

    def to_querydict(self) -> dict:
        """The non-default filters as query-string items (what a saved view stores)."""
        data: dict = {}
        if self.status != "open":
            data["status"] = self.status
        if self.assignee != "all":
            data["assignee"] = self.assignee
        if self.channel_id:
            data["channel"] = str(self.channel_id)
        if self.label_ids:
            data["label"] = [str(i) for i in self.label_ids]
        if self.unread_only:
            data["unread"] = "1"
        if self.from_ad:
            data["from_ad"] = "1"
        if self.campaign_id:
            data["campaign"] = self.campaign_id
        if self.has_signal:
            data["has_signal"] = "1"
        if self.query:
            data["q"] = self.query
        if self.team:
            data["team"] = self.team
        if self.kind:
            data["kind"] = self.kind
        if self.post_id:
            data["post"] = str(self.post_id)
        if self.unanswered:
            data["unanswered"] = "1"
        if self.hidden:
            data["hidden"] = "1"
        return data

    def urlencode(self, **overrides) -> str:
        filters = dataclasses.replace(self, **overrides) if overrides else self
        qd = QueryDict(mutable=True)
        for key, value in filters.to_querydict().items():
            if isinstance(value, list):
                qd.setlist(key, value)
            else:
                qd[key] = value
        return qd.urlencode()

    def replace(self, **changes) -> ConversationFilters:
        return dataclasses.replace(self, **changes)


def agent_restricted(*, tenant, membership) -> bool:
    """True when this member sees only conversations assigned to them or unassigned (and,
    when the business says so, their teams')."""
    role = getattr(membership, "role", membership)
    return not tenant.agents_see_all and role == Role.AGENT


def visibility_condition(*, tenant, user) -> Q:
    """What a restricted agent sees: assigned to them, with no agent, and — when the business
    turned on `agents_see_team` — every conversation of a team they belong to."""
    condition = Q(assignee=user) | Q(assignee__isnull=True)
    if tenant.agents_see_team and user is not None:
        my_teams = TeamMember.objects.filter(tenant=tenant, user=user, team_id=OuterRef("team_id"))
        condition |= Q(team__isnull=False) & Exists(my_teams)
    return condition


def visible_conversations(*, tenant, user, membership) -> QuerySet:
    """THE rule of which conversations a member sees: every inbox page, count, search, live
    update, push notification and API query starts here."""
    qs = Conversation.objects.for_tenant(tenant)
    if agent_restricted(tenant=tenant, membership=membership):
        qs = qs.filter(visibility_condition(tenant=tenant, user=user))
    return qs


def visible_or_none(*, tenant, user, membership) -> QuerySet | None:
    """The conversations a restricted member sees, or None when they see the whole tenant
    (queries over the tenant's messages then need no join with conversations)."""
    if agent_restricted(tenant=tenant, membership=membership):
        return visible_conversations(tenant=tenant, user=user, membership=membership)
    return None


def unread_condition(user) -> Q:
    """A customer wrote after this user last read the conversation."""
    read_since = ConversationRead.objects.filter(
        conversation=OuterRef("pk"),
        user=user,
        last_read_at__gte=OuterRef("last_customer_message_at"),
    )
    return Q(last_customer_message_at__isnull=False) & ~Exists(read_since)


def hidden_comments() -> QuerySet:
    """Comments hidden from the public (by the shop, a rule or the provider)."""
    return Comment.objects.filter(state=Comment.State.HIDDEN)


def unanswered_comments() -> QuerySet:
    """Customers' comments (not deleted) that the shop has not answered yet."""
    return Comment.objects.filter(is_own=False, answered=False, placeholder=False).exclude(
        state="deleted"
    )


def apply_filters(qs: QuerySet, *, tenant, user, filters: ConversationFilters) -> QuerySet:
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.assignee == "me":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee != "all":
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.channel_id:
        qs = qs.filter(channel_id=filters.channel_id)
    if filters.team == "none":
        qs = qs.filter(team__isnull=True)
    elif filters.team:
        qs = qs.filter(team_id=int(filters.team))
    for label_id in filters.label_ids:
        # Every chosen label (AND), each an indexed semi-join.
        through = Conversation.labels.through
        qs = qs.filter(
            Exists(through.objects.filter(conversation_id=OuterRef("pk"), label_id=label_id))
        )
    if filters.unread_only:
        qs = qs.filter(unread_condition(user))
    if filters.from_ad or filters.campaign_id:
        qs = qs.exclude(source=Conversation.Source.ORGANIC)
    if filters.campaign_id:
        # TikTok's messaging webhooks name the ad, not always its campaign: match either.
        qs = qs.filter(Q(campaign_id=filters.campaign_id) | Q(ad_id=filters.campaign_id))
    if filters.has_signal:
        qs = qs.filter(Exists(SignalReport.objects.filter(conversation_id=OuterRef("pk"))))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.post_id:
        qs = qs.filter(post_id=filters.post_id)
    if filters.unanswered:
        qs = qs.filter(Exists(unanswered_comments().filter(conversation_id=OuterRef("pk"))))
    if filters.hidden:
        qs = qs.filter(Exists(hidden_comments().filter(conversation_id=OuterRef("pk"))))
    if filters.query:
        from inbox.selectors.search import conversation_ids_matching

        qs = qs.filter(conversation_ids_matching(tenant=tenant, query=filters.query))
    return qs


def conversation_queryset(*, tenant, user, membership, filters: ConversationFilters) -> QuerySet:
    """The conversations this member sees that match the filters, newest activity first.

    Unsliced: callers paginate (keyset here, DRF cursor pagination in the API)."""
    qs = visible_conversations(tenant=tenant, user=user, membership=membership)
    qs = apply_filters(qs, tenant=tenant, user=user, filters=filters)
    return qs.order_by("-last_message_at", "-id")


def with_list_details(qs: QuerySet, *, tenant, user) -> QuerySet:
    """What a list row shows, in a constant number of queries (1 + labels)."""
    last_read = ConversationRead.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "last_read_at"
    )[:1]
    return (
        qs.select_related("contact", "channel", "assignee", "team")
        .annotate(my_last_read_at=Subquery(last_read))
        .prefetch_related(
            Prefetch("labels", queryset=Label.objects.for_tenant(tenant).order_by("name"))
        )
    )


# --- keyset pages --------------------------------------------------------------------------


def encode_cursor(conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        when = parse_datetime(moment)
        if when is None:
            return None
        return when, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class ConversationPage:
    conversations: list
    next_cursor: str | None


def conversation_page(
    *, tenant, user, membership, filters: ConversationFilters, cursor: str = "", size=PAGE_SIZE
) -> ConversationPage:
    """One page of the list after `cursor` (keyset on last_message_at, id: no OFFSET)."""
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    qs = conversation_queryset(tenant=tenant, user=user, membership=membership, filters=filters)
    position = decode_cursor(cursor)
    if position is not None:
        when, pk = position
        qs = qs.filter(Q(last_message_at__lt=when) | Q(last_message_at=when, id__lt=pk))
    rows = list(with_list_details(qs, tenant=tenant, user=user)[: size + 1])
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    rows = rows[:size]
    for row in rows:
        row.is_unread = bool(row.last_customer_message_at) and (
            row.my_last_read_at is None or row.my_last_read_at < row.last_customer_message_at
        )
    return ConversationPage(conversations=rows, next_cursor=next_cursor)


def conversation_rows(*, tenant, user, membership, ids) -> list:
    """Fresh list rows for some conversations (live updates), still visibility-checked."""
    qs = visible_conversations(tenant=tenant, user=user, membership=membership).filter(
        id__in=list(ids)[:MAX_PAGE_SIZE]
    )
    rows = list(with_list_details(qs, tenant=tenant, user=user).order_by("-last_message_at"))
    for row in rows:
        row.is_unread = bool(row.last_customer_message_at) and (
            row.my_last_read_at is None or row.my_last_read_at < row.last_customer_message_at
        )
    return rows


def conversation_for_member(*, tenant, user, membership, conversation_id):
    """The conversation if this member may see it, else None (the view answers 404)."""
    try:
        return (
            visible_conversations(tenant=tenant, user=user, membership=membership)
            .select_related("contact", "channel", "assignee", "team")
            .get(pk=conversation_id)
        )
    except (Conversation.DoesNotExist, ValueError, TypeError):
        return None
