"""Thin pipecat pieces for `bench --peer pipecat`: a bench transport and services around our backends.

Pipecat has no service for an in-process chat model (SmolLM2), so `ChatModelLLMService` wraps
ours; for the fixed-delay pass the instrumented STT, end-of-turn and TTS of
studio.bench.fixed_delay get the same thin wrappers. The transport is a mic that the bench feeds
in real time and an output that plays each write at once and reports it.
Threading: pipecat runs these on the bench's asyncio loop; our backends work in their own workers,
the turn analyzer's model in the analyzer's thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import numpy as np
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn
from pipecat.frames.frames import (
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    OutputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings, STTSettings, TTSSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams
from pipecat.utils.time import time_now_iso8601

from studio.backends.contracts import ChatMessage, ChatModel, ChatOptions, SpeechSynthesizer, SpeechToText
from studio.engine.conversation import Conversation
from studio.voices.profile import VoiceProfile


def pcm16(samples: np.ndarray) -> bytes:
    """Float audio in [-1, 1] as the 16-bit PCM pipecat frames carry."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes()


class _BenchMic(BaseInputTransport):
    """A mic the bench speaks into, frame by frame (`push_audio_frame`)."""

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)


class _StampedOutput(BaseOutputTransport):
    """A program output that plays each write at once and stamps the first audible one of a reply."""

    def __init__(self, params: TransportParams, on_audio: Callable[[bytes], None]) -> None:
        super().__init__(params)
        self._on_audio = on_audio

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self._on_audio(frame.audio)
        return True


class BenchTransport(BaseTransport):
    """Input and output processors of one bench conversation."""

    def __init__(self, params: TransportParams, on_audio: Callable[[bytes], None]) -> None:
        super().__init__()
        self.mic = _BenchMic(params)
        self._output = _StampedOutput(params, on_audio)

    def input(self) -> _BenchMic:
        return self.mic

    def output(self) -> _StampedOutput:
        return self._output


class ChatModelLLMService(LLMService):
    """Thin pipecat LLM service over one of our chat backends (pipecat has none for in-process SmolLM2).

    It sends what our engine sends: the persona, the history bounded by the same limits
    (`history`: turns, characters), the same options.
    """

    def __init__(
        self, chat: ChatModel, options: ChatOptions, persona: str, history: tuple[int, int], **kwargs: Any
    ) -> None:
        # Our options travel in ChatOptions; pipecat's own knobs are unused (None: unsupported).
        unused = {f.name: None for f in dataclasses.fields(LLMSettings) if f.name not in ("model", "extra")}
        super().__init__(settings=LLMSettings(model=chat.info.name, **unused), **kwargs)
        self._chat, self._options = chat, options
        self._persona, self._history = persona, history
        self.on_first_token: Callable[[], None] = lambda: None
        self.on_reply_end: Callable[[], None] = lambda: None
        self._pumps: set[asyncio.Task[None]] = set()  # replies winding down after an interruption

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if not isinstance(frame, LLMContextFrame):
            await self.push_frame(frame, direction)
            return
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        try:
            first = True
            async for piece in self._pieces(self._messages(frame.context)):
                if piece:
                    if first:
                        self.on_first_token()
                        first = False
                    await self._push_llm_text(piece)
        finally:
            await self.stop_processing_metrics()
            await self.push_frame(LLMFullResponseEndFrame())
            self.on_reply_end()

    async def _pieces(self, messages: list[ChatMessage]) -> AsyncIterator[str]:
        """The reply's pieces, read by a task of its own: an interruption ends this at once.

        Our backend stops at its next token once closed, which on a busy machine can take seconds;
        pipecat waits for an interrupted frame's processing, so the wind-down happens apart from it
        (as our engine's supervisor does: it never waits on a backend that is slow to stop).
        """
        queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()

        async def pump() -> None:
            try:
                async for piece in self._chat.stream_reply(messages, self._options):
                    queue.put_nowait(piece)
                queue.put_nowait(None)
            except Exception as exc:  # handed to the reader
                queue.put_nowait(exc)

        task = asyncio.get_running_loop().create_task(pump())
        self._pumps.add(task)
        task.add_done_callback(self._pumps.discard)
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            task.cancel()

    def _messages(self, context: LLMContext) -> list[ChatMessage]:
        """Pipecat's context replayed into a fresh Conversation, so the request matches the engine's."""
        conversation = Conversation(self._persona, *self._history)
        host = ""
        for message in context.get_messages():
            role = message.get("role") if isinstance(message, dict) else None
            text = str(message.get("content") or "") if isinstance(message, dict) else ""
            if role == "user":
                host = f"{host} {text}".strip()
            elif role == "assistant" and host:
                conversation.record_turn(host, text, interrupted=False)
                host = ""
        return conversation.messages_for(host)


class BackendSTTService(SegmentedSTTService):
    """Thin segmented STT over one of our STT backends (the fixed-delay pass)."""

    def __init__(self, stt: SpeechToText, **kwargs: Any) -> None:
        settings = STTSettings(model=stt.info.name, language=Language.EN)
        # 1.0 s is pipecat's default when none is given; stated so that it does not warn.
        super().__init__(settings=settings, ttfs_p99_latency=1.0, **kwargs)
        self._stt = stt

    @property
    def wants_wav_segments(self) -> bool:
        return False

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32) / 32768.0
        transcript = await self._stt.transcribe(samples, "en")
        if transcript.text.strip():
            yield TranscriptionFrame(transcript.text, self._user_id, time_now_iso8601(), Language.EN)


class BackendTTSService(TTSService):
    """Thin TTS service over one of our synthesizers (the fixed-delay pass), set up like PiperTTSService."""

    def __init__(self, tts: SpeechSynthesizer, voice: VoiceProfile, **kwargs: Any) -> None:
        settings = TTSSettings(model=None, voice=None, language=None)
        super().__init__(push_start_frame=True, push_stop_frames=True, settings=settings, **kwargs)
        self._tts, self._voice = tts, voice

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        rate = int(getattr(self._tts, "sample_rate", 24_000))

        async def pcm() -> AsyncIterator[bytes]:
            async for chunk in self._tts.synthesize(text, self._voice):
                yield pcm16(chunk.samples)

        async for frame in self._stream_audio_frames_from_iterator(
            pcm(), in_sample_rate=rate, context_id=context_id
        ):
            yield frame


class FixedDelayTurnAnalyzer(BaseSmartTurn):
    """Smart Turn's buffering and timing with the model replaced by a fixed delay (fixed-delay pass)."""

    def __init__(self, delay: float, probability: float = 0.9, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._delay, self._probability = delay, probability

    def _predict_endpoint(self, audio_array: np.ndarray) -> dict[str, Any]:
        time.sleep(self._delay)  # the analyzer's own model thread, as a real model would occupy it
        return {"prediction": 1, "probability": self._probability}
