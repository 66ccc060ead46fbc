"""The PyInstaller bundle: model files found when frozen; the built app in a bare environment (slow)."""
