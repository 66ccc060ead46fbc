"""Audio device tests use the private PulseAudio fixtures of tests/conftest.py (pulse_server, anchor_sink)."""
