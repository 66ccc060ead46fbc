"""`ai-anchor-studio doctor`: what this machine offers the studio — GPU, servers, audio, memory plan.

Every check is bounded (short timeouts) and reports a problem with its fix instead of raising.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from studio.commands.common import EXIT_FAILED
from studio.config import Settings

PROBE_S = 1.5


def add_parser(sub: argparse._SubParsersAction) -> None:
    doctor = sub.add_parser("doctor", help="check GPU, model servers, audio devices and the memory plan")
    doctor.add_argument(
        "--stack", dest="sub_stack", choices=("auto", "embedded", "gpu"), help="stack to check"
    )
    doctor.add_argument("--json", action="store_true", help="print one JSON object")


def _gpu() -> dict[str, Any]:
    from studio.gpu.nvml import driver_info, read_gpu_memory

    driver, memory = driver_info(), read_gpu_memory()
    if memory is None:
        return {
            "ok": False,
            "problem": "no NVIDIA GPU seen through NVML (install the 'gpu' extra and the driver)",
        }
    return {
        "ok": True,
        "name": memory.name,
        "driver": (driver or {}).get("driver", "?"),
        "total_gb": round(memory.total_bytes / 1e9, 1),
        "used_gb": round(memory.used_bytes / 1e9, 1),
        "processes": {label: round(used / 1e9, 2) for label, used in memory.processes.items()},
    }


def _ollama(settings: Settings) -> dict[str, Any]:
    from studio.backends.ollama_admin import OllamaAdmin, OllamaError

    admin = OllamaAdmin(settings.OLLAMA_HOST)
    try:
        version, models = admin.version(PROBE_S), admin.models(PROBE_S)
        resident = [
            {"name": m.name, "vram_gb": round(m.vram_bytes / 1e9, 2)} for m in admin.resident(PROBE_S)
        ]
        has = admin.has(settings.OLLAMA_MODEL_NAME, PROBE_S)
    except OllamaError as exc:
        return {"ok": False, "url": settings.OLLAMA_HOST, "problem": str(exc)}
    result: dict[str, Any] = {"ok": has, "url": settings.OLLAMA_HOST, "version": version, "models": models}
    result["resident"] = resident
    if not has:
        result["problem"] = f"{settings.OLLAMA_MODEL_NAME} is not pulled: run `ai-anchor-studio host pull`"
    return result


def _endpoint(name: str, url: str, health: str, listing: str, key: str, fix: str) -> dict[str, Any]:
    import httpx

    from studio.probe import probe_blocking

    up = probe_blocking(f"{url}{health}", PROBE_S)
    found: Any = {}
    if up:
        try:
            found = httpx.get(f"{url}{listing}", timeout=PROBE_S).json()
        except (httpx.HTTPError, ValueError):
            found = {}  # up, but without that listing (another server flavour)
    if not up:
        return {"ok": False, "url": url, "problem": f"{name} does not answer at {url}{health}; {fix}"}
    items = found.get(key) or [] if isinstance(found, dict) else []
    names = [item["id"] if isinstance(item, dict) else str(item) for item in items]
    return {"ok": True, "url": url, key: names}


def _turn_model(settings: Settings) -> dict[str, Any]:
    """The DistilBERT end-of-turn model of the gpu stack: pulled (or TURN_MODEL_PATH) or not."""
    from studio.backends.turn_model import NOT_PULLED, turn_model_dir

    folder = turn_model_dir(settings)
    if folder is None or not (folder / "config.json").is_file():
        return {"ok": False, "problem": f"{NOT_PULLED} (until then Smart Turn decides alone)"}
    return {"ok": True, "path": str(folder)}


def _audio() -> dict[str, Any]:
    try:
        from studio.audio.devices import AudioDeviceError, list_devices
    except ImportError:
        return {"ok": False, "problem": "studio.audio.devices is missing from this installation"}
    try:
        devices = list_devices()
    except (AudioDeviceError, OSError) as exc:
        return {"ok": False, "problem": str(exc)}
    return {
        "ok": any(d.kind == "output" for d in devices) and any(d.kind == "input" for d in devices),
        "outputs": [d.name for d in devices if d.kind == "output"],
        "inputs": [d.name for d in devices if d.kind == "input"],
    }


def _report(settings: Settings, gpu_stack: bool) -> dict[str, Any]:
    from studio.backends.registry import resolve_preset
    from studio.gpu.stack_plan import stack_plan

    report: dict[str, Any] = {"stack": resolve_preset(settings), "gpu": _gpu(), "ollama": _ollama(settings)}
    report["voxtral"] = _endpoint(
        "Voxtral (vLLM)", settings.VOXTRAL_URL, "/health", "/v1/models", "data", "start it with `host up`"
    )
    report["higgs"] = _endpoint(
        "higgs-audio", settings.HIGGS_AUDIO_URL, "/health", "/v1/audio/voices", "voices", "run `host higgs`"
    )
    report["turn_model"] = _turn_model(settings)
    report["audio"] = _audio()
    plan, source = stack_plan(settings)
    report["memory_plan"] = {"source": source, **plan.as_dict(), "lines": plan.lines()}
    required = ["audio"] + (["gpu", "ollama", "voxtral", "higgs"] if gpu_stack else [])
    report["ok"] = all(report[name]["ok"] for name in required) and (plan.fits or not gpu_stack)
    return report


def _print(report: dict[str, Any]) -> None:
    print(f"stack: {report['stack']}")
    for name in ("gpu", "ollama", "voxtral", "higgs", "turn_model", "audio"):
        entry = report[name]
        mark = "ok " if entry["ok"] else "-- "
        details = {k: v for k, v in entry.items() if k not in ("ok", "problem")}
        summary = ", ".join(f"{k}={v}" for k, v in details.items())
        print(f"{mark}{name}: {entry.get('problem') or summary}")
    print("\n".join(report["memory_plan"]["lines"]))


def run(settings: Settings, args: argparse.Namespace) -> int:
    report = _report(settings, gpu_stack=settings.stack == "gpu")
    if args.json:
        print(json.dumps(report))
    else:
        _print(report)
    return 0 if report["ok"] else EXIT_FAILED
