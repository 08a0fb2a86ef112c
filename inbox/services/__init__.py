"""Writes of the inbox, one module per topic (webhook intake and processing: `inbox.ingest`):

- `sending`: message_send, the send task's claim, retries (channels work)
- `channels`: connect / refresh / disconnect channels (channels work)
- `media`: attachment bytes fetched server-side (channels work)
- `conversations`: assign, status, snooze, priority, labels, read state, notes (inbox work)
- `contacts`: contact edits (inbox work)
"""
