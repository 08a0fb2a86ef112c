"""TikTok signals. (Filled in by the signals work.)"""


def signals_detect_for_message(*, message) -> None:
    """Detect signal keywords in a stored inbound message, inside its transaction."""
