"""`ai-anchor-studio bench`: latency per stage, engine overhead, memory and start time."""

from __future__ import annotations

import argparse
from typing import Any

from studio.commands.common import EXIT_BAD_INPUT, EXIT_FAILED, STACK_CHOICES, fail
from studio.config import Settings

#: (flags, keyword arguments) of every option, in the order `--help` lists them.
OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--turns",), {"type": int, "default": 10, "help": "turns per measurement (default 10)"}),
    (("--stack",), {"choices": STACK_CHOICES, "dest": "sub_stack", "help": "model stack"}),
    (("--json",), {"action": "store_true", "help": "print one JSON object"}),
    (
        ("--gui",),
        {
            "action": "store_true",
            "help": "instead: a show through the studio window (main-thread stalls, waveform fps, latency)",
        },
    ),
    (
        ("--gpu-sim",),
        {
            "action": "store_true",
            "help": "instead: the GPU stack's voice-to-voice on fixed-delay backends set to published "
            "per-model figures (README: Simulated GPU voice-to-voice); no GPU needed",
        },
    ),
    (
        ("--faults",),
        {
            "type": int,
            "metavar": "N",
            "help": "instead: a show under N injected faults (crashes, lost log lines)",
        },
    ),
    (
        ("--echo",),
        {
            "type": float,
            "metavar": "MINUTES",
            "help": "instead: false barge-ins from the anchor's voice leaking into the mic at -20 dB, "
            "per 10 min",
        },
    ),
    (
        ("--audio",),
        {
            "type": float,
            "metavar": "MINUTES",
            "help": "instead: click latency into the AI_Anchor_Out sink and underruns over MINUTES of "
            "playback "
            "while STT runs (starts a private PulseAudio; needs pulseaudio and parec)",
        },
    ),
    (
        ("--audio-buffers",),
        {
            "metavar": "MS[,MS...]",
            "help": "with --audio: device buffer sizes to compare (default: the output_latency_ms setting)",
        },
    ),
    (
        ("--peer",),
        {
            "choices": ("pipecat",),
            "help": "instead: our show and a pipecat pipeline answer the same questions with the same "
            "models, "
            "side by side (voice-to-voice ratio, then the engine overhead ratio on fixed-delay backends)",
        },
    ),
    (
        ("--fixed-delay",),
        {
            "action": "store_true",
            "help": "with --peer: both sides on the fixed-delay backends only (overhead; fast, "
            "no models loaded)",
        },
    ),
    (
        ("--before",),
        {
            "action": "store_true",
            "help": "with --peer: also our show without the critical-path changes (no speculative reply, "
            "6-word first clause, no first-clause priority), side by side in the same run",
        },
    ),
    (
        ("--barge-in",),
        {
            "type": int,
            "nargs": "?",
            "const": 8,
            "metavar": "ONSETS",
            "help": "instead: the host talks over the anchor ONSETS times per case (default 8) on a private "
            "PulseAudio, leakage off/-20/-10 dB, delays 20-250 ms, with and without echo cancellation "
            "(onset to silence on air, recall, false barge-ins; needs pulseaudio, parec and pacat)",
        },
    ),
    (
        ("--barge-in-cases",),
        {
            "metavar": "CASE[,CASE...]",
            "help": "with --barge-in: the cases, 'off' (headphones) or LEAK_DB:DELAY_MS "
            "(e.g. --barge-in-cases=off,-20:120)",
        },
    ),
    (
        ("--barge-in-quiet",),
        {
            "type": float,
            "default": 0.0,
            "metavar": "MINUTES",
            "help": "with --barge-in: per case, also MINUTES of the anchor talking with nobody "
            "interrupting (canceller on): false barge-ins and false holds over that much speech",
        },
    ),
    (
        ("--obs",),
        {
            "action": "store_true",
            "help": "instead: caption latency into OBS at OBS_WEBSOCKET_URL (first sample aired → caption "
            "source updated, p50/p95) over --turns real-time turns on fixed-delay backends",
        },
    ),
    (
        ("--soak",),
        {
            "metavar": "DURATION",
            "help": "instead: a simulated show this long, e.g. 10m or 2h (memory, drift)",
        },
    ),
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="measure latency, overhead, memory and start time")
    for flags, options in OPTIONS:
        bench.add_argument(*flags, **options)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from studio.backends.registry import BackendLoadError
    from studio.bench.runner import execute_bench

    if args.turns < 1:
        return fail("--turns must be at least 1", EXIT_BAD_INPUT)
    if args.gui:
        return _gui(settings, args)
    if args.gpu_sim:
        from studio.bench.gpu_sim import execute_gpu_sim

        return execute_gpu_sim(settings, args.turns, args.json)
    if args.echo is not None:
        import json

        from studio.bench.echo_bench import measure

        print(json.dumps(measure(settings, minutes=max(0.5, args.echo)), indent=None if args.json else 2))
        return 0
    if args.faults is not None or args.soak is not None:
        return _resilience(settings, args)
    if args.audio is not None:
        return _audio(settings, args)
    if args.peer is not None:
        return _peer(settings, args)
    if args.barge_in is not None:
        return _barge_in(settings, args)
    if args.obs:
        return _obs(settings, args)
    try:
        return execute_bench(settings, args.turns, args.json)
    except BackendLoadError as exc:
        return fail(str(exc), EXIT_FAILED)


def _obs(settings: Settings, args: argparse.Namespace) -> int:
    """`--obs`: caption latency figures into the OBS at OBS_WEBSOCKET_URL."""
    import asyncio
    import json

    from studio.bench.obs_bench import measure

    try:
        result = asyncio.run(measure(settings, args.turns))
    except ValueError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def _resilience(settings: Settings, args: argparse.Namespace) -> int:
    """`--faults N` and `--soak DURATION`: print their reports (JSON with --json)."""
    import json

    from studio.backends.registry import BackendLoadError
    from studio.bench.fault_bench import execute_fault_bench
    from studio.bench.soak import execute_soak, parse_duration

    if args.faults is not None and args.soak is not None:
        return fail("--faults and --soak are separate runs; give one", EXIT_BAD_INPUT)
    if args.faults is not None and args.faults < 1:
        return fail("--faults must be at least 1", EXIT_BAD_INPUT)
    try:
        seconds = parse_duration(args.soak) if args.soak is not None else 0.0
    except ValueError as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    try:
        result = (
            execute_fault_bench(settings, args.faults) if args.faults else execute_soak(settings, seconds)
        )
    except BackendLoadError as exc:
        return fail(str(exc), EXIT_FAILED)
    except KeyboardInterrupt:
        return fail("stopped by the user", 130)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def _audio(settings: Settings, args: argparse.Namespace) -> int:
    """`--audio MINUTES`: program path latency and underruns, per device buffer size."""
    import json

    from studio.audio.devices import AudioDeviceError
    from studio.backends.registry import BackendLoadError
    from studio.bench.audio_bench import AudioBenchError, measure

    if args.audio <= 0:
        return fail("--audio needs a positive number of minutes", EXIT_BAD_INPUT)
    try:
        buffers = [int(v) for v in (args.audio_buffers or str(settings.output_latency_ms)).split(",")]
    except ValueError:
        return fail(f"--audio-buffers: whole milliseconds, comma-separated, not {args.audio_buffers!r}", 2)
    if any(not 0 <= value <= 500 for value in buffers):
        return fail("--audio-buffers: each value must be 0..500 ms (0: PortAudio's low)", EXIT_BAD_INPUT)
    try:
        result = measure(settings, args.audio, buffers)
    except (AudioBenchError, AudioDeviceError, BackendLoadError) as exc:
        return fail(str(exc), EXIT_FAILED)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def _barge_in(settings: Settings, args: argparse.Namespace) -> int:
    """`--barge-in [ONSETS]`: per case, with and without the canceller, in one run."""
    import json

    from studio.audio.devices import AudioDeviceError
    from studio.bench.audio_bench import AudioBenchError
    from studio.bench.barge_in_bench import CASES, measure, parse_cases

    if args.barge_in < 1:
        return fail("--barge-in needs at least one onset per case", EXIT_BAD_INPUT)
    if not 0 <= args.barge_in_quiet <= 60:
        return fail("--barge-in-quiet: 0 to 60 minutes", EXIT_BAD_INPUT)
    try:
        cases = parse_cases(args.barge_in_cases) if args.barge_in_cases else CASES
    except ValueError as exc:
        return fail(f"--barge-in-cases: {exc}", EXIT_BAD_INPUT)
    try:
        result = measure(settings, args.barge_in, cases, quiet_minutes=args.barge_in_quiet)
    except (AudioBenchError, AudioDeviceError) as exc:
        return fail(str(exc), EXIT_FAILED)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def _gui(settings: Settings, args: argparse.Namespace) -> int:
    """`--gui`: the window's own figures (stalls over 50 ms, waveform fps, voice-to-voice)."""
    from studio.backends.registry import BackendLoadError
    from studio.bench.gui_bench import execute_gui_bench

    try:
        return execute_gui_bench(settings, args.turns, args.json)
    except (BackendLoadError, RuntimeError) as exc:
        return fail(str(exc), EXIT_FAILED)


def _peer(settings: Settings, args: argparse.Namespace) -> int:
    """`--peer pipecat`: both stacks' voice-to-voice side by side, and the overhead ratio."""
    from studio.backends.registry import BackendLoadError
    from studio.bench.peer_run import execute_peer_bench

    if settings.stack == "gpu":
        return fail("--peer compares the embedded stack (pipecat runs the same local models)", EXIT_BAD_INPUT)
    try:
        return execute_peer_bench(settings, args.turns, args.json, args.fixed_delay, args.before)
    except BackendLoadError as exc:
        return fail(str(exc), EXIT_FAILED)
