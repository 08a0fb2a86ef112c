"""The VAPID key pair (RFC 8292) that signs every push request.

From settings (`WEB_PUSH_VAPID_PRIVATE_KEY`: PEM, or the raw key base64url-encoded). Unset in
development, a key is generated once into `.data/` (readable by its owner only) and reused.
The private key never leaves the server; browsers get the public key to subscribe with.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from py_vapid import Vapid


def push_enabled() -> bool:
    return bool(settings.WEB_PUSH_VAPID_PRIVATE_KEY) or settings.DEBUG


@lru_cache(maxsize=4)
def _load(configured: str, key_file: str) -> Vapid:
    if configured:
        if "-----BEGIN" in configured:
            return Vapid.from_pem(configured.encode())
        return Vapid.from_string(configured)
    path = Path(key_file)
    if not path.exists():
        _generate_into(path)
    return Vapid.from_file(str(path))


def _generate_into(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    try:
        # O_EXCL: when several processes start at once, the first one's key wins.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(vapid.private_pem())


def vapid_key() -> Vapid:
    return _load(settings.WEB_PUSH_VAPID_PRIVATE_KEY, str(settings.WEB_PUSH_VAPID_KEY_FILE))


def application_server_key() -> str:
    """The public key as browsers take it (`applicationServerKey`): base64url, no padding."""
    raw = vapid_key().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_claims() -> dict:
    return {"sub": settings.WEB_PUSH_SUBJECT}
