"""The higgs-audio model host: `ai-anchor-studio host higgs` or `python -m studio.hosts.higgs_host`.

Runs HiggsAudioServeEngine in this process (started in the separate higgs environment, whose
transformers pin conflicts with vLLM's) and serves `/v1/audio/speech` with streamed PCM, one voice
per studio voice profile that has a reference clip and transcript, plus every voice a studio
uploads (kept by content key in --voice-cache, so they survive restarts). Closed by default: it
binds 127.0.0.1; listening elsewhere needs --token (or HIGGS_AUDIO_API_KEY in its environment),
which every /v1 request must then carry.
Threading: aiohttp on the main thread's event loop; the engine in the speech server's worker thread.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

DEFAULT_PORT = 8100
DEFAULT_MODEL = "bosonai/higgs-audio-v2-generation-3B-base"
DEFAULT_TOKENIZER = "bosonai/higgs-audio-v2-tokenizer"
DEFAULT_CHUNK_FRAMES = 25  # the TTS_STREAM_CHUNK_SIZE default: one second of audio codes per decode

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The host's options (shared by `ai-anchor-studio host higgs` and `python -m`)."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0: all; needs --token)"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("HIGGS_AUDIO_API_KEY", ""),
        help="bearer token every /v1 request must carry (default: $HIGGS_AUDIO_API_KEY)",
    )
    parser.add_argument(
        "--voice-cache",
        type=Path,
        default=None,
        help="where uploaded voices are kept (default: the cache dir)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--model", default=None, help="model path or hub id (default HIGGS_AUDIO_MODEL_PATH)")
    parser.add_argument("--tokenizer", default=DEFAULT_TOKENIZER, help="higgs audio tokenizer path or id")
    parser.add_argument(
        "--voices-dir", type=Path, default=None, help="voice profiles (default: the studio's)"
    )
    parser.add_argument("--device", default="cuda", help="torch device (cuda, cuda:1, cpu)")
    parser.add_argument(
        "--chunk-frames",
        type=int,
        default=None,
        help=f"audio-code frames per streamed decode after the first (default TTS_STREAM_CHUNK_SIZE, "
        f"{DEFAULT_CHUNK_FRAMES})",
    )
    parser.add_argument(
        "--kv-lengths",
        default="1024,4096,8192",
        help="KV cache lengths, one CUDA graph each (the memory plan may drop 8192)",
    )


def parse_lengths(text: str) -> tuple[int, ...]:
    """ "1024,4096" → (1024, 4096); a bad list raises ValueError naming the value."""
    try:
        lengths = tuple(sorted(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise ValueError(f"--kv-lengths {text!r} must be comma-separated integers") from None
    if not lengths or min(lengths) < 256:
        raise ValueError(f"--kv-lengths {text!r}: give at least one length of 256 or more")
    return lengths


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_exposure(host: str, token: str) -> None:
    """A host reachable from other machines must have a token (ValueError says how)."""
    if host not in LOOPBACK and not token:
        raise ValueError(
            f"listening on {host} exposes the model to the network: give --token (or set "
            "HIGGS_AUDIO_API_KEY), and the same key as HIGGS_AUDIO_API_KEY in the studio"
        )


def serve(
    args: argparse.Namespace, default_model: str = DEFAULT_MODEL, chunk_frames: int = DEFAULT_CHUNK_FRAMES
) -> int:
    """Load the engine and serve until interrupted; returns the exit code.

    `chunk_frames` (TTS_STREAM_CHUNK_SIZE) sets how many audio-code frames each streamed decode
    covers after the first: smaller streams sooner, larger decodes less often.
    """
    from aiohttp import web

    from studio.config import cache_dir
    from studio.hosts.higgs_engine import HiggsEngine, HiggsUnavailable, voices_from_profiles
    from studio.hosts.speech_server import SpeechServer
    from studio.hosts.voice_cache import VoiceCache
    from studio.voices.catalog import VoiceCatalog
    from studio.voices.store import default_user_dir

    try:
        lengths = parse_lengths(args.kv_lengths)
        check_exposure(args.host, args.token)
    except ValueError as exc:
        print(f"higgs host: error: {exc}", file=sys.stderr)
        return 2
    cache = VoiceCache(args.voice_cache or cache_dir() / "higgs-voices")
    voices = voices_from_profiles(VoiceCatalog(args.voices_dir or default_user_dir()).profiles())
    if not voices:
        log.warning("no voice profile here has a reference clip and transcript; studios upload theirs")
    voices += cache.voices()
    try:
        engine = HiggsEngine(
            args.model or default_model,
            args.tokenizer,
            voices,
            args.device,
            lengths,
            chunk_frames=args.chunk_frames or chunk_frames,
        )
    except HiggsUnavailable as exc:
        print(f"higgs host: error: {exc}", file=sys.stderr)
        return 1
    engine.voice_store = cache.store
    log.info("higgs host: voices %s on http://%s:%d", ", ".join(engine.voices()), args.host, args.port)
    server = SpeechServer(engine, token=args.token)
    web.run_app(server.app, host=args.host, port=args.port, print=None, handler_cancellation=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="higgs_host", description="higgs-audio v2 speech server")
    add_arguments(parser)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
