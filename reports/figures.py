"""The figures of a period, as one shape whichever way they were computed: from the rollups
(`reports.selectors`) or directly from the raw rows (`reports.direct`)."""

from __future__ import annotations

from dataclasses import dataclass, fields

RESPONSE_BINS = (  # upper bounds in seconds of the response-time distribution's bars
    60,
    5 * 60,
    15 * 60,
    60 * 60,
    4 * 3600,
    24 * 3600,
    None,
)


@dataclass(frozen=True)
class Scope:
    """Whose figures: everybody's (agent_id None) or one agent's own."""

    agent_id: int | None = None
    business_hours: bool = False


@dataclass
class Figures:
    new: int = 0
    resolved: int = 0
    open: int = 0
    messages_in: int = 0
    messages_out: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    first_responses: int = 0
    resolution_median: float | None = None
    resolution_p90: float | None = None
    replies_per_resolution: float | None = None
    bot_handled_share: float | None = None
    csat_responses: int = 0
    csat_average: float | None = None
    csat_satisfied_share: float | None = None

    def rounded(self) -> Figures:
        """Seconds to 0.1 s and ratios to 4 places: what is shown, and what the
        comparisons compare (the database's and Python's floating point differ below)."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float):
                exact = "share" in f.name or "per" in f.name or "average" in f.name
                value = round(value, 4 if exact else 1)
            values[f.name] = value
        return Figures(**values)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def response_bin(seconds: float) -> int:
    for index, bound in enumerate(RESPONSE_BINS):
        if bound is None or seconds < bound:
            return index
    return len(RESPONSE_BINS) - 1
