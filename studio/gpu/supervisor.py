"""Starts the GPU model servers on this machine, in the seed's order, and keeps them alive.

Closed by default: a server is bound to its URL's host (127.0.0.1 unless told otherwise), and one
bound to any other address needs its key (vLLM --api-key from VOXTRAL_API_KEY, our higgs host's
token from HIGGS_AUDIO_API_KEY, both passed in the environment); Ollama has no keys, so it is only
started on loopback (README: put a reverse proxy with auth in front to expose it).
TTS → LLM → STT, each only if the memory plan has room for it on the card right now (NVML free
memory) and only when its URL is local and nothing answers there yet (a server that already runs,
or a remote URL, is used as it is). After a start it waits for the health check; a server that
exits is restarted (up to `max_restarts`); one that died of CUDA out-of-memory is restarted with
the planner's next shrink for that model (smaller context / KV cache, eager mode).
Threading: blocking methods called from one thread (`host up`'s main thread); each server's
output goes to its own log file.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from studio.config import Settings
from studio.gpu.planner import GB, START_ORDER, MemoryPlan, ModelBudget, shrink_model, vllm_memory_flags
from studio.probe import probe_blocking

log = logging.getLogger(__name__)

OOM_MARKERS = ("out of memory", "outofmemoryerror", "cuda error: out of memory")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def port_of(url: str, default: int) -> int:
    return urlsplit(url).port or default


@dataclass(slots=True)
class ServerSpec:
    """How to run one model server and how to tell that it is up."""

    stage: str
    command: list[str]
    health_url: str
    url: str
    env: dict[str, str] = field(default_factory=dict)
    start_timeout_s: float = 900.0  # weights load for minutes on a cold start
    key: str = ""  # what a client must send; required when the server listens beyond loopback
    keyless: bool = False  # the server has no keys at all (Ollama): loopback only

    def exposure_problem(self) -> str:
        """Why starting this server would open it to the network without a key ("" when fine)."""
        host = urlsplit(self.url).hostname or "127.0.0.1"
        if host in LOOPBACK:
            return ""
        if self.keyless:
            return (
                f"Ollama has no API keys: keep it on 127.0.0.1 and put a reverse proxy with auth in front "
                f"to reach it from {host} (README: Model hosts)"
            )
        if not self.key:
            return (
                f"listening on {host} needs a key; set the {self.stage} key in Settings (README: Model hosts)"
            )
        return ""


def build_spec(stage: str, model: ModelBudget, settings: Settings, card_gb: float) -> ServerSpec:
    """The command line for `stage`'s server, sized by its planned budget."""
    if stage == "tts":
        url = settings.HIGGS_AUDIO_URL
        python = settings.HIGGS_AUDIO_PYTHON or sys.executable
        lengths = ",".join(str(n) for n in model.cache_tokens)
        command = [python, "-m", "studio.hosts.higgs_host", "--host", urlsplit(url).hostname or "127.0.0.1"]
        command += ["--port", str(port_of(url, 8100))]
        command += ["--model", settings.HIGGS_AUDIO_MODEL_PATH, "--kv-lengths", lengths]
        env = {"HIGGS_AUDIO_API_KEY": settings.HIGGS_AUDIO_API_KEY} if settings.HIGGS_AUDIO_API_KEY else {}
        return ServerSpec(stage, command, f"{url}/health", url, env, key=settings.HIGGS_AUDIO_API_KEY)
    if stage == "chat":
        url = settings.OLLAMA_HOST
        env = {
            "OLLAMA_HOST": urlsplit(url).netloc,
            "OLLAMA_KEEP_ALIVE": "-1",
            "OLLAMA_NUM_PARALLEL": "1",
            "OLLAMA_MAX_LOADED_MODELS": "1",
            "OLLAMA_CONTEXT_LENGTH": str(model.cache_tokens[0]),
        }
        return ServerSpec(stage, ["ollama", "serve"], f"{url}/api/version", url, env, 60.0, keyless=True)
    url = settings.VOXTRAL_URL
    command = ["vllm", "serve", settings.VOXTRAL_MODEL_PATH, "--tokenizer-mode", "mistral"]
    command += ["--config-format", "mistral", "--load-format", "mistral"]
    command += ["--host", urlsplit(url).hostname or "127.0.0.1", "--port", str(port_of(url, 8000))]
    env = {"VLLM_API_KEY": settings.VOXTRAL_API_KEY} if settings.VOXTRAL_API_KEY else {}  # vLLM's --api-key
    flags = vllm_memory_flags(model, card_gb)
    return ServerSpec(stage, command + flags, f"{url}/health", url, env, key=settings.VOXTRAL_API_KEY)


@dataclass(slots=True)
class ServerState:
    """What the supervisor knows about one stage's server."""

    stage: str
    status: str = "not started"  # external | starting | running | restarting | failed | skipped
    detail: str = ""
    restarts: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None


class ModelServerSupervisor:
    """Owns the model-server processes it started; leaves servers it found running alone."""

    def __init__(
        self,
        settings: Settings,
        plan: MemoryPlan,
        log_dir: Path,
        free_bytes: Callable[[], int | None] = lambda: None,
        spec_for: Callable[[str, ModelBudget], ServerSpec] | None = None,
        max_restarts: int = 3,
        poll_s: float = 0.5,
    ) -> None:
        self.settings, self.plan, self.log_dir = settings, plan, log_dir
        self._free_bytes = free_bytes
        self._spec_for = spec_for or (lambda stage, model: build_spec(stage, model, settings, plan.card_gb))
        self.max_restarts, self.poll_s = max_restarts, poll_s
        self.models = {model.stage: model for model in plan.models}
        self.states = {stage: ServerState(stage) for stage in START_ORDER if stage in self.models}
        self.stopping = threading.Event()

    def start_all(self) -> dict[str, ServerState]:
        """Start what is missing, in order TTS → LLM → STT; returns every stage's state."""
        for stage in self.states:
            self._start_stage(stage)
        return self.states

    def _start_stage(self, stage: str) -> None:
        state, model = self.states[stage], self.models[stage]
        spec = self._spec_for(stage, model)
        if probe_blocking(spec.health_url):
            state.status, state.detail = "external", f"already answering at {spec.url}"
            return
        if not model.local or not is_local(spec.url):
            state.status, state.detail = "failed", f"remote server at {spec.url} does not answer"
            return
        if spec.exposure_problem():
            state.status, state.detail = "failed", spec.exposure_problem()
            return
        free = self._free_bytes()
        if free is not None and free < model.total_gb * GB:
            state.status = "skipped"
            state.detail = f"needs {model.total_gb:.1f} GB, {free / GB:.1f} GB free on the card"
            return
        executable = spec.command[0]
        if shutil.which(executable) is None and not Path(executable).is_file():
            state.status, state.detail = (
                "failed",
                f"{executable!r} not found; install it (README: Studio GPU setup)",
            )
            return
        self._launch(state, spec)
        self._await_health(state, spec)

    def _launch(self, state: ServerState, spec: ServerSpec) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        state.log_path = self.log_dir / f"{spec.stage}.log"
        with state.log_path.open("ab") as out:
            state.process = subprocess.Popen(
                spec.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **spec.env},
                start_new_session=True,  # its own process group: stopped as a tree
            )
        state.status, state.detail = "starting", " ".join(spec.command)
        log.info("started %s server (pid %d): %s", spec.stage, state.process.pid, state.detail)

    def _await_health(self, state: ServerState, spec: ServerSpec) -> None:
        waited = 0.0
        while waited < spec.start_timeout_s and not self.stopping.is_set():
            if state.process is not None and state.process.poll() is not None:
                state.status = "failed"
                state.detail = (
                    f"exited with code {state.process.returncode} during start; see {state.log_path}"
                )
                return
            if probe_blocking(spec.health_url):
                state.status = "running"
                return
            self.stopping.wait(self.poll_s)
            waited += self.poll_s
        state.status, state.detail = (
            "failed",
            f"no answer at {spec.health_url} after {spec.start_timeout_s:.0f} s",
        )

    def died_of_oom(self, state: ServerState) -> bool:
        """True when the server's log ends with a CUDA out-of-memory error."""
        if state.log_path is None or not state.log_path.exists():
            return False
        with state.log_path.open("rb") as handle:
            handle.seek(max(0, state.log_path.stat().st_size - 16384))
            tail = handle.read().decode(errors="replace").lower()
        return any(marker in tail for marker in OOM_MARKERS)

    def check(self) -> list[str]:
        """One supervision pass: restart exited servers (shrunk after an OOM); returns what it did."""
        actions = []
        for stage, state in self.states.items():
            if state.process is None or state.process.poll() is None or self.stopping.is_set():
                continue
            if state.restarts >= self.max_restarts:
                if state.status != "failed":
                    state.status, state.detail = (
                        "failed",
                        f"exited {state.restarts + 1} times; see {state.log_path}",
                    )
                    actions.append(f"{stage}: gave up after {state.restarts} restarts")
                continue
            note = f"exited with code {state.process.returncode}"
            if self.died_of_oom(state):
                shrunk = shrink_model(self.models[stage])
                if shrunk is None:
                    state.status, state.detail = (
                        "failed",
                        f"out of GPU memory at its smallest size; see {state.log_path}",
                    )
                    actions.append(f"{stage}: out of memory and nothing left to shrink")
                    continue
                change, self.models[stage] = shrunk
                note += f", out of GPU memory: restarting with {change}"
                with state.log_path.open("ab") as out:  # the next pass must not see this OOM again
                    out.write(f"\n[supervisor] restart after OOM with {change}\n".encode())
            state.restarts += 1
            state.status = "restarting"
            actions.append(f"{stage}: {note}")
            log.warning("%s server %s", stage, note)
            spec = self._spec_for(stage, self.models[stage])
            self._launch(state, spec)
            self._await_health(state, spec)
        return actions

    def run(self) -> None:
        """Supervise until `stopping` is set (Ctrl-C in `host up`)."""
        while not self.stopping.wait(self.poll_s):
            self.check()

    def stop_all(self, grace_s: float = 20.0) -> None:
        """Stop the servers this supervisor started, last started first (process groups)."""
        self.stopping.set()
        for state in reversed(list(self.states.values())):
            process = state.process
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            except ProcessLookupError:
                pass
            state.status = "stopped"
