"""Webhook ingest: verify → store → process.

- `views`: the one endpoint, ``/webhooks/<provider>/`` (handshake, size limit, 503 when the
  database is down)
- `intake`: verify the signature with the provider's secret, store the raw event (dedup key),
  enqueue its processing; the operator's reprocess
- `dispatch`: the request path's batched publish to Celery
- `processing`: claim a stored event, parse it, route it to its channel
- `conversations`, `messages`, `updates`: what a parsed event writes
- `sweep`: re-enqueue what the broker lost
"""
