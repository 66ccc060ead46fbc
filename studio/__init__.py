"""AI Anchor Studio: a live broadcasting studio where a human host talks with an AI co-anchor."""

__version__ = "0.1.0"
