"""Encryption at rest for secrets (OAuth tokens, app secrets).

Values are encrypted with the first key of settings.FIELD_ENCRYPTION_KEYS and decrypted with
any of them, so keys can be rotated: prepend a new key, re-encrypt, drop the old one.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("The value cannot be decrypted with any configured key.") from exc


def rotate_token(token: str) -> str:
    """Re-encrypt a stored token with the newest key."""
    return _fernet().rotate(token.encode()).decode()


class EncryptedJSONField(models.TextField):
    """A dict stored as Fernet ciphertext; only the application sees its content."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return json.loads(decrypt_text(value))

    def get_prep_value(self, value):
        if value in (None, ""):
            value = {}
        return encrypt_text(json.dumps(value, sort_keys=True))
