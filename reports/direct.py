"""The same figures computed directly from the raw rows, without the rollups: what a report
would cost if it scanned the messages on every view. The tests hold the rollups to it and
bench/reports.py measures the two side by side."""

from __future__ import annotations

from django.db.models import Q

from inbox.models import Conversation, CsatSurvey, Message

from .facts import SATISFIED, conversation_facts, percentile
from .figures import Figures, Scope, ratio
from .periods import Period
from .raw import conversation_infos, conversation_ratings, conversation_rows, tenant_schedule


def _touched(tenant, period: Period) -> set[int]:
    """Conversations with a row in the period (every counted event is one) or created in it."""
    window = Q(created_at__gte=period.start_dt, created_at__lt=period.end_dt)
    ids = set(
        Message.objects.for_tenant(tenant)
        .filter(window)
        .exclude(kind=Message.Kind.NOTE)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    ids |= set(Conversation.objects.for_tenant(tenant).filter(window).values_list("pk", flat=True))
    ids |= set(
        CsatSurvey.objects.for_tenant(tenant)
        .filter(rated_at__gte=period.start_dt, rated_at__lt=period.end_dt)
        .values_list("conversation_id", flat=True)
    )
    return ids


def direct_figures(tenant, period: Period, scope: Scope) -> Figures:
    start, end = period.start_dt, period.end_dt
    ids = _touched(tenant, period)
    infos = conversation_infos(ids)
    rows = conversation_rows(ids)
    ratings = conversation_ratings(ids)
    schedule = tenant_schedule(tenant.pk)
    agent = scope.agent_id
    figures = Figures()
    responses: list[float] = []
    resolutions = []
    scores: list[int] = []
    for pk, (_tenant_id, info) in infos.items():
        facts = conversation_facts(info, rows.get(pk, []), schedule)
        for (bucket, who), (n_in, n_out, n_new, n_resolved) in facts.buckets.items():
            if start <= bucket < end and (agent is None or who == agent):
                figures.messages_in += n_in
                figures.messages_out += n_out
                figures.new += n_new
                figures.resolved += n_resolved
        if (
            facts.first_response_at is not None
            and start <= facts.first_response_at < end
            and (agent is None or facts.responder_id == agent)
        ):
            responses.append(
                facts.first_response_business_seconds
                if scope.business_hours
                else facts.first_response_seconds
            )
        for r in facts.resolutions:
            if start <= r.at < end and (agent is None or r.resolver_id == agent):
                resolutions.append(r)
        if (
            info.is_open
            and start <= info.created_at < end
            and (agent is None or info.assignee_id == agent)
        ):
            figures.open += 1
        if agent is None or info.assignee_id == agent:
            scores += [r.rating for r in ratings.get(pk, []) if start <= r.at < end]
    times = [r.business_seconds if scope.business_hours else r.seconds for r in resolutions]
    figures.first_response_median = percentile(responses, 0.5)
    figures.first_response_p90 = percentile(responses, 0.9)
    figures.first_responses = len(responses)
    figures.resolution_median = percentile(times, 0.5)
    figures.resolution_p90 = percentile(times, 0.9)
    figures.replies_per_resolution = ratio(sum(r.replies for r in resolutions), len(resolutions))
    figures.bot_handled_share = ratio(sum(r.bot_handled for r in resolutions), len(resolutions))
    figures.csat_responses = len(scores)
    figures.csat_average = ratio(sum(scores), len(scores))
    figures.csat_satisfied_share = ratio(sum(s >= SATISFIED for s in scores), len(scores))
    return figures
