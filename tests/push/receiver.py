"""A local push service for the tests: it takes Web Push requests as a browser vendor's push
service would, checks the VAPID signature, and decrypts the aes128gcm payload with the
subscription's private key, as the subscribed browser would (RFC 8030/8291/8292)."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserKeys:
    """What a browser generates when it subscribes: an ECDH P-256 pair and an auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                Encoding.X962, PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    answered: int


class PushReceiver:
    """Endpoints `<url>/ok/<name>` answer 201, `<url>/gone/<name>` 410, `<url>/down/<name>`
    503, and `<url>/flaky/<name>` 503 to its first two pushes, then 201."""

    def __init__(self):
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.status_for(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Received(self.path, headers, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def status_for(self, path: str) -> int:
        if path.startswith("/gone/"):
            return 410
        if path.startswith("/down/"):
            return 503
        if path.startswith("/flaky/") and len(self.to(path)) < 2:
            return 503
        return 201

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def decrypt(received: Received, keys: BrowserKeys) -> dict:
    assert received.headers["content-encoding"] == "aes128gcm"
    plain = http_ece.decrypt(
        received.body,
        private_key=keys.private_key,
        auth_secret=keys.auth_secret,
        version="aes128gcm",
    )
    return json.loads(plain)


def verify_vapid(received: Received, *, application_server_key: str, audience: str) -> dict:
    """The JWT's ES256 signature checks out against the key in the header, which is ours;
    returns the JWT's claims."""
    scheme, _, params = received.headers["authorization"].partition(" ")
    assert scheme.lower() == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == application_server_key
    header, claims, signature = fields["t"].split(".")
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    public.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    decoded = json.loads(unb64url(claims))
    assert decoded["aud"] == audience
    return decoded
