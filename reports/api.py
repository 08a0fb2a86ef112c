"""The reports' figures for CRMs and BI tools: /api/v1/reports/{summary,breakdown,volume,
heatmap,response-times}/. The same selectors as the pages (rollups only); an API key reads the
tenant's figures, a signed-in agent only their own (docs/reports.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from tenants.api import TenantScopedViewSet
from tenants.permissions import Role

from . import selectors
from .figures import RESPONSE_BINS, Scope
from .models import ReportBucket
from .periods import period_parse
from .tables import DIMENSIONS, SORTABLE, breakdown_rows


class ReportQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=["today", "7d", "30d", "custom"],
        required=False,
        default="7d",
        help_text="Whole days in the tenant's timezone; `custom` takes `start` and `end`.",
    )
    start = serializers.DateField(required=False, help_text="First day (custom period).")
    end = serializers.DateField(required=False, help_text="Last day, included (custom period).")
    business_hours = serializers.BooleanField(
        required=False, default=False, help_text="Count only the business's opening hours."
    )


class BreakdownQuerySerializer(ReportQuerySerializer):
    dimension = serializers.ChoiceField(choices=list(DIMENSIONS))
    sort = serializers.ChoiceField(choices=sorted(SORTABLE), required=False, default="new")
    order = serializers.ChoiceField(choices=["asc", "desc"], required=False, default="desc")


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="Included.")
    timezone = serializers.CharField()


class FiguresSerializer(serializers.Serializer):
    new = serializers.IntegerField()
    resolved = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Came in during the period, not resolved now.")
    messages_in = serializers.IntegerField()
    messages_out = serializers.IntegerField()
    first_responses = serializers.IntegerField()
    first_response_median = serializers.FloatField(allow_null=True, help_text="Seconds.")
    first_response_p90 = serializers.FloatField(allow_null=True, help_text="Seconds.")
    resolution_median = serializers.FloatField(allow_null=True, help_text="Seconds.")
    resolution_p90 = serializers.FloatField(allow_null=True, help_text="Seconds.")
    replies_per_resolution = serializers.FloatField(allow_null=True)
    bot_handled_share = serializers.FloatField(allow_null=True, help_text="0 to 1.")
    csat_responses = serializers.IntegerField(help_text="Satisfaction ratings given.")
    csat_average = serializers.FloatField(allow_null=True, help_text="Average rating, 1 to 5.")
    csat_satisfied_share = serializers.FloatField(
        allow_null=True, help_text="Share of ratings of 4 or 5, 0 to 1."
    )


class SummarySerializer(serializers.Serializer):
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    figures = FiguresSerializer()
    previous_figures = FiguresSerializer()


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="Agent, channel or label id (0: none), or the campaign name (empty: none)."
    )
    name = serializers.CharField()
    figures = FiguresSerializer()
    previous_figures = FiguresSerializer()


class BreakdownSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    period = PeriodSerializer()
    previous_period = PeriodSerializer()
    rows = BreakdownRowSerializer(many=True)


class VolumePointSerializer(serializers.Serializer):
    at = serializers.CharField(help_text="Local date, or local hour (ISO 8601) for `today`.")
    new = serializers.IntegerField()
    messages_in = serializers.IntegerField()
    messages_out = serializers.IntegerField()
    resolved = serializers.IntegerField()


class VolumeSerializer(serializers.Serializer):
    period = PeriodSerializer()
    points = VolumePointSerializer(many=True)


class HeatmapCellSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="ISO weekday: 1 Monday … 7 Sunday.")
    hour = serializers.IntegerField(help_text="Local hour, 0–23.")
    messages_in = serializers.IntegerField()


class HeatmapSerializer(serializers.Serializer):
    period = PeriodSerializer()
    cells = HeatmapCellSerializer(many=True)


class ResponseBinSerializer(serializers.Serializer):
    below_seconds = serializers.IntegerField(allow_null=True, help_text="null: no upper bound.")
    first_responses = serializers.IntegerField()


class ResponseTimesSerializer(serializers.Serializer):
    period = PeriodSerializer()
    bins = ResponseBinSerializer(many=True)


def _period_data(period):
    return {"key": period.key, "start": period.start, "end": period.end,
            "timezone": period.zone.key}  # fmt: skip


class ReportViewSet(TenantScopedViewSet):
    """The reports' figures, from the rollups (definitions: docs/reports.md)."""

    queryset = ReportBucket.objects.all()
    read_permission = "reports.view"
    pagination_class = None
    filter_backends: list = []

    def _query(self, serializer_class):
        query = serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        params = {"period": data["period"]}
        if data.get("start"):
            params["start"] = data["start"].isoformat()
        if data.get("end"):
            params["end"] = data["end"].isoformat()
        period = period_parse(self.tenant, params)
        membership = getattr(self.request._request, "membership", None)
        own = self.request.auth is None and membership is not None and membership.role == Role.AGENT
        scope = Scope(agent_id=membership.user_id if own else None,
                      business_hours=data["business_hours"])  # fmt: skip
        return data, period, scope

    @extend_schema(parameters=[ReportQuerySerializer], responses=SummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request):
        """The period's figures beside the previous period's."""
        _data, period, scope = self._query(ReportQuerySerializer)
        previous = period.previous()
        return Response(
            SummarySerializer(
                {
                    "period": _period_data(period),
                    "previous_period": _period_data(previous),
                    "figures": selectors.report_figures(self.tenant, period, scope),
                    "previous_figures": selectors.report_figures(self.tenant, previous, scope),
                }
            ).data
        )

    @extend_schema(parameters=[BreakdownQuerySerializer], responses=BreakdownSerializer)
    @action(detail=False, methods=["get"])
    def breakdown(self, request):
        """The figures per agent, channel, label or campaign, beside the previous period's."""
        data, period, scope = self._query(BreakdownQuerySerializer)
        rows = breakdown_rows(self.tenant, period, scope, data["dimension"],
                              sort=data["sort"], desc=data["order"] == "desc")  # fmt: skip
        return Response(
            BreakdownSerializer(
                {
                    "dimension": data["dimension"],
                    "period": _period_data(period),
                    "previous_period": _period_data(period.previous()),
                    "rows": [
                        {
                            "key": str(r.key),
                            "name": str(r.name),
                            "figures": r.current,
                            "previous_figures": r.previous,
                        }  # fmt: skip
                        for r in rows
                    ],
                }
            ).data
        )

    @extend_schema(parameters=[ReportQuerySerializer], responses=VolumeSerializer)
    @action(detail=False, methods=["get"])
    def volume(self, request):
        """Conversations and messages per local day (per local hour for `today`)."""
        _data, period, scope = self._query(ReportQuerySerializer)
        points = [
            {
                "at": row["at"].isoformat(),
                "new": row["new"],
                "messages_in": row["messages_in"],
                "messages_out": row["messages_out"],
                "resolved": row["resolved"],
            }  # fmt: skip
            for row in selectors.volume_series(self.tenant, period, scope)
        ]
        return Response(VolumeSerializer({"period": _period_data(period), "points": points}).data)

    @extend_schema(parameters=[ReportQuerySerializer], responses=HeatmapSerializer)
    @action(detail=False, methods=["get"])
    def heatmap(self, request):
        """Customer messages per weekday and local hour (only cells with messages)."""
        _data, period, scope = self._query(ReportQuerySerializer)
        cells = [
            {"weekday": dow, "hour": hour, "messages_in": n}
            for (dow, hour), n in sorted(selectors.heatmap(self.tenant, period, scope).items())
            if n
        ]
        return Response(HeatmapSerializer({"period": _period_data(period), "cells": cells}).data)

    @extend_schema(parameters=[ReportQuerySerializer], responses=ResponseTimesSerializer)
    @action(detail=False, methods=["get"], url_path="response-times")
    def response_times(self, request):
        """First responses of the period by how long the customer waited."""
        _data, period, scope = self._query(ReportQuerySerializer)
        counts = selectors.response_distribution(self.tenant, period, scope)
        bins = [
            {"below_seconds": bound, "first_responses": n}
            for bound, n in zip(RESPONSE_BINS, counts, strict=True)
        ]
        return Response(
            ResponseTimesSerializer({"period": _period_data(period), "bins": bins}).data
        )
