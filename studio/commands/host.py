"""`ai-anchor-studio host`: run and manage the GPU model servers (higgs host, all servers, pulls)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from studio.commands.common import EXIT_FAILED, fail
from studio.config import Settings, cache_dir, data_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    host = sub.add_parser("host", help="run the GPU model servers (higgs host, all servers, Ollama pulls)")
    actions = host.add_subparsers(dest="host_command", required=True)
    from studio.hosts.higgs_host import add_arguments

    higgs = actions.add_parser(
        "higgs", help="serve higgs-audio v2 on /v1/audio/speech (needs its environment)"
    )
    add_arguments(higgs)
    up = actions.add_parser(
        "up", help="start the local model servers that fit (TTS → LLM → STT) and watch them"
    )
    up.add_argument("--reserve", type=float, default=2.0, help="GB to keep free on the card (default 2)")
    up.add_argument("--force", action="store_true", help="start even when the plan does not fit")
    plan = actions.add_parser("plan", help="print the GPU memory plan")
    plan.add_argument("--reserve", type=float, default=2.0, help="GB to keep free on the card (default 2)")
    plan.add_argument("--json", action="store_true", help="print one JSON object")
    pull = actions.add_parser(
        "pull", help="pull the chat model into Ollama and the end-of-turn model, with progress"
    )
    pull.add_argument("model", nargs="?", help="Ollama model to pull (default OLLAMA_MODEL_NAME; only it)")
    pull.add_argument("--only", choices=("chat", "turn"), help="pull just the chat or the turn model")
    export = actions.add_parser(
        "export-voices", help="write the voice profiles as Boson's higgs-audio voice presets (config.json)"
    )
    export.add_argument("folder", type=Path, help="the folder to give Boson's server as --voice-presets-dir")


def run(settings: Settings, args: argparse.Namespace) -> int:
    command = args.host_command
    if command == "higgs":
        return _higgs(settings, args)
    if command == "plan":
        return _plan(settings, args)
    if command == "pull":
        pulls = []
        if args.only != "turn":
            pulls.append(lambda: _pull(settings, args.model or settings.OLLAMA_MODEL_NAME))
        if args.only != "chat" and not args.model:
            pulls.append(_pull_turn_model)
        return max(pull() for pull in pulls)  # every pull runs; the worst exit code is returned
    if command == "export-voices":
        return _export_voices(args.folder)
    return _up(settings, args)


def _export_voices(folder: Path) -> int:
    """Boson's voice-presets layout for every profile with a reference clip and transcript."""
    from studio.voices.catalog import VoiceCatalog
    from studio.voices.travel import export_presets

    try:
        written = export_presets(VoiceCatalog(data_dir() / "voices").profiles(), folder)
    except OSError as exc:
        return fail(f"cannot write voice presets to {folder}: {exc}", EXIT_FAILED)
    if not written:
        return fail("no voice profile has a reference clip and transcript to export", EXIT_FAILED)
    print(f"wrote {len(written)} voice preset(s) to {folder}: {', '.join(written)}")
    print(f"start Boson's server with --voice-presets-dir {folder}; the studio asks for each by its name")
    return 0


def _higgs(settings: Settings, args: argparse.Namespace) -> int:
    """In this process when boson_multimodal is importable here, else in HIGGS_AUDIO_PYTHON's env."""
    from studio.hosts.higgs_host import serve

    args.token = args.token or settings.HIGGS_AUDIO_API_KEY  # the key the studio sends is the host's token
    if importlib.util.find_spec("boson_multimodal") is not None:
        return serve(
            args, default_model=settings.HIGGS_AUDIO_MODEL_PATH, chunk_frames=settings.TTS_STREAM_CHUNK_SIZE
        )
    if not settings.HIGGS_AUDIO_PYTHON:
        return fail(
            "boson_multimodal is not installed here; create the higgs environment and set "
            "HIGGS_AUDIO_PYTHON to its python (README: Studio GPU setup)",
            EXIT_FAILED,
        )
    forwarded = ["--host", args.host, "--port", str(args.port), "--tokenizer", args.tokenizer]
    forwarded += ["--model", args.model or settings.HIGGS_AUDIO_MODEL_PATH, "--device", args.device]
    forwarded += ["--kv-lengths", args.kv_lengths]
    forwarded += ["--chunk-frames", str(args.chunk_frames or settings.TTS_STREAM_CHUNK_SIZE)]
    if args.voices_dir:
        forwarded += ["--voices-dir", str(args.voices_dir)]
    if args.voice_cache:
        forwarded += ["--voice-cache", str(args.voice_cache)]
    env = {**os.environ, "HIGGS_AUDIO_API_KEY": args.token}  # not in argv: other users could read it
    try:
        command = [settings.HIGGS_AUDIO_PYTHON, "-m", "studio.hosts.higgs_host", *forwarded]
        return subprocess.call(command, env=env)
    except OSError as exc:
        return fail(f"HIGGS_AUDIO_PYTHON {settings.HIGGS_AUDIO_PYTHON!r} cannot run ({exc})", EXIT_FAILED)
    except KeyboardInterrupt:
        return 130


def _plan(settings: Settings, args: argparse.Namespace) -> int:
    from studio.gpu.stack_plan import stack_plan

    plan, source = stack_plan(settings, args.reserve)
    if args.json:
        print(json.dumps({"source": source, **plan.as_dict()}))
    else:
        print(f"(card size from {source})")
        print("\n".join(plan.lines()))
    return 0 if plan.fits else EXIT_FAILED


def _pull(settings: Settings, model: str) -> int:
    """Ollama's pull stream as one live line: status, share, size, rate, ETA (as the window shows it)."""
    from studio.backends.ollama_admin import OllamaAdmin, OllamaError, PullProgress
    from studio.backends.pull_meter import PullMeter

    meter = PullMeter()

    def show(progress: PullProgress) -> None:
        line = meter.line(meter.read(progress.status, progress.completed, progress.total))
        print(f"\r{line[:100]:100}", end="", flush=True)

    try:
        OllamaAdmin(settings.OLLAMA_HOST).pull(model, show)
    except OllamaError as exc:
        print()
        return fail(str(exc), EXIT_FAILED)
    print(f"\n{model} is ready in Ollama at {settings.OLLAMA_HOST}")
    return 0


def _pull_turn_model() -> int:
    """The seed's DistilBERT end-of-turn model from the Hugging Face Hub, with the same live line."""
    from studio.backends.pull_meter import PullMeter
    from studio.backends.turn_model import TURN_MODEL_REPO, pull_turn_model

    meter = PullMeter()

    def show(status: str, completed: int, total: int) -> None:
        print(f"\r{meter.line(meter.read(status, completed, total))[:100]:100}", end="", flush=True)

    print(f"pulling {TURN_MODEL_REPO} (end of turn)")
    try:
        folder = pull_turn_model(show)
    except Exception as exc:  # hub, network or disk: one line, not a traceback
        print()
        return fail(
            f"pulling {TURN_MODEL_REPO} failed ({type(exc).__name__}: {exc}); run it again", EXIT_FAILED
        )
    print(f"\n{TURN_MODEL_REPO} is ready in {folder}; the gpu stack's turn stage uses it")
    return 0


def _up(settings: Settings, args: argparse.Namespace) -> int:
    from studio.gpu.stack_plan import free_bytes, stack_plan
    from studio.gpu.supervisor import ModelServerSupervisor

    plan, source = stack_plan(settings, args.reserve)
    print(f"(card size from {source})")
    print("\n".join(plan.lines()))
    if not plan.fits and not args.force:
        return fail("the models do not fit with the reserve; apply a swap above, or --force", EXIT_FAILED)
    supervisor = ModelServerSupervisor(settings, plan, cache_dir() / "model-servers", free_bytes=free_bytes)
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stopping.set())
    try:
        for stage, state in supervisor.start_all().items():
            print(f"{stage:4} {state.status}: {state.detail}")
        print("watching the servers; Ctrl-C stops the ones started here", file=sys.stderr)
        supervisor.run()
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop_all()
    return 0
