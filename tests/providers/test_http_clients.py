"""Outbound clients share one verifying TLS context per process (building one per call loads
the CA bundle each time); sharing must not weaken verification."""

import ssl

from inbox.services import http
from signals_app import client as tiktok_ads


def _context(client):
    return client._transport._pool._ssl_context


def test_provider_clients_share_one_verifying_tls_context():
    with http.http_client() as first, http.http_client() as second:
        assert _context(first) is _context(second) is http.tls_context()
    ctx = http.tls_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True


def test_tiktok_ads_client_shares_it_too():
    with tiktok_ads.http_client(simulated=False) as client:
        assert _context(client) is http.tls_context()
