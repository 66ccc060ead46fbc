"""The show's turn loop: plain Python on one asyncio loop, no Qt (see qt_adapter for the GUI edge)."""
