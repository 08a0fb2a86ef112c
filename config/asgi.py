"""ASGI entry point: HTTP through Django, websockets through Channels (live inbox updates)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from inbox.ingest.asgi import webhook_fast_path  # noqa: E402
from inbox.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Provider webhook POSTs skip Django's request cycle (same ingest, same answers).
        "http": webhook_fast_path(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# What start-up loaded lives as long as the process: moved out of the collector's sight, so a
# full collection walks only what requests allocate, not Django's ~200k import-time objects
# (80–200 ms pauses landing on a request; docs/benchmarks.md, reports "After (4)").
gc.freeze()
