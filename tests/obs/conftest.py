"""OBS test fixtures: a fake obs-websocket v5 server (tests/obs/fake_obs.py) per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.obs.fake_obs import FakeObs


@pytest.fixture
def obs() -> Iterator[FakeObs]:
    """A fake OBS with password "s3cret", stopped after the test."""
    server = FakeObs(password="s3cret").start()
    yield server
    server.stop()
