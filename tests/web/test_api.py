"""The REST commands over a real server and a real show: each one reaches the show and says so."""

from __future__ import annotations

from pathlib import Path

from studio.engine.events import AnchorInterrupted, HostSpeechStarted, ReplyClauseStarted, TurnCompleted
from studio.session.export import read_session
from tests.show.doubles import QUESTION, REPLY
from tests.web.conftest import Studio, start_studio


def test_status_names_the_stages_voice_mode_and_mute(studio: Studio) -> None:
    with studio.client() as client:
        status = client.get("/api/status").json()
    assert status["ready"] is True
    assert status["stages"]["chat"]["state"] == "ready"
    assert {"backend", "reason", "action"} <= set(status["stages"]["chat"])
    assert (status["voice"], status["mode"], status["muted"], status["on_air"]) == (
        "Test",
        "auto",
        False,
        False,
    )


def test_say_is_answered_like_a_spoken_line_and_status_keeps_its_latency(studio: Studio) -> None:
    with studio.client() as client:
        assert client.post("/api/say", json={"text": "Hello from the web"}).json() == {
            "said": "Hello from the web"
        }
        done = studio.seen.wait(TurnCompleted)
        studio.web_caught_up()
        status = client.get("/api/status").json()
    assert (done.transcript, done.reply) == ("Hello from the web", REPLY)
    assert status["turns"] == 1 and status["last_latency_ms"]["voice_to_voice"] is not None


def test_interrupt_silences_the_anchor_mid_reply(studio: Studio) -> None:
    with studio.client() as client:
        client.post("/api/say", json={"text": "Tell me a story"})
        studio.seen.wait(ReplyClauseStarted)
        answer = client.post("/api/interrupt")
    assert answer.json() == {"interrupted": True}
    studio.seen.wait(AnchorInterrupted)
    assert studio.seen.wait(TurnCompleted).interrupted


def test_push_to_talk_mode_and_the_talk_key_make_a_turn(studio: Studio) -> None:
    with studio.client() as client:
        assert client.put("/api/mode", json={"mode": "push_to_talk"}).json() == {"mode": "push_to_talk"}
        assert client.get("/api/status").json()["mode"] == "push_to_talk"
        assert client.post("/api/ptt", json={"pressed": True}).status_code == 200
        studio.seen.wait(HostSpeechStarted)
        studio.speak()
        assert studio.mic.finished.wait(30)
        client.post("/api/ptt", json={"pressed": False})
        done = studio.seen.wait(TurnCompleted)
    assert done.transcript == QUESTION


def test_mute_reaches_the_show(studio: Studio) -> None:
    with studio.client() as client:
        assert client.post("/api/mute", json={"muted": True}).json() == {"muted": True}
        assert studio.show.mic_muted and client.get("/api/status").json()["muted"] is True
        client.post("/api/mute", json={"muted": False})
    assert not studio.show.mic_muted


def test_voices_are_listed_and_one_can_be_chosen(studio: Studio) -> None:
    with studio.client() as client:
        voices = client.get("/api/voices").json()
        assert voices["current"] == "Test"
        assert {"Ava", "Max"} <= {v["name"] for v in voices["voices"]}
        assert client.put("/api/voice", json={"name": "max"}).json() == {"voice": "Max"}
        assert client.get("/api/status").json()["voice"] == "Max"
    assert studio.show.voice.name == "Max"


def test_settings_are_shown_with_every_secret_redacted(tmp_path: Path) -> None:
    secrets = {"VOXTRAL_API_KEY": "sk-voxtral-secret", "STUDIO_API_TOKEN": "a-very-secret-token-1234"}
    for studio in start_studio(tmp_path, settings=secrets):
        with studio.client() as client:
            answer = client.get("/api/settings")
    body = answer.json()
    assert body["VOXTRAL_API_KEY"] == "***" and body["STUDIO_API_TOKEN"] == "***"
    assert body["HIGGS_AUDIO_API_KEY"] == "" and body["turn_mode"] == "auto"
    assert "secret" not in answer.text


def test_metrics_count_turns_latencies_stage_states_and_refusals(studio: Studio) -> None:
    with studio.client() as client:
        client.post("/api/say", json={"text": "Count me"})
        studio.seen.wait(TurnCompleted)
        with studio.client(token="wrong") as stranger:
            assert stranger.get("/api/status").status_code == 401
        studio.web_caught_up()
        text = client.get("/metrics").text
    assert "studio_turns_total 1.0" in text
    assert "studio_voice_to_voice_seconds_count 1.0" in text
    assert 'studio_stage_latency_seconds_count{stage="llm_first_token"} 1.0' in text
    assert 'studio_stage_state{stage="chat",state="ready"} 1.0' in text
    assert 'studio_web_rejected_requests_total{reason="auth_invalid"} 1.0' in text
    assert "python_gc_objects_collected_total" not in text  # its own registry, not the global one


def test_the_session_log_is_closed_when_the_show_ends(tmp_path: Path) -> None:
    for studio in start_studio(tmp_path):
        log = studio.session_log
    assert read_session(log)[-1]["kind"] == "session_ended"
