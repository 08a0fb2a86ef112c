"""Every error answer under /api/ in the API's JSON shape, in DEBUG and in production.

DRF answers its own errors as JSON (tenants.api.error_handler); what happens around it — a
path that matches nothing or cannot be decoded, Django's 400/403/404/500 pages (the DEBUG
technical pages included) — would be HTML. This middleware, first in MIDDLEWARE, replaces
any such answer with `{"error": {"code", "message", "details"}}` and the same status.
"""

from django.http import JsonResponse

from tenants.api import ERROR_CODES

_MESSAGES = {
    400: "The request is not valid.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Internal server error.",
}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


def error_response(status: int, *, message: str | None = None) -> JsonResponse:
    code = ERROR_CODES.get(status, "server_error" if status >= 500 else "error")
    message = message or _MESSAGES.get(status, "The request failed.")
    return JsonResponse({"error": {"code": code, "message": message, "details": {}}}, status=status)


class ApiErrorShapeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path_info.startswith("/api/")
            and not _is_json(response)
        ):
            shaped = error_response(response.status_code)
            for header in _KEPT_HEADERS:
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response
