"""The studio's one typed settings object: built once at start, then passed to whoever needs it.

Sources, strongest first: explicit overrides (CLI flags), environment variables, the TOML file
in the user config dir (`settings.toml`), then the defaults below. A bad value stops the start
with a message naming the setting, the value given and what is allowed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

APP_NAME = "ai-anchor-studio"
StackName = Literal["auto", "embedded", "gpu"]
PROGRAM_SAMPLE_RATES = (16000, 22050, 24000, 44100, 48000)
#: The seed's chat model, as `ollama pull` names it (huihui-ai's abliterated Mistral-Small, bartowski's GGUF).
SEED_CHAT_MODEL = "hf.co/bartowski/huihui-ai_Mistral-Small-24B-Instruct-2501-abliterated-GGUF:Q4_K_M"
#: Seed settings that were never read, removed (README "Settings"): what to use instead.
REMOVED = {
    "audio_chunk_size": "audio blocks are sized by the VAD frame and the device; use output_latency_ms",
    "buffer_size_ms": "use output_latency_ms (the device buffer)",
    "max_concurrent_sessions": "the studio runs one show per process",
    "stt_batch_size": "speech is transcribed one utterance at a time",
}


def config_dir() -> Path:
    """Per-user config dir (settings.toml); AI_ANCHOR_CONFIG_DIR overrides it (tests, portable)."""
    override = os.environ.get("AI_ANCHOR_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Per-user data dir (voices, session logs); AI_ANCHOR_DATA_DIR overrides it."""
    override = os.environ.get("AI_ANCHOR_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Per-user cache dir (converted model weights); AI_ANCHOR_CACHE_DIR overrides it."""
    override = os.environ.get("AI_ANCHOR_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def settings_file() -> Path:
    """The TOML file the studio reads (and the GUI's settings dialog writes)."""
    return config_dir() / "settings.toml"


class SettingsError(ValueError):
    """Settings could not be built; the message is meant to be shown to the user as-is."""


class Settings(BaseSettings):
    """Everything configurable about the studio, with the seed's names and defaults."""

    model_config = SettingsConfigDict(extra="forbid", validate_default=True, case_sensitive=False)

    # Which model stack runs the show.
    stack: StackName = "auto"

    # The seed's settings (GPU stack).
    VOXTRAL_MODEL_PATH: str = "mistralai/Voxtral-Mini-3B-2507"
    HIGGS_AUDIO_MODEL_PATH: str = "bosonai/higgs-audio-v2-generation-3B-base"
    OLLAMA_MODEL_NAME: str = SEED_CHAT_MODEL
    GPU_MEMORY_LIMIT_GB: float = Field(48.0, gt=0, le=1024)
    SAMPLE_RATE: int = 24000
    TTS_STREAM_CHUNK_SIZE: int = Field(25, ge=1, le=1000)  # higgs host: audio-code frames per decode
    max_latency_ms: int = Field(2000, ge=100, le=60000)  # the window marks a slower turn red
    enable_voice_cloning: bool = True  # false: the gpu stack speaks with the profile's Piper voice

    # Endpoints.
    OLLAMA_HOST: str = "http://127.0.0.1:11434"
    VOXTRAL_URL: str = "http://127.0.0.1:8000"
    HIGGS_AUDIO_URL: str = "http://127.0.0.1:8100"
    # Keys the studio sends to model hosts that are exposed beyond this machine (README "Model hosts"):
    # vLLM's --api-key, our higgs host's --token; Ollama has none (put a reverse proxy in front).
    VOXTRAL_API_KEY: str = ""
    HIGGS_AUDIO_API_KEY: str = ""
    OPENAI_CHAT_API_KEY: str = ""

    # Embedded stack.
    chat_backend: Literal["auto", "ollama", "smollm2", "openai"] = "auto"
    stt_threads: int = Field(2, ge=1, le=64)
    # Whisper's encoder window for a line (seconds): the line plus 2 s, at least this; 30 is the
    # model's full window. 15 is 2.4x faster than 30 for a 3 s line at the same word error rate.
    stt_window_s: int = Field(15, ge=10, le=30)

    # GPU stack (`--stack gpu`): stage choices, model hosts and the end-of-turn text model.
    stt_backend: Literal["auto", "faster-whisper", "voxtral", "voxtral-realtime"] = "auto"
    stt_language: str = Field("auto", pattern=r"^(auto|[a-z]{2})$")  # ISO-639-1, or auto-detect
    VOXTRAL_REALTIME_MODEL_PATH: str = "mistralai/Voxtral-Mini-4B-Realtime-2602"
    OPENAI_CHAT_URL: str = "http://127.0.0.1:8001"  # any /v1/chat/completions server (vLLM, llama.cpp)
    OPENAI_CHAT_MODEL: str = ""  # empty: the first model the server lists
    chat_context_tokens: int = Field(4096, ge=512, le=131072)  # Ollama num_ctx, vLLM max-model-len
    HIGGS_AUDIO_PYTHON: str = ""  # python of the separate higgs environment (`host up` starts it)
    TURN_MODEL_PATH: str = ""  # DistilBERT sentence-completion model dir; empty: Smart Turn only

    # The turn loop.
    turn_mode: Literal["auto", "push_to_talk"] = "auto"
    vad_threshold: float = Field(0.5, gt=0, lt=1)
    stt_speculate_ms: int = Field(32, ge=32, le=5000)  # the first quiet frame: the reply starts sooner
    # Also speculate where the host's voice drops far under their level while Silero still hears
    # speech (its lag is ~110 ms): the reply starts sooner when the recogniser is free then.
    speculate_on_fade: bool = True
    turn_min_silence_ms: int = Field(200, ge=50, le=5000)
    turn_max_silence_ms: int = Field(1200, ge=100, le=10000)
    turn_completion_threshold: float = Field(0.5, gt=0, lt=1)
    turn_punctuation_min_probability: float = Field(0.1, ge=0, lt=1)
    partial_interval_ms: int = Field(500, ge=100, le=5000)
    barge_in_ms: int = Field(200, ge=32, le=2000)
    # The anchor pauses (never drops) at the first frame this likely to be the host's voice while it
    # talks, and goes on if no barge-in follows (studio.engine.hold).
    barge_in_hold: bool = True
    barge_in_hold_threshold: float = Field(0.3, gt=0, lt=1)
    first_clause_max_words: int = Field(4, ge=0, le=100)  # 0: wait for punctuation
    # Prepare the reply to the speculative final transcript while the end of turn is decided (it
    # airs only once the turn is decided on that same text; the host going on drops it unheard).
    speculative_reply: bool = True
    # While the reply's first clause is synthesized, the embedded chat model pauses between tokens
    # (two cores: the clause the host waits for gets them both).
    first_clause_priority: bool = True
    max_reply_chars: int = Field(600, ge=0, le=100_000)  # ends at a sentence boundary; 0: no cap
    max_reply_tokens: int = Field(80, ge=8, le=4096)
    history_turns: int = Field(8, ge=0, le=200)
    history_max_chars: int = Field(1000, ge=0, le=200_000)
    voice: str | None = None

    # The studio window.
    persona_prompt: str = Field("", max_length=4000)  # show-wide instructions added to every persona
    ptt_hotkey: str = "Space"  # held while the window has focus (Qt key name, e.g. "F13", "Ctrl+T")
    interrupt_hotkey: str = "Escape"

    # The rundown (README "Rundown"): the anchor is told to wrap up in a segment's last seconds.
    rundown_wrap_up_s: float = Field(60.0, ge=0, le=3600)

    # Control surfaces (README "Control surfaces"): OSC on a loopback UDP port, MIDI in/out ports.
    osc_enabled: bool = True
    osc_host: str = "127.0.0.1"  # another address exposes talk/mute to the network: keep it loopback
    osc_port: int = Field(9010, ge=1024, le=65535)
    midi_enabled: bool = False
    midi_input: str = ""  # port name (as `mido` lists it); empty: a virtual port "AI Anchor Studio"
    midi_output: str = ""  # where mute state is lit; empty: the virtual port
    # action → "note:CH:N" or "cc:CH:N" (channel 1-16); learn mode in the window fills these in.
    midi_map: dict[str, str] = Field(default_factory=dict)
    # Global hotkeys (README "Global hotkeys"): work while OBS or a game has focus. X11: grabbed;
    # Wayland: in-window keys only for now (README). Qt key names; empty: no key for that action.
    # Ctrl+Alt+Shift keeps clear of terminals (Ctrl+Alt+T), consoles (Ctrl+Alt+F1) and browsers.
    global_hotkeys_enabled: bool = True
    global_hotkey_talk: str = "Ctrl+Alt+Shift+Space"  # hold to talk
    global_hotkey_dump: str = "Ctrl+Alt+Shift+D"
    global_hotkey_mute: str = "Ctrl+Alt+Shift+M"  # toggles
    global_hotkey_approve: str = "Ctrl+Alt+Shift+A"  # producer approval: air the waiting reply
    global_hotkey_next: str = "Ctrl+Alt+Shift+N"
    global_hotkey_back: str = "Ctrl+Alt+Shift+B"
    global_hotkey_delay_dump: str = "Ctrl+Alt+Shift+X"  # the broadcast delay's DUMP
    global_hotkey_drop_reply: str = "Ctrl+Alt+Shift+R"  # drop the reply waiting for approval

    # Audio devices, remembered by name (`ai-anchor-studio devices`); None: the system default.
    program_device: str | None = None  # what goes on air (e.g. the ai_anchor_out null sink)
    monitor_device: str | None = None  # the host's headphones; None: no monitor
    mic_device: str | None = None
    program_loudness_lufs: float = Field(-16.0, ge=-40, le=-5)  # true peak is limited to -1 dBTP
    # Device buffer in ms (0: PortAudio's lowest, ~8 ms into a Pulse sink but underruns under load;
    # 40 ms rides out a busy 2-core machine). See `bench --audio`.
    output_latency_ms: int = Field(40, ge=0, le=500)
    echo_gate: bool = True  # the anchor's own voice in the mic never starts a turn or a barge-in
    # WebRTC AEC3 takes the program's echo out of the mic before VAD and STT (README "Echo cancellation").
    echo_cancellation: bool = True

    # The web layer (`serve`, README "Web layer"). The token is a secret: /api/settings redacts it.
    STUDIO_API_TOKEN: str = ""  # empty: one is generated on first start and kept in the config dir (0600)
    web_allowed_origins: list[str] = []  # browser origins besides the studio's own (turns CORS on for them)
    web_commands_per_s: float = Field(10.0, gt=0, le=10_000)  # state-changing requests per client; then 429
    web_reads_per_s: float = Field(50.0, gt=0, le=10_000)  # reads per client (status, voices, metrics)
    web_enabled: bool = True  # the window serves the web layer (remote control, overlay) on loopback
    web_port: int = Field(8765, ge=0, le=65535)  # the window's web port (0: any free one)
    # A voice on /ws/audio: False, it replaces the mic (a remote host); True, it is mixed with the mic
    # (a guest beside the host). PUT /api/remote-input {"mix"} switches it on a running show.
    remote_audio_mix: bool = False

    # Resilience: how long each stage may take before it counts as failed, and the re-checks.
    stt_timeout_s: float = Field(10.0, gt=0, le=600)  # one partial or final transcript
    turn_timeout_s: float = Field(2.0, gt=0, le=600)  # one end-of-turn verdict
    chat_timeout_s: float = Field(15.0, gt=0, le=600)  # the first reply piece, then each next one
    tts_timeout_s: float = Field(10.0, gt=0, le=600)  # the first audio chunk, then each next one
    health_check_s: float = Field(1.0, gt=0, le=600)  # first re-check of a failed stage; doubles
    health_check_max_s: float = Field(30.0, gt=0, le=3600)  # the longest wait between re-checks
    # Fault injection for tests and demos, e.g. "chat:fail:0.3,tts:hang:0.1" (studio.faults); the
    # environment may also name it AI_ANCHOR_FAULTS, which wins over FAULTS and the file.
    faults: str = Field("", validation_alias=AliasChoices("AI_ANCHOR_FAULTS", "faults"))

    # OBS (obs-websocket v5, built into OBS 28+; README "OBS"): captions of what airs, chapters.
    obs_websocket_url: str = ""  # e.g. ws://127.0.0.1:4455 (env OBS_WEBSOCKET_URL); empty: no bridge
    obs_websocket_password: str = ""  # OBS → Tools → WebSocket Server Settings (env OBS_WEBSOCKET_PASSWORD)
    obs_caption_source: str = "AI Anchor Captions"  # a Text source in OBS; empty: stream captions only
    obs_caption_clear_s: float = Field(4.0, ge=0, le=600)  # idle time before the caption clears; 0: never
    obs_chapter_markers: bool = True  # a chapter per turn and rundown segment (OBS 30.2+, else a file)
    # Cues while the anchor's audio airs (empty: none): sources enabled in the program scene, and
    # an optional program scene per speaker (the rundown's own scenes switch at segment changes).
    obs_anchor_source: str = ""  # e.g. the anchor's avatar
    obs_disclosure_source: str = ""  # e.g. an "AI voice" label
    obs_host_scene: str = ""  # the program scene while the anchor is off air
    obs_anchor_scene: str = ""  # the program scene while the anchor speaks

    # Broadcast safety (README "Broadcast safety"): a word filter before speech, the producer's
    # approval and a broadcast delay with DUMP. Blocked: words, phrases or "re:<regex>", matched
    # case-insensitively as whole words; a list in settings.toml, comma-separated in BLOCKED_WORDS.
    blocked_words: Annotated[list[str], NoDecode] = []
    blocked_word_action: Literal["drop", "bleep", "regenerate"] = "drop"
    approve_replies: bool = False  # the producer approves, edits or drops each reply before it airs
    approval_timeout_s: float = Field(30.0, ge=0, le=3600)  # 0: wait for the producer however long
    approval_timeout_action: Literal["drop", "air"] = "drop"
    broadcast_delay_s: float = Field(0.0, ge=0, le=30)  # the program airs this far behind live

    @field_validator("SAMPLE_RATE")
    @classmethod
    def _supported_rate(cls, value: int) -> int:
        if value not in PROGRAM_SAMPLE_RATES:
            raise ValueError(f"allowed: {', '.join(map(str, PROGRAM_SAMPLE_RATES))} (Hz)")
        return value

    @field_validator("OLLAMA_HOST", "VOXTRAL_URL", "HIGGS_AUDIO_URL", "OPENAI_CHAT_URL")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            value = f"http://{value}"
        value = value.rstrip("/")
        while value.endswith("/v1"):  # a base URL as OpenAI's and vLLM's docs write it; clients add /v1
            value = value[: -len("/v1")].rstrip("/")
        return value

    @field_validator("blocked_words", mode="before")
    @classmethod
    def _blocked_words(cls, value: Any) -> Any:
        """A comma-separated string (the environment) becomes a list; every `re:` entry must compile."""
        entries = value.split(",") if isinstance(value, str) else value
        if not isinstance(entries, list):
            return entries
        entries = [str(entry).strip() for entry in entries if str(entry).strip()]
        for entry in entries:
            if entry.startswith("re:"):
                try:
                    re.compile(entry[3:])
                except re.error as exc:
                    raise ValueError(f"{entry!r} is not a valid regular expression ({exc})") from None
        return entries

    @field_validator("obs_websocket_url")
    @classmethod
    def _websocket_url(cls, value: str) -> str:
        value = value.strip()
        if value and "://" not in value:
            value = f"ws://{value}"
        if value and not value.startswith(("ws://", "wss://")):
            raise ValueError("a WebSocket URL such as ws://127.0.0.1:4455, or empty (no OBS bridge)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=settings_file())
        return (init_settings, env_settings, toml)


def _describe_error(error: dict[str, Any]) -> str:
    """One readable line per invalid setting: name, the value given, what is allowed."""
    name = ".".join(str(part) for part in error["loc"]) or "settings"
    if error["type"] == "extra_forbidden" and name.lower() in REMOVED:
        return f"setting {name!r} was removed ({REMOVED[name.lower()]}); delete it from {settings_file()}"
    if error["type"] == "extra_forbidden":
        return f"unknown setting {name!r} in {settings_file()} (remove it or fix the spelling)"
    value = error.get("input")
    allowed = error["msg"].removeprefix("Value error, ")
    if error["type"] == "literal_error":
        allowed = "allowed: " + error["ctx"]["expected"]
    return f"setting {name}={value!r} is invalid: {allowed}"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from overrides, environment and the TOML file, or raise SettingsError."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        lines = [_describe_error(err) for err in exc.errors()]
        raise SettingsError("; ".join(lines)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML file
        raise SettingsError(f"cannot read {settings_file()}: {exc}") from None
