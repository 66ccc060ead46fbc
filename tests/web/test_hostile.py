"""Hostile input: each is answered cleanly, nothing changes, and the show keeps running.

Every case here counts towards issue 15's hostile-input goal (the report counts the test ids).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from studio.engine.events import TurnCompleted
from studio.session.export import read_session
from tests.web.conftest import CLIENT_KEEPALIVE_S, CONTROL, OVERLAY, WAIT_S, Studio, start_studio
from tests.web.wsclient import next_of, open_events

COMMANDS = [
    ("PUT", "/api/voice", {"name": "Max"}),
    ("PUT", "/api/mode", {"mode": "push_to_talk"}),
    ("POST", "/api/ptt", {"pressed": True}),
    ("POST", "/api/mute", {"muted": True}),
    ("POST", "/api/interrupt", None),
    ("POST", "/api/say", {"text": "pwned"}),
]
READS = [
    ("GET", "/api/status", None),
    ("GET", "/api/voices", None),
    ("GET", "/api/settings", None),
    ("GET", "/metrics", None),
]


def assert_unchanged(studio: Studio) -> None:
    """Voice, mode and mute as they started, no line was said, and the show still answers."""
    with studio.client() as client:
        status = client.get("/api/status").json()
    assert (status["voice"], status["mode"], status["muted"], status["turns"]) == ("Test", "auto", False, 0)
    assert not studio.seen.of(TurnCompleted)


def send(client: httpx.Client, method: str, path: str, body: object) -> httpx.Response:
    """One request, with a JSON body when there is one."""
    return client.request(method, path, json=body) if body is not None else client.request(method, path)


@pytest.mark.parametrize(("method", "path", "body"), COMMANDS + READS)
def test_no_token_is_refused(studio: Studio, method: str, path: str, body: object) -> None:
    with studio.client(token=None) as client:
        answer = send(client, method, path, body)
    assert answer.status_code == 401 and "Bearer" in answer.json()["detail"]
    assert_unchanged(studio)


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {CONTROL[:-1]}",
        f"Bearer {CONTROL}x",
        "Bearer",
        f"Basic {CONTROL}",
        CONTROL,
        "Bearer " + "A" * 4000,
        "Bearer c\u00f6ntrol-t\u00f6ken",
    ],
    ids=["one-short", "one-long", "empty", "basic-scheme", "no-scheme", "huge", "non-ascii"],
)
def test_a_wrong_token_is_refused(studio: Studio, authorization: str) -> None:
    with studio.client(token=None, Authorization=authorization.encode("utf-8")) as client:
        answer = client.post("/api/mute", json={"muted": True})
    assert answer.status_code == 401
    assert_unchanged(studio)


@pytest.mark.parametrize(("method", "path", "body"), COMMANDS + READS)
def test_the_overlay_token_controls_nothing(studio: Studio, method: str, path: str, body: object) -> None:
    with studio.client(token=OVERLAY) as client:
        answer = send(client, method, path, body)
    assert answer.status_code == 403 and "read-only" in answer.json()["detail"]
    assert_unchanged(studio)


def test_the_overlay_token_does_not_open_the_control_page(studio: Studio) -> None:
    with studio.client(token=None) as client:
        assert client.get(f"/control?token={OVERLAY}").status_code == 403
        assert client.get("/control").status_code == 401
        assert client.get(f"/control?token={CONTROL}").status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1"])
def test_a_command_from_a_foreign_origin_is_refused_even_with_the_token(studio: Studio, origin: str) -> None:
    with studio.client(Origin=origin) as client:
        answer = client.post("/api/mute", json={"muted": True})
    assert answer.status_code == 403 and "origin" in answer.json()["detail"]
    assert_unchanged(studio)


def test_the_studios_own_origin_and_a_listed_one_are_allowed(tmp_path: Path) -> None:
    for studio in start_studio(tmp_path, allowed_origins=("https://deck.example",)):
        own = f"http://localhost:{studio.server.port}"
        for origin in (own, "https://deck.example"):
            with studio.client(Origin=origin) as client:
                assert client.post("/api/mute", json={"muted": False}).status_code == 200
        with studio.client(token=None, Origin="https://deck.example") as client:
            preflight = client.options("/api/mute", headers={"Access-Control-Request-Method": "POST"})
    assert preflight.headers["access-control-allow-origin"] == "https://deck.example"


def test_cors_is_off_unless_origins_are_listed(studio: Studio) -> None:
    with studio.client(Origin="http://evil.example") as client:
        answer = client.get("/api/status")
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("token", "origin", "status"),
    [
        (None, None, 401),
        ("wrong-token", None, 401),
        (CONTROL, "http://evil.example", 403),
        (OVERLAY, "http://evil.example", 403),
    ],
    ids=["no-token", "wrong-token", "bad-origin", "overlay-bad-origin"],
)
def test_a_websocket_is_refused_before_it_opens(studio: Studio, token, origin, status) -> None:
    url = studio.ws_url + (f"?token={token}" if token else "")
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin=origin, open_timeout=WAIT_S)
    assert refused.value.response.status_code == status
    assert_unchanged(studio)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{", "malformed JSON"),
        ("[]", "body"),
        ("null", "body"),
        ('{"muted": "yes"}', "muted"),
        ('{"muted": 1}', "muted"),
        ('{"muted": true, "admin": true}', "admin"),
        ('{"mute": true}', "muted"),
        ("\xff\xfe", "JSON"),
    ],
    ids=["truncated", "array", "null", "string-bool", "int-bool", "extra-field", "misspelt", "not-utf8"],
)
def test_a_malformed_body_gets_a_clear_422(studio: Studio, body: str, problem: str) -> None:
    with studio.client() as client:
        answer = client.post(
            "/api/mute", content=body.encode("latin-1"), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 422 and problem in answer.json()["detail"]
    assert_unchanged(studio)


@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/mode", {"mode": "chaos"}), ("/api/say", {"text": ""}), ("/api/say", {"text": "x" * 2001})],
    ids=["unknown-mode", "empty-line", "too-long-line"],
)
def test_a_value_out_of_range_gets_a_clear_422(studio: Studio, path: str, body: dict) -> None:
    with studio.client() as client:
        answer = client.request("PUT" if path == "/api/mode" else "POST", path, json=body)
    assert (
        answer.status_code == 422 and path.rsplit("/", 1)[1] in answer.json()["detail"]
    ) or "text" in answer.text
    assert_unchanged(studio)


def test_an_oversized_body_is_refused_with_413(studio: Studio) -> None:
    with studio.client() as client:
        declared = client.post("/api/say", json={"text": "x" * 100_000})

        def chunks():
            """A body with no Content-Length that grows past the limit."""
            for _ in range(64):
                yield b'{"text": "' + b"x" * 1024

        streamed = client.post("/api/say", content=chunks(), headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and streamed.status_code == 413
    assert_unchanged(studio)


@pytest.mark.parametrize(
    "name",
    [
        "../../../etc/passwd",
        "..",
        "../Ava",
        "/etc/passwd",
        "Ava/../../x",
        "..\\..\\Ava",
        "Ava\x00",
        ".Ava",
        "Nobody",
        "A" * 65,
    ],
)
def test_a_voice_name_cannot_escape_the_voices_folder(studio: Studio, name: str) -> None:
    with studio.client() as client:
        answer = client.put("/api/voice", json={"name": name})
    assert answer.status_code in (404, 422) and answer.json()["detail"]
    assert studio.show.voice.name == "Test"
    assert_unchanged(studio)


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../web-tokens.json",
        "/assets/%2e%2e/%2e%2e/config.py",
        "/assets/..%2f..%2fstatic/control.js",
        "/assets/",
    ],
)
def test_static_paths_cannot_leave_the_static_folder(studio: Studio, path: str) -> None:
    with httpx.Client(base_url=studio.url) as client:
        answer = client.get(path)
    assert answer.status_code in (401, 404) and "import" not in answer.text


def test_a_flood_of_1000_commands_gets_429_and_the_show_still_answers(studio: Studio) -> None:
    async def flood() -> list[httpx.Response]:
        """1,000 commands, 20 at a time.

        httpx's pool can leave a connection idle for seconds mid-flood on a loaded machine; its
        default keep-alive (5 s) equals the server's, so it could send on a connection the
        server is closing just then. A client must drop idle connections before the server does."""
        limits = httpx.Limits(max_connections=20, keepalive_expiry=CLIENT_KEEPALIVE_S)
        headers = {"Authorization": f"Bearer {CONTROL}"}
        async with httpx.AsyncClient(
            base_url=studio.url, headers=headers, limits=limits, timeout=WAIT_S
        ) as c:
            return await asyncio.gather(*(c.post("/api/interrupt") for _ in range(1000)))

    answers = asyncio.run(flood())
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 429} and codes.count(429) > 500
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1 and "too many" in limited.json()["detail"]
    with studio.client() as client:
        assert client.get("/api/status").status_code == 200  # reads have their own budget
    studio.speak()
    assert studio.seen.wait(TurnCompleted).reply  # the show heard the host and answered


def test_guessing_tokens_is_throttled_and_logged_without_flooding_the_log(studio: Studio) -> None:
    with studio.client(token="guess-0000000000") as client:
        codes = [client.get("/api/status").status_code for _ in range(60)]
    assert codes[0] == 401 and codes[-1] == 429
    with studio.client() as client:
        assert client.get("/api/status").status_code == 200  # the real token still works
    studio.web_caught_up()
    studio.show.stop()
    security = [r for r in read_session(studio.session_log) if r["kind"] == "security"]
    assert {r["reason"] for r in security} == {"auth_invalid", "rate_limit"}
    assert len(security) == 2 and all(r["client"] == "127.0.0.1" for r in security)


def test_security_events_reach_the_session_log_and_the_metrics(studio: Studio) -> None:
    with studio.client(Origin="http://evil.example") as evil:
        evil.post("/api/mute", json={"muted": True})
    with studio.client(token=OVERLAY) as overlay:
        overlay.post("/api/interrupt")
    with studio.client() as client:
        metrics = client.get("/metrics").text
    assert 'studio_web_rejected_requests_total{reason="origin"} 1.0' in metrics
    assert 'studio_web_rejected_requests_total{reason="overlay_token"} 1.0' in metrics
    studio.show.stop()
    security = [r for r in read_session(studio.session_log) if r["kind"] == "security"]
    assert [(r["reason"], r["path"]) for r in security] == [
        ("origin", "/api/mute"),
        ("overlay_token", "/api/interrupt"),
    ]


def test_pages_carry_security_headers(studio: Studio) -> None:
    with httpx.Client(base_url=studio.url) as client:
        pages = [
            client.get(f"/control?token={CONTROL}"),
            client.get("/overlay/captions"),
            client.get("/assets/control.js"),
        ]
    for page in pages:
        assert page.status_code == 200
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script" in pages[0].text and "unsafe-inline" not in pages[0].headers["content-security-policy"]


def test_an_unknown_route_needs_the_token_before_it_says_not_found(studio: Studio) -> None:
    with studio.client(token=None) as stranger, studio.client() as client:
        assert stranger.get("/admin").status_code == 401
        assert client.get("/admin").status_code == 404


def test_the_overlay_stream_still_works_after_all_that(studio: Studio) -> None:
    with studio.client(token=OVERLAY) as overlay:
        overlay.post("/api/interrupt")
    with open_events(studio, OVERLAY, "&levels=0") as events:
        assert next_of(events, "hello")["role"] == "overlay"
