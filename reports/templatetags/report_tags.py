"""Showing report figures: durations, shares, the change against the previous period."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds):
    """45 s, 12 min, 3 h 5 min, 2 d 4 h — or an em dash when there is nothing to measure."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


@register.filter
def share(value):
    if value is None:
        return "—"
    return f"{number_format(value * 100, 0)} %"


@register.filter
def decimal1(value):
    if value is None:
        return "—"
    return number_format(value, 1)


@register.filter
def figure(value, kind):
    if kind == "seconds":
        return duration(value)
    if kind == "share":
        return share(value)
    if kind == "ratio":
        return decimal1(value)
    # Counts grouped as the reader's language writes numbers (1,204 / 1.204 / 1 204).
    return "—" if value is None else number_format(value, force_grouping=True)


@register.filter
def attr(obj, name):
    return getattr(obj, name)
