import pytest
from py_vapid import Vapid

# The channels tests' world: a WhatsApp channel of tenant A and a signed-webhook poster.
from tests.channels.conftest import (  # noqa: F401
    _provider_settings,
    post_webhook,
    whatsapp_channel,
)


@pytest.fixture(scope="session")
def vapid_pem() -> str:
    vapid = Vapid()
    vapid.generate_keys()
    return vapid.private_pem().decode()


@pytest.fixture(autouse=True)
def _vapid_key(settings, vapid_pem):
    """The server's VAPID key, configured as in production (a PEM in the environment)."""
    settings.WEB_PUSH_VAPID_PRIVATE_KEY = vapid_pem
