"""Reads of the inbox, one module per topic (conversations, threads, search, counts)."""
