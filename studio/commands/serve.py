"""`ai-anchor-studio serve`: the show without a window, reached over HTTP and WebSocket (studio.web).

Threading: the show's asyncio loop runs in the main thread (SIGINT/SIGTERM stop it there); the
web server runs its own loop in a "web" thread and is stopped once the show has closed.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, STACK_CHOICES, fail
from studio.config import Settings, data_dir
from studio.logs import add_log_format_argument

if TYPE_CHECKING:
    from studio.rundown import Rundown
    from studio.show import Show
    from studio.voices.profile import VoiceProfile
    from studio.web import WebOptions, WebServer


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `serve` subcommand and its flags."""
    serve = sub.add_parser("serve", help="run the show without a window; control it over HTTP/WebSocket")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="port (default: 8765; 0: any free one)")
    serve.add_argument("--stack", choices=STACK_CHOICES, dest="sub_stack", help="model stack")
    serve.add_argument("--voice", help="voice profile name (default: the default voice)")
    serve.add_argument("--tls-cert", type=Path, help="TLS certificate (PEM); needed to bind beyond loopback")
    serve.add_argument("--tls-key", type=Path, help="TLS private key (PEM)")
    serve.add_argument(
        "--tls-self-signed",
        action="store_true",
        help="serve HTTPS with the studio's own certificate (made once, kept; its fingerprint is printed)",
    )
    serve.add_argument(
        "--rundown", type=Path, metavar="FILE", help="rundown TOML; its first segment starts with the show"
    )
    add_log_format_argument(serve)


def _port(text: str) -> int:
    """A TCP port number (0: any free one)."""
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0-65535)")
    return value


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Check everything that can be checked, then serve the live show."""
    from studio.commands.run import load_checked_rundown
    from studio.rundown import RundownError
    from studio.voices.catalog import VoiceCatalog
    from studio.voices.profile import VoiceProfileError
    from studio.web.launch import web_options
    from studio.web.options import BindError, check_bind
    from studio.web.tokens import TokenError

    try:
        if args.tls_self_signed:
            _use_self_signed(args)
        check_bind(args.host, args.tls_cert, args.tls_key)
        voice = VoiceCatalog(data_dir() / "voices").get(args.voice or settings.voice)
        options = web_options(
            settings, host=args.host, port=args.port, tls_cert=args.tls_cert, tls_key=args.tls_key
        )
        rundown = load_checked_rundown(args.rundown) if args.rundown else None
    except (BindError, VoiceProfileError, TokenError, RundownError) as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    return _serve_with_surfaces(live_show(settings, voice, rundown), options)


def _use_self_signed(args: argparse.Namespace) -> None:
    """--tls-self-signed: the studio's own certificate for --host (made once, then reused)."""
    from studio.web.options import BindError
    from studio.web.selfsigned import ensure_self_signed

    if args.tls_cert is not None or args.tls_key is not None:
        raise BindError("give either --tls-cert/--tls-key or --tls-self-signed, not both")
    made = ensure_self_signed(data_dir() / "tls", args.host)
    args.tls_cert, args.tls_key = made.cert, made.key
    state = "made" if made.made else "reused"
    print(
        f"ai-anchor-studio: HTTPS with the studio's self-signed certificate ({state}: {made.cert}); "
        f"before trusting it in a browser, check its SHA-256 fingerprint is {made.fingerprint}",
        flush=True,
    )


def _serve_with_surfaces(show: Show, options: WebOptions) -> int:
    """`serve`, with the OSC / MIDI control surfaces the settings enable (README "Control surfaces")."""
    from studio.surfaces import start_surfaces

    surfaces = start_surfaces(show, show.settings)
    for problem in surfaces.problems:
        print(f"ai-anchor-studio: {problem}", file=sys.stderr, flush=True)
    try:
        return serve(show, options)
    finally:
        surfaces.close()


def live_show(settings: Settings, voice: VoiceProfile, rundown: Rundown | None = None) -> Show:
    """The window's show, without the window: the real devices, a new session log, the rundown started."""
    from studio.rundown import SegmentClock
    from studio.session.log import new_session_path
    from studio.show import Show
    from studio.show.events import ShowReady
    from studio.show.session import unused_path

    def open_devices(current: Settings) -> Any:
        """The real audio devices the settings name (reopened when they change)."""
        from studio.audio.io import AudioIO

        return AudioIO(current)

    show = Show(
        settings,
        voice,
        audio_factory=open_devices,
        session_log=unused_path(new_session_path()),
        session_details={"input": "serve"},
        rundown=SegmentClock(rundown) if rundown is not None else None,
    )
    if rundown is not None:  # the first segment starts once the show is on (NEXT/BACK: OSC, MIDI)

        def start_rundown(event: Any) -> None:
            status = show.rundown_status()
            if isinstance(event, ShowReady) and status is not None and not status.started:
                show.next_segment()

        show.subscribe(start_rundown)
    return show


def serve(
    show: Show,
    options: WebOptions,
    out: TextIO = sys.stdout,
    on_ready: Callable[[WebServer], None] | None = None,
) -> int:
    """Serve `show` until a signal (or `show.stop()`); the session log is closed on the way out."""
    from studio.backends.registry import BackendLoadError
    from studio.web import WebServer

    server = WebServer(show, options)
    try:
        server.start()
    except OSError as exc:
        return fail(f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}", EXIT_FAILED)
    try:
        _announce(server, show, out)
        if on_ready is not None:
            on_ready(server)
        asyncio.run(_run_until_signalled(show))
    except BackendLoadError as exc:
        return fail(str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        return fail("stopped by a second Ctrl-C", EXIT_INTERRUPTED)
    finally:
        server.stop()
    print(f"stopped; session log: {show.session_log_path}", file=out, flush=True)
    return 0


def _announce(server: WebServer, show: Show, out: TextIO) -> None:
    """Where to point a browser, OBS and Prometheus."""
    tokens, url = server.tokens, server.url
    lines = (
        f"AI Anchor Studio serving at {url}  (Ctrl-C stops)",
        f"  control page:     {url}/control?token={tokens.control}",
        f"  caption overlay:  {url}/overlay/captions?token={tokens.overlay}",
        f"  API and metrics:  Authorization: Bearer {tokens.control}",
        f"  session log:      {show.session_log_path}",
    )
    print("\n".join(lines), file=out, flush=True)


async def _run_until_signalled(show: Show) -> None:
    """Run the show; the first SIGINT/SIGTERM stops it cleanly, a second one interrupts."""
    loop = asyncio.get_running_loop()
    handled = (signal.SIGINT, signal.SIGTERM)
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for sig in handled:
            loop.add_signal_handler(sig, _stop, loop, show, sig)
    try:
        await show.run()
    finally:
        if in_main:
            for sig in handled:
                loop.remove_signal_handler(sig)


def _stop(loop: asyncio.AbstractEventLoop, show: Show, sig: signal.Signals) -> None:
    """Ask the show to end; the same signal again falls back to its default (interrupt)."""
    print(f"\n{sig.name}: stopping the show…", file=sys.stderr, flush=True)
    loop.remove_signal_handler(sig)
    show.stop()
