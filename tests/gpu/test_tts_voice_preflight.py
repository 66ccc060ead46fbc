"""The TTS stage's preflight checks the voice: before it says "ready" the higgs host has the current
voice profile's reference (uploaded then if it lacks it); a voice that cannot be made available
leaves the stage amber with the voice named and the fix, and the show runs on captions.

The host is the real speech server and HiggsEngine over the stand-in boson_multimodal (as in
test_voices_travel); the other stages are fixed-delay doubles registered as the gpu stack's
backends, so the stack is built by `build_stack` and its progress is what the show publishes.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiohttp import web

from studio.audio.outputs import InstantOutput
from studio.backends import registry
from studio.backends.higgs_tts import HiggsSynthesizer
from studio.backends.readiness import VOICE_ACTION, NotReady
from studio.bench.fixed_delay import (
    EnergyVoiceActivity,
    FixedDelayChat,
    FixedDelaySpeechToText,
    FixedDelayTurnDetector,
)
from studio.config import load_settings
from studio.engine.events import StageStatusChanged
from studio.show import Show
from studio.voices.profile import VoiceProfile
from studio.voices.travel import VoiceUpload
from tests.gpu.boson_standin import install
from tests.gpu.servers import ThreadedServer
from tests.gpu.test_start_degraded import QUICK, Watch, answer
from tests.gpu.test_voices_travel import TOKEN, host, profile

REPLY = "Glad to be here."
STOCK = VoiceProfile(name="Ava", anchor_name="Ava")  # no reference clip: the host speaks it by name


@pytest.fixture
def gpu_doubles(monkeypatch):
    """The gpu preset with every stage but TTS a fixed-delay double (no Voxtral, Ollama or DistilBERT)."""
    doubles = {
        "stt": ("voxtral", lambda s: FixedDelaySpeechToText("Good evening.", delay=0.01)),
        "vad": ("silero", lambda s: EnergyVoiceActivity()),
        "turn": ("distilbert", lambda s: FixedDelayTurnDetector(delay=0.01)),
        "chat": ("ollama", lambda s: FixedDelayChat(REPLY, first=0.01, per_token=0.001)),
    }
    for stage, (name, factory) in doubles.items():
        monkeypatch.setitem(registry._REGISTRY[stage], name, factory)
    return install(monkeypatch)


def uploads_seen(server: ThreadedServer) -> list[str]:
    """Records every voice upload the host receives (method and path), before it is handled."""
    seen: list[str] = []

    @web.middleware
    async def record(request: web.Request, handler):
        if request.method == "POST" and request.path == "/v1/audio/voices":
            seen.append(request.path)
        return await handler(request)

    server.app.middlewares.append(record)
    return seen


def proxy_limit(server: ThreadedServer) -> None:
    """A reverse proxy in front of the host whose body limit is below the clip (nginx's 413 page)."""

    @web.middleware
    async def limit(request: web.Request, handler):
        if request.method == "POST" and request.path == "/v1/audio/voices":
            page = "<html><head><title>413 Request Entity Too Large</title></head></html>"
            return web.Response(status=413, text=page, content_type="text/html")
        return await handler(request)

    server.app.middlewares.append(limit)


def tts_events(events: list) -> list[StageStatusChanged]:
    return [e for e in events if isinstance(e, StageStatusChanged) and e.stage == "tts"]


def settled(e: object) -> bool:
    return isinstance(e, StageStatusChanged) and e.stage == "tts" and e.state != "loading"


def run_show(url: str, voice: VoiceProfile, scenario) -> tuple:
    """Start the show on the gpu stack against the host at `url`, run `scenario(show, watch)`, stop."""
    settings = load_settings(stack="gpu", HIGGS_AUDIO_URL=url, HIGGS_AUDIO_API_KEY=TOKEN, **QUICK)

    async def go():
        show = Show(settings, voice, output=InstantOutput(settings.SAMPLE_RATE))
        watch = Watch(show)
        async with show:
            serving = asyncio.create_task(show.serve())
            result = await scenario(show, watch)
            show.stop()
            await serving
        return result, watch.events

    return asyncio.run(go())


def test_a_voice_the_host_lacks_is_uploaded_before_the_stage_says_ready(gpu_doubles, tmp_path):
    nova = profile(tmp_path)
    server, engine = host(tmp_path)
    seen = uploads_seen(server)

    async def scenario(show, watch):
        first = await watch.until(settled)
        uploaded = list(seen)
        spoken = await answer(show, watch, "Good evening, how are you?")
        return first, uploaded, spoken

    with server:
        (first, uploaded_by_then, spoken), events = run_show(server.url, nova, scenario)
    key = VoiceUpload.from_profile(nova).key
    assert first.state == "ready" and "voice 'Nova' on the server" in first.detail
    assert uploaded_by_then == ["/v1/audio/voices"]  # uploaded by the preflight, before any reply
    assert engine.voices() == [key] and len(seen) == 1  # the reply used it: no second upload
    assert [e.state for e in tts_events(events)] == ["loading", "ready"]  # never ready before the voice
    assert spoken.reply == REPLY and spoken.audio_seconds > 0
    assert len(gpu_doubles.calls) == 1  # the one synthesis was the reply's


@pytest.mark.parametrize("refusal", ["no voice cache (500)", "proxy body limit (413)"])
def test_a_refused_upload_leaves_tts_amber_with_the_voice_named_and_the_show_on_captions(
    gpu_doubles, tmp_path, refusal
):
    nova = profile(tmp_path)
    server, engine = host(tmp_path)
    if refusal.endswith("(500)"):
        engine.voice_store = None  # a host started without a voice cache: add_voice raises → HTTP 500
    else:
        proxy_limit(server)

    async def scenario(show, watch):
        amber = await watch.until(settled)
        captions = await answer(show, watch, "Good evening, how are you?")
        return amber, captions

    with server:
        (amber, captions), events = run_show(server.url, nova, scenario)
    code = refusal[-4:-1]
    assert amber.state == "degraded" and amber.action == VOICE_ACTION
    assert amber.detail.startswith(f"voice 'Nova' is not on higgs-audio at {server.url}")
    assert f"HTTP {code}" in amber.detail and "record a reference in the voice manager" in amber.detail
    assert "replies are shown as captions only" in amber.detail
    assert "ready" not in [e.state for e in tts_events(events)]
    assert captions.reply == REPLY and captions.audio_seconds == 0  # the show went on, captioned
    assert engine.voices() == [] and gpu_doubles.calls == []


def test_a_stock_voice_is_ready_without_an_upload(gpu_doubles, tmp_path):
    server, engine = host(tmp_path)
    seen = uploads_seen(server)

    async def scenario(show, watch):
        return await watch.until(settled)

    with server:
        ready, _ = run_show(server.url, STOCK, scenario)
    assert ready.state == "ready" and "voice 'Ava'" in ready.detail
    assert seen == [] and engine.voices() == []


def test_a_voice_chosen_mid_show_is_uploaded_by_the_switch(gpu_doubles, tmp_path):
    nova, luna = profile(tmp_path), profile(tmp_path, name="Luna", transcript="Hi, I am Luna.")
    server, engine = host(tmp_path)

    async def scenario(show, watch):
        await watch.until(settled)
        await show.aset_voice(luna)
        return await watch.until(lambda e: settled(e) and "Luna" in e.detail)

    with server:
        switched, _ = run_show(server.url, nova, scenario)
    assert switched.state == "ready" and "voice 'Luna' on the server" in switched.detail
    keys = sorted(VoiceUpload.from_profile(p).key for p in (nova, luna))
    assert sorted(engine.voices()) == keys and gpu_doubles.calls == []  # both there before a word


def test_a_profile_whose_clip_cannot_be_sent_is_not_ready(tmp_path):
    """A reference clip without its transcript (or a clip gone from disk): amber, no request made."""
    nova = profile(tmp_path)
    tts = HiggsSynthesizer(load_settings(HIGGS_AUDIO_URL="http://127.0.0.1:9"))  # nothing listens there

    async def check(voice: VoiceProfile) -> NotReady:
        with pytest.raises(NotReady) as caught:
            await tts.ensure_voice(voice)
        return caught.value

    async def go():
        try:
            untranscribed = await check(dataclasses.replace(nova, reference_transcript=" "))
            nova.reference_audio.unlink()
            gone = await check(nova)
            await tts.ensure_voice(STOCK)  # a stock voice passes without asking the host
            return untranscribed, gone
        finally:
            await tts.aclose()

    untranscribed, gone = asyncio.run(go())
    assert untranscribed.state == "degraded" and untranscribed.action == VOICE_ACTION
    assert "voice 'Nova'" in untranscribed.reason and "has no transcript" in untranscribed.reason
    assert "reference clip" in gone.reason and "is missing" in gone.reason
