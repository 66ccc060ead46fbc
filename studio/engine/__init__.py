"""The show's turn loop: plain Python on one asyncio loop, no Qt.

studio.show assembles it with its hooks; studio.ui.show_thread is the Qt edge of that show.
"""
