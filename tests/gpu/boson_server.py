"""A local stand-in for Boson's `bosonai/higgs-audio-vllm` image, as its README starts it.

`--served-model-name higgs-audio-v2-generation-3B-base --model bosonai/higgs-audio-v2-generation-3B-base`:
`/v1/models` lists the short name (root: the HF path) and `/v1/audio/speech` answers vLLM's 404
for any other model name. Voices come from `--voice-presets-dir` (config.json
`{name: {transcript, audio_file}}`), read once at start as the image does; `response_format: pcm`
streams raw s16le 24 kHz mono. The audio is Piper's (real speech), not higgs'.
Threading: aiohttp handlers on the ThreadedServer's loop; synthesis in the default executor.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web

from studio.audio.wavwriter import pcm16
from tests.gpu.servers import PiperEngine, api_key_guard, vllm_models, vllm_not_found

SERVED_NAME = "higgs-audio-v2-generation-3B-base"
HF_PATH = "bosonai/higgs-audio-v2-generation-3B-base"


class BosonHiggsApp:
    """Boson's vLLM speech server: short served name, voice presets from a directory."""

    def __init__(self, presets_dir: Path, engine: PiperEngine, api_key: str = "") -> None:
        config = json.loads((presets_dir / "config.json").read_text())
        self.presets = {
            name: entry for name, entry in config.items() if (presets_dir / entry["audio_file"]).is_file()
        }
        self.engine = engine
        self.requests: list[dict[str, Any]] = []
        self.app = web.Application(middlewares=[api_key_guard(api_key)])
        self.app.add_routes(
            [
                web.get("/health", lambda _r: web.Response(text="")),
                web.get("/v1/models", lambda _r: vllm_models(SERVED_NAME, HF_PATH)),
                web.post("/v1/audio/speech", self._speech),
            ]
        )

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if body.get("model") != SERVED_NAME:
            return vllm_not_found(body.get("model"))
        if body.get("voice") not in self.presets:
            error = {"message": f"voice {body.get('voice')!r} is not a preset", "type": "BadRequestError"}
            return web.json_response({"error": {**error, "param": None, "code": 400}}, status=400)
        response = web.StreamResponse(headers={"Content-Type": "audio/pcm"})
        await response.prepare(request)
        chunks = await asyncio.get_running_loop().run_in_executor(None, self._speak, str(body["input"]))
        for chunk in chunks:
            await response.write(pcm16(np.asarray(chunk, dtype=np.float32)))
        await response.write_eof()
        return response

    def _speak(self, text: str) -> list[np.ndarray]:
        return list(self.engine.stream(text, "Ava", threading.Event()))
