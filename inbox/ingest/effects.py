"""Side effects collected while an event is processed, fired once its transaction commits."""

from __future__ import annotations

from dataclasses import dataclass, field

from inbox.services import events


@dataclass
class ProcessingEffects:
    """Live hints, automation and media prefetch for the messages of one event."""

    automation_message_ids: list[int] = field(default_factory=list)
    media_message_ids: list[int] = field(default_factory=list)
    broadcasts: list[tuple[int, str, dict]] = field(default_factory=list)

    def broadcast(self, tenant_id: int, event: str, data: dict) -> None:
        self.broadcasts.append((tenant_id, event, data))

    def fire(self) -> None:
        for tenant_id, event, data in self.broadcasts:
            events.broadcast_safely(tenant_id=tenant_id, event=event, data=data)
        for message_id in self.automation_message_ids:
            events.enqueue_automation(message_id)
        for message_id in self.media_message_ids:
            events.enqueue_media_prefetch(message_id)
