"""Outbound HTTP to the providers: one place that builds clients and base URLs.

A channel marked ``settings["simulator"] = True`` talks to the built-in fake providers
(in-process transport, requests recorded in the database) — demos and tests; every other
channel talks to its provider's base URL from settings (the real API in production).
"""

from __future__ import annotations

import ssl
import threading

import httpx
from django.conf import settings

from inbox.providers import registry

SIMULATOR_HOST = "http://simulator.parley.invalid"
SIMULATOR_PREFIX = "/simulator/api"


def is_simulated(channel) -> bool:
    return bool((channel.settings or {}).get("simulator")) and settings.SIMULATOR_ENABLED


def fake_providers():
    from inbox.simulator.fake_providers import FakeProviders
    from inbox.simulator.store import DatabaseStore

    return FakeProviders(DatabaseStore(), public_base_url=SIMULATOR_HOST, prefix=SIMULATOR_PREFIX)


_tls_lock = threading.Lock()
_tls_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every outbound client of this process shares. httpx builds a
    new one per client unless given one, and building one loads the whole CA bundle: 10–30 ms
    of CPU per provider call, more than half of a send worker's CPU under load
    (docs/reliability.md, "Where the CPU goes"). A context is safe to share between threads
    and clients; its settings are httpx's defaults (certifi, or SSL_CERT_FILE/SSL_CERT_DIR)."""
    global _tls_context
    if _tls_context is None:
        with _tls_lock:
            if _tls_context is None:
                _tls_context = httpx.create_ssl_context()
    return _tls_context


def http_client(*, simulated: bool = False) -> httpx.Client:
    timeout = httpx.Timeout(settings.PROVIDER_HTTP_TIMEOUT, connect=5.0)
    if simulated:
        return httpx.Client(transport=fake_providers().mock_transport(), timeout=timeout)
    return httpx.Client(timeout=timeout, verify=tls_context())


def client_for(channel) -> httpx.Client:
    return http_client(simulated=is_simulated(channel))


def base_url(provider: str, *, simulated: bool) -> str:
    module = registry.get(provider)
    if simulated:
        return f"{SIMULATOR_HOST}{SIMULATOR_PREFIX}/{module.FAKE_API_PATH}"
    return module.api_base_url()


def base_url_for(channel) -> str:
    return base_url(channel.provider, simulated=is_simulated(channel))


def provider_opts(provider: str) -> dict:
    return registry.get(provider).http_options()
