"""`--log-format json`: one JSON object per line, the turn id on lines logged while a turn is answered.

A show with a chat model that logs inside its reply (on the loop and from a worker thread): those
lines carry the turn's id and the chat stage; a line logged outside any turn carries turn null.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

from studio.bench.fixed_delay import FixedDelayChat
from studio.cli import _parser
from studio.commands import command_modules
from studio.config import load_settings
from studio.engine.events import TurnCompleted
from studio.logs import JsonFormatter
from studio.show import Show
from studio.voices.profile import VoiceProfile
from tests.show.doubles import REPLY, fixed_stack
from tests.show.test_show import Events

CHAT_LOG = logging.getLogger("studio.backends.ollama_chat.test")


class LoggingChat(FixedDelayChat):
    """A fixed-delay chat that logs on the loop and from a worker thread while it answers."""

    async def stream_reply(self, messages: Sequence[Any], options: Any) -> AsyncIterator[str]:
        CHAT_LOG.warning("answering on the loop")
        await asyncio.to_thread(CHAT_LOG.warning, "answering in a worker")
        async for piece in super().stream_reply(messages, options):
            yield piece


class Lines(logging.Handler):
    """Formats every record with JsonFormatter and keeps the parsed lines."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_lines_logged_during_a_turn_carry_its_id_and_stage() -> None:
    stack = fixed_stack()
    stack.chat = LoggingChat(REPLY, first=0.01, per_token=0.001)
    show = Show(
        load_settings(), VoiceProfile(name="Test", anchor_name="Tess"), stack=stack, voice_for_language=None
    )
    lines = Lines()
    CHAT_LOG.addHandler(lines)

    async def scenario() -> TurnCompleted:
        events = Events(show)
        async with show:
            CHAT_LOG.warning("before any turn")
            await show.asubmit_text("Hello there")
            return await events.nth(TurnCompleted, 1)

    try:
        done = asyncio.run(scenario())
    finally:
        CHAT_LOG.removeHandler(lines)
    by_message = {line["message"]: line for line in lines.lines}
    assert by_message["before any turn"]["turn"] is None
    for message in ("answering on the loop", "answering in a worker"):
        line = by_message[message]
        assert (line["turn"], line["stage"], line["level"]) == (done.turn_id, "chat", "WARNING")
        assert line["logger"] == CHAT_LOG.name and line["time"].endswith("+00:00")
    assert by_message["answering in a worker"]["thread"] != by_message["answering on the loop"]["thread"]


def test_serve_and_run_take_log_format_and_the_root_logger_writes_json_lines() -> None:
    parser = _parser(command_modules())
    assert parser.parse_args(["serve", "--log-format", "json"]).log_format == "json"
    assert parser.parse_args(["run", "--input", "x.wav", "--log-format", "json"]).log_format == "json"
    assert parser.parse_args(["serve"]).log_format == "text"
    code = (
        "import logging; from studio.logs import configure_logging; configure_logging(True, 'json');"
        "logging.getLogger('studio.engine.x').info('hi %s', 'there', extra={'stage': 'tts'})"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert {k: line[k] for k in ("level", "logger", "message", "stage", "turn")} == {
        "level": "INFO",
        "logger": "studio.engine.x",
        "message": "hi there",
        "stage": "tts",
        "turn": None,
    }
