"""The web layer: REST commands, live events, pages and metrics — one more face of the show.

It reaches the show only through its command API and event stream (DESIGN.md "Layers").
Threading: the server runs its own asyncio loop in a "web" thread (studio.web.server); the show
keeps its own loop; events hop from the show's loop to the web loop, commands the other way.
"""

from studio.web.app import create_app
from studio.web.options import WebOptions
from studio.web.server import WebServer
from studio.web.tokens import Tokens, load_tokens

__all__ = ["Tokens", "WebOptions", "WebServer", "create_app", "load_tokens"]
