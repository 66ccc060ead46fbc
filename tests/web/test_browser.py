"""A real browser (Debian's chromium, driven by Playwright) on the real pages against a real show.

The overlay shows the anchor's aired clause from a spoken turn; the control page's DUMP cuts the
anchor off; the guest page streams a WAV as its mic and the anchor answers it. Speech is made by
espeak-ng. Skipped, with the reason, where chromium, espeak-ng or Playwright is missing.
Threading: Playwright's sync API on the test thread; the show and the server on their own threads.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soxr

from studio.engine.events import AnchorInterrupted, ReplyClauseStarted, TranscriptUpdated, TurnCompleted
from tests.show.doubles import QUESTION, REPLY, CountingStackFactory
from tests.web.conftest import CONTROL, OVERLAY, Studio, start_studio

CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 30_000
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
if shutil.which("espeak-ng") is None:
    pytest.skip(
        "espeak-ng is not installed (it speaks the host's and the guest's lines)", allow_module_level=True
    )


def speech_wav(path: Path, text: str = QUESTION, silence_s: float = 1.5) -> Path:
    """`text` spoken by espeak-ng, then silence (the fake mic loops the file: one line per loop)."""
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path), "rb") as spoken:
        rate, frames = spoken.getframerate(), spoken.readframes(spoken.getnframes())
    pcm = np.concatenate([np.frombuffer(frames, "<i2"), np.zeros(int(silence_s * rate), "<i2")])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def speech_16k(path: Path) -> np.ndarray:
    """A WAV as 16 kHz float samples (what the show's mic hears)."""
    with wave.open(str(path), "rb") as spoken:
        rate, frames = spoken.getframerate(), spoken.readframes(spoken.getnframes())
    audio = np.frombuffer(frames, "<i2").astype(np.float32) / 32768.0
    return soxr.resample(audio, rate, 16_000).astype(np.float32)


@pytest.fixture(scope="module")
def guest_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guest's line, spoken once for the module."""
    return speech_wav(tmp_path_factory.mktemp("speech") / "guest.wav")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, guest_wav: Path) -> Iterator[Any]:
    """One headless chromium for the module: fresh profile, fake mic playing the guest's WAV."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    media = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={guest_wav}",
    ]
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS + media
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def talkative(tmp_path: Path) -> Iterator[Studio]:
    """A show whose anchor answers with a long reply (time to press DUMP while it talks)."""
    long_reply = " ".join(["That is the news from the studio tonight."] * 3)
    yield from start_studio(tmp_path, stack_factory=CountingStackFactory(long_reply))


def test_the_overlay_shows_the_anchors_aired_clause_from_a_spoken_turn(
    studio: Studio, browser: Any, guest_wav: Path
) -> None:
    """espeak-ng's line into the show's mic; the overlay (read-only token) captions the reply."""
    page = browser.new_page()
    try:
        page.goto(f"{studio.url}/overlay/captions?token={OVERLAY}")
        page.wait_for_function("document.title.includes('captions')")
        studio.web_caught_up()
        studio.mic.say(speech_16k(guest_wav))
        first_clause = REPLY.split(".")[0] + "."
        caption = page.locator(".caption.anchor", has_text=first_clause)
        caption.first.wait_for(timeout=WAIT_MS)
    finally:
        page.close()
    assert studio.seen.wait(TurnCompleted).transcript == QUESTION


def test_the_control_pages_dump_silences_the_anchor(talkative: Studio, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{talkative.url}/control?token={CONTROL}")
        page.locator("#state", has_text="ready").wait_for(timeout=WAIT_MS)
        talkative.show.submit_text("Give me the news.").result(30)
        talkative.seen.wait(ReplyClauseStarted)
        page.locator("#onair", has_text="ON AIR").wait_for(timeout=WAIT_MS)
        page.click("#dump")
        interrupted = talkative.seen.wait(AnchorInterrupted)
        page.locator("#onair", has_text="OFF AIR").wait_for(timeout=WAIT_MS)
    finally:
        page.close()
    turn = talkative.seen.wait(TurnCompleted)
    assert turn.interrupted and interrupted.turn_id == turn.turn_id  # nothing else cuts it: the mic is silent
    assert turn.audio_seconds < 3.0  # cut off well before the reply's seven seconds


def test_the_guest_page_streams_its_mic_and_the_anchor_answers_it(studio: Studio, browser: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{studio.url}/guest?token={CONTROL}")
        page.click("#join")
        page.locator("#state", has_text="on the show").wait_for(timeout=WAIT_MS)
        heard = studio.seen.wait(TranscriptUpdated)
        turn = studio.seen.wait(TurnCompleted)
        page.wait_for_function("guest.heard > 0 && guest.sent > 0", timeout=WAIT_MS)
        page.click("#leave")
    finally:
        page.close()
    assert heard.text == QUESTION and turn.transcript == QUESTION and turn.reply == REPLY
