"""Writes of the inbox, one module per topic:

- `receiving`: webhook events → contacts, conversations, messages, statuses (channels work)
- `sending`: message_send, the send task's claim, retries (channels work)
- `webhooks`: webhook ingest, reprocess, the sweeper (channels work; hot path in `_ingest_db`)
- `channels`: connect / refresh / disconnect channels (channels work)
- `media`: attachment bytes fetched server-side (channels work)
- `conversations`: assign, status, snooze, priority, labels, read state, notes (inbox work)
- `contacts`: contact edits (inbox work)
"""
