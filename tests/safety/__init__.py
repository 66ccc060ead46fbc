"""Broadcast safety: the word filter, producer approval, the broadcast delay and DUMP."""
