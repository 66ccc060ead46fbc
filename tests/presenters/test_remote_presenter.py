"""RemotePresenter without Qt: what the panel shows on and off, copy, and rotation and its refusals."""

from __future__ import annotations

import segno

from studio.config import load_settings
from studio.ui.remote_presenter import RemoteInfo, RemotePresenter, qr_matrix
from studio.web.tokens import TokenError, Tokens, load_tokens, rotate_token


class FakeView:
    """Records what the presenter shows."""

    def __init__(self) -> None:
        self.shown: list[RemoteInfo] = []
        self.clipboard = ""
        self.problems: list[str] = []

    def show_remote(self, info: RemoteInfo) -> None:
        self.shown.append(info)

    def put_on_clipboard(self, text: str) -> None:
        self.clipboard = text

    def show_problem(self, text: str) -> None:
        self.problems.append(text)


class FakeServer:
    """A server whose rotation hands out numbered tokens, or refuses."""

    url = "http://127.0.0.1:8765"

    def __init__(self, refuse: str = "") -> None:
        self.tokens = Tokens("control-1" + "c" * 16, "overlay-1" + "o" * 16)
        self.refuse = refuse

    def rotate(self, role: str) -> Tokens:
        if self.refuse:
            raise TokenError(self.refuse)
        fresh = f"{role}-2" + "x" * 16
        self.tokens = (
            Tokens(fresh, self.tokens.overlay) if role == "control" else Tokens(self.tokens.control, fresh)
        )
        return self.tokens


def test_on_it_shows_both_urls_the_token_and_the_qr_of_the_control_url() -> None:
    view = FakeView()
    presenter = RemotePresenter(view, FakeServer())
    (info,) = view.shown
    assert info.control_url == "http://127.0.0.1:8765/control?token=control-1" + "c" * 16
    assert info.overlay_url == "http://127.0.0.1:8765/overlay/captions?token=overlay-1" + "o" * 16
    assert info.token == "control-1" + "c" * 16 and "this machine only" in info.state
    expected = segno.make(info.control_url, error="m", micro=False)
    assert [list(r) for r in info.qr] == [[bool(v) for v in r] for r in expected.matrix_iter(border=4)]
    presenter.copy_token()
    assert view.clipboard == info.token
    presenter.copy_overlay_url()
    assert view.clipboard == info.overlay_url


def test_rotation_shows_the_new_token_and_a_refusal_changes_nothing() -> None:
    view, server = FakeView(), FakeServer()
    presenter = RemotePresenter(view, server)
    presenter.rotate("control")
    assert view.shown[-1].token == "control-2" + "x" * 16 and "new control token" in view.problems[-1]
    presenter.rotate("overlay")
    assert view.shown[-1].overlay_url.endswith("overlay-2" + "x" * 16)
    server.refuse = "set by STUDIO_API_TOKEN"
    presenter.rotate("control")
    assert view.problems[-1] == "set by STUDIO_API_TOKEN" and len(view.shown) == 3


def test_off_it_says_why_and_copy_does_nothing() -> None:
    view = FakeView()
    presenter = RemotePresenter(view, None, "remote control is off: port taken")
    presenter.copy_token()
    presenter.rotate("control")
    assert view.shown == [RemoteInfo("remote control is off: port taken")] and view.clipboard == ""
    assert not view.shown[0].on and qr_matrix("x")  # a matrix for any text


def test_rotate_token_keeps_the_other_and_refuses_a_control_token_from_the_settings(tmp_path) -> None:
    path, settings = tmp_path / "tokens.json", load_settings()
    before = load_tokens(settings, path)
    after = rotate_token(settings, "control", path)
    assert after.control != before.control and after.overlay == before.overlay
    assert load_tokens(settings, path) == after  # kept
    pinned = load_settings(STUDIO_API_TOKEN="p" * 20)
    try:
        rotate_token(pinned, "control", path)
    except TokenError as exc:
        assert "STUDIO_API_TOKEN" in str(exc)
    else:
        raise AssertionError("a control token from the settings was rotated")
    assert rotate_token(pinned, "overlay", path).control == "p" * 20
