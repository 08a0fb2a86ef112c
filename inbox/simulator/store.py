"""The fake providers' store backed by the database (``FakeStore`` protocol)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from django.db import transaction
from django.db.models import Q

from .fake_providers import Failure
from .models import (
    SimulatorFailure,
    SimulatorObject,
    SimulatorProfile,
    SimulatorRequest,
    SimulatorRevokedToken,
    SimulatorTemplate,
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DatabaseStore:
    def record(self, entry: dict) -> None:
        path = entry["path"]
        SimulatorRequest.objects.create(
            provider=path.strip("/").split("/", 1)[0][:16],
            method=entry["method"][:8],
            path=path[:500],
            query=entry.get("query") or {},
            headers=entry.get("headers") or {},
            body=entry.get("body", ""),
            status=entry.get("status", 0),
            injected=entry.get("injected", ""),
        )

    def requests(self) -> list[dict]:
        rows = SimulatorRequest.objects.order_by("id")
        result = []
        for r in rows:
            try:
                data = json.loads(r.body) if r.body else {}
            except ValueError:
                data = None
            result.append(
                {
                    "at": r.at.timestamp(),
                    "method": r.method,
                    "path": r.path,
                    "query": r.query,
                    "headers": r.headers,
                    "body": r.body,
                    "json": data,
                    "status": r.status,
                    "injected": r.injected,
                }
            )
        return result

    def add_failure(self, failure: Failure, count: int) -> None:
        SimulatorFailure.objects.bulk_create(
            [SimulatorFailure(**asdict(failure)) for _ in range(count)]
        )

    def take_failure(self, provider: str, path: str) -> Failure | None:
        with transaction.atomic():
            for row in SimulatorFailure.objects.select_for_update(skip_locked=True).order_by("id"):
                failure = Failure(
                    kind=row.kind,
                    code=row.code,
                    provider=row.provider,
                    path_contains=row.path_contains,
                )
                if failure.matches(provider, path):
                    row.delete()
                    return failure
        return None

    def revoke_token(self, token: str) -> None:
        SimulatorRevokedToken.objects.get_or_create(token_hash=_hash(token))

    def is_revoked(self, token: str) -> bool:
        return SimulatorRevokedToken.objects.filter(token_hash=_hash(token)).exists()

    def set_profile(self, user_id: str, name: str) -> None:
        SimulatorProfile.objects.update_or_create(external_id=user_id, defaults={"name": name})

    def get_profile(self, user_id: str) -> str | None:
        row = SimulatorProfile.objects.filter(external_id=user_id).first()
        return row.name if row else None

    def template_put(self, waba_id: str, data: dict, phone_number_ids: list[str]) -> None:
        SimulatorTemplate.objects.update_or_create(
            template_id=str(data["id"]),
            defaults={
                "waba_id": waba_id,
                "name": data["name"],
                "language": data["language"],
                "data": data,
                "phone_number_ids": list(phone_number_ids),
            },
        )

    def templates(self, waba_id: str) -> list[dict]:
        return [row.data for row in SimulatorTemplate.objects.filter(waba_id=waba_id)]

    def template_for_number(self, phone_number_id: str, name: str, language: str) -> dict | None:
        numbers = Q(phone_number_ids__contains=[phone_number_id])
        numbers |= Q(phone_number_ids__contains=["*"])
        row = SimulatorTemplate.objects.filter(numbers, name=name, language=language).first()
        return row.data if row else None

    def put_object(self, api: str, kind: str, external_id: str, data: dict, parent_id="") -> None:
        SimulatorObject.objects.update_or_create(
            api=api,
            kind=kind,
            external_id=external_id,
            defaults={"data": data, "parent_id": parent_id},
        )

    def get_object(self, api: str, kind: str, external_id: str) -> dict | None:
        row = SimulatorObject.objects.filter(api=api, kind=kind, external_id=external_id).first()
        return row.data if row else None

    def objects(self, api: str, kind: str, parent_id: str) -> list[dict]:
        rows = SimulatorObject.objects.filter(api=api, kind=kind, parent_id=parent_id)
        return [r.data for r in rows.order_by("id")]

    def clear(self) -> None:
        SimulatorTemplate.objects.all().delete()
        SimulatorObject.objects.all().delete()
        SimulatorProfile.objects.all().delete()
        SimulatorRequest.objects.all().delete()
        SimulatorFailure.objects.all().delete()
        SimulatorRevokedToken.objects.all().delete()
