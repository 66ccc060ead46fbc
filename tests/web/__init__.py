"""The web layer's tests: a real server over a real show."""
