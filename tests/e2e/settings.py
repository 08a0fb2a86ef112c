"""Settings of the ASGI server that browser tests drive (a subprocess of the test run).

Same as production settings, with the live-update layer on Redis when E2E_REDIS_URL is set
(so the test process can push hints the server forwards), while Celery stays eager (no
REDIS_URL: sending and receiving run inside the server process).
"""

import os

from config.settings import *  # noqa: F403

_redis = os.environ.get("E2E_REDIS_URL", "")
if _redis:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [_redis], "prefix": "parley-e2e"},
        }
    }
