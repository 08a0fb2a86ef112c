"""The API's django-filter backend, hardened: filter values the database cannot take are a
400, never a 500 (an id past bigint, a timestamp offset PostgreSQL refuses, a year that
overflows when moved to UTC)."""

from datetime import UTC, datetime
from decimal import Decimal

import django_filters
from django import forms
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from tenants.api_contract import ID_MAX

BIGINT_MAX = 2**63 - 1


def utc_clamped(value: datetime) -> datetime:
    """An aware datetime in UTC; one before year 1 or after 9999 there (a valid RFC 3339
    time near either end, with an offset) as the earliest or latest moment."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return (datetime.min if value.year < 5000 else datetime.max).replace(tzinfo=UTC)


def _sane(value):
    """The value as the database may take it; raises ValueError otherwise."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value
        return utc_clamped(value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        if abs(value) > BIGINT_MAX:
            raise ValueError("This number is out of range.")
        return value
    if isinstance(value, list | tuple):
        return type(value)(_sane(v) for v in value)
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    return value


def filtered(filterset):
    """`filterset.qs` after validation, or a 400 in the API's error shape."""
    if not filterset.is_valid():
        raise utils.translate_validation(filterset.errors)
    errors = {}
    cleaned = filterset.form.cleaned_data
    for name, value in list(cleaned.items()):
        try:
            cleaned[name] = _sane(value)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return filterset.qs


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """An object id (an integer from 1); an id that names nothing just matches nothing."""

    field_class = forms.IntegerField


class SafeFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        return filtered(filterset)
