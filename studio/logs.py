"""Log set-up for every command: plain text, or `--log-format json` (one JSON object per line).

Each JSON line has time, level, logger, message, thread, stage (when known) and turn (when
known). The turn id is a context variable: the engine runs each turn's reply in a task created
in a context that carries it (`turn_context`), so every line logged by that task, by tasks it
starts and by `asyncio.to_thread` workers it calls carries the id. Lines logged outside a turn
task (the mic loop and turn detection before a line ends, stage supervision, the web and Qt
threads, backends' own threads) have `turn: null`. The stage comes from `extra={"stage": …}`
or the logger's module (studio.backends.whisper_stt → "stt"); else null.
Threading: `configure_logging` on the main thread at start; the formatter on any thread.
"""

from __future__ import annotations

import argparse
import contextvars
import json
import logging
from datetime import UTC, datetime

CURRENT_TURN: contextvars.ContextVar[int | None] = contextvars.ContextVar("studio_turn", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STAGE_OF_MODULE = {  # studio.backends.<module> → the stage it serves
    "silero_vad": "vad",
    "smart_turn": "turn",
    "distilbert_turn": "turn",
    "turn_model": "turn",
    "whisper_stt": "stt",
    "voxtral_stt": "stt",
    "voxtral_realtime": "stt",
    "ollama_chat": "chat",
    "openai_chat": "chat",
    "smollm_chat": "chat",
    "piper_tts": "tts",
    "higgs_tts": "tts",
}


def turn_context(turn_id: int) -> contextvars.Context:
    """A copy of the current context with CURRENT_TURN set: create a turn's task in it."""
    context = contextvars.copy_context()
    context.run(CURRENT_TURN.set, turn_id)
    return context


def stage_of(record: logging.LogRecord) -> str | None:
    """The stage a record is about: its `stage` extra, else its backend module's stage."""
    given = getattr(record, "stage", None)
    if given:
        return str(given)
    parts = record.name.split(".")
    if len(parts) >= 3 and parts[:2] == ["studio", "backends"]:
        return STAGE_OF_MODULE.get(parts[2])
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, thread, stage, turn (+ exc)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
            "stage": stage_of(record),
            "turn": getattr(record, "turn", None) or CURRENT_TURN.get(),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def add_log_format_argument(parser: argparse.ArgumentParser) -> None:
    """`--log-format text|json` on a subcommand (serve, run)."""
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as text (default) or one JSON object per line with the turn id and stage",
    )


def configure_logging(verbose: bool, log_format: str = "text") -> None:
    """The root logger to stderr: INFO with `verbose`, else WARNING; text or JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
