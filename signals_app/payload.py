"""The ONE place that builds what Parley sends to the TikTok Events API.

Privacy by construction: the builder receives `SignalFields` — a frozen value made only of
signal fields (which signal, the event name and id, when, and TikTok's own attribution ids).
It never receives a Message, a Contact or a Conversation, so no message text, name or phone
number can reach TikTok through it. `signal_fields_from_report` is the only bridge from the
database and copies nothing but these fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SignalFields:
    signal: str
    event_name: str
    event_id: str
    occurred_at: datetime
    tracking_id: str = ""
    ad_id: str = ""
    advertiser_id: str = ""
    material_id: str = ""


def signal_fields_from_report(report) -> SignalFields:
    return SignalFields(
        signal=report.signal,
        event_name=report.event_name,
        event_id=report.event_id,
        occurred_at=report.created_at,
        tracking_id=report.tracking_id,
        ad_id=report.ad_id,
        advertiser_id=report.advertiser_id,
        material_id=report.material_id,
    )


def build_events_body(
    *,
    event_source: str,
    event_source_id: str,
    signals: Iterable[SignalFields],
    test_event_code: str = "",
) -> dict:
    """The JSON body of `POST /open_api/v1.3/event/track/` for these signals."""
    data = []
    for fields in signals:
        if not isinstance(fields, SignalFields):
            raise TypeError("build_events_body takes SignalFields only")
        properties = {"signal": fields.signal}
        for name in ("tracking_id", "ad_id", "advertiser_id", "material_id"):
            value = getattr(fields, name)
            if value:
                properties[name] = value
        event = {
            "event": fields.event_name,
            "event_time": int(fields.occurred_at.timestamp()),
            "event_id": fields.event_id,
            "user": {"ttclid": fields.tracking_id} if fields.tracking_id else {},
            "properties": properties,
        }
        if fields.ad_id:
            event["ad"] = {"ad_id": fields.ad_id}
        data.append(event)
    body = {"event_source": event_source, "event_source_id": event_source_id, "data": data}
    if test_event_code:
        body["test_event_code"] = test_event_code
    return body
