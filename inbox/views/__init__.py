"""The agents' inbox in the browser: pages and htmx partials, one module per topic.

- `conversation_list`: the three-pane page, list pages, sidebar counts, search
- `thread`: the open conversation (thread pane, older messages, contact panel)
- `conversation_actions`: assign, status, priority, labels, unread, reply, retry, bulk
- `contacts`: editing a contact's fields
- `saved_views`: saving and deleting named filter sets
- `live`: live-update catch-up (what changed since the page last looked)
- `channels`: the channel list, connecting (a provider's form or OAuth steps) and disconnecting
- `attachments`: attachment media served through Parley
- `webhook_events`: the staff page of failed and unrouted webhook events
"""
