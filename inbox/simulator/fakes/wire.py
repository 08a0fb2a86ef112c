"""Small pieces every fake shares (kept apart from the `FakeProviders` dispatcher, which looks
the fakes up through the provider registry, so a fake never imports the registry back)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4n8YAAAPNAWbDbP9aAAAAAElFTkSuQmCC"
)
JSON = {"Content-Type": "application/json"}


def json_response(status: int, data: Any) -> tuple[int, dict, bytes]:
    return status, dict(JSON), json.dumps(data).encode()


def digits(seed: str, n: int) -> str:
    """``n`` decimal digits derived from ``seed`` (stable fake ids)."""
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:n]
