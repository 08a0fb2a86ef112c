"""Fallback answers of the API in its own error shape."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([])
def api_not_found(request, *args, **kwargs):
    """Any /api/v1/ path that matches no endpoint: a JSON 404, not an HTML page.

    Authentication still runs, so a session write without its CSRF token is a 403 as
    everywhere else in the API."""
    raise NotFound()
