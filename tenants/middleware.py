from django.conf import settings


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every page: scripts only from Parley itself."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(
            settings,
            "CONTENT_SECURITY_POLICY",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'",
        )

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs/"):
            return response
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
