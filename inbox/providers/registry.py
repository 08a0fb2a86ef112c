"""Provider name → module. Adding LINE or Zalo means adding one module here."""

from __future__ import annotations

from types import ModuleType

from . import messenger, tiktok, whatsapp

PROVIDERS: dict[str, ModuleType] = {
    tiktok.NAME: tiktok,
    whatsapp.NAME: whatsapp,
    messenger.NAME: messenger,
}

CHOICES = [(name, module.LABEL) for name, module in PROVIDERS.items()]


def get(name: str) -> ModuleType:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown provider {name!r}") from None
