"""Live updates to agents' browsers. (Filled in by the inbox work.)"""


def broadcast(*, tenant_id: int, event: str, data: dict) -> None:
    """Tell the tenant's open inbox pages that something changed."""
