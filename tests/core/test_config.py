"""Settings: defaults, environment, TOML file, and errors that name the setting and the fix."""

import pytest

from studio.config import SettingsError, load_settings, settings_file


def test_defaults_follow_the_seed():
    s = load_settings()
    assert s.stack == "auto" and s.GPU_MEMORY_LIMIT_GB == 48 and s.max_latency_ms == 2000
    assert s.enable_voice_cloning is True


def test_environment_and_toml_file(monkeypatch):
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text('stack = "embedded"\nSAMPLE_RATE = 48000\n', encoding="utf-8")
    monkeypatch.setenv("OLLAMA_HOST", "10.1.2.3:11434")
    s = load_settings()
    assert (s.stack, s.SAMPLE_RATE, s.OLLAMA_HOST) == ("embedded", 48000, "http://10.1.2.3:11434")
    monkeypatch.setenv("SAMPLE_RATE", "16000")
    assert load_settings().SAMPLE_RATE == 16000  # environment beats the file
    assert load_settings(stack="gpu").stack == "gpu"  # explicit beats both


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("STACK", "cuda", "setting stack='cuda' is invalid: allowed: 'auto', 'embedded' or 'gpu'"),
        ("SAMPLE_RATE", "4410", "setting SAMPLE_RATE='4410' is invalid: allowed: 16000, 22050"),
        ("GPU_MEMORY_LIMIT_GB", "-2", "setting GPU_MEMORY_LIMIT_GB='-2' is invalid"),
    ],
)
def test_bad_values_name_setting_value_and_allowed(monkeypatch, env, value, expected):
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert expected in str(err.value)


def test_bad_toml_file_is_named():
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text('stak = "gpu"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting 'stak'"):
        load_settings()
    settings_file().write_text('stack = "gpu\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"cannot read .*settings\.toml"):
        load_settings()


@pytest.mark.parametrize(
    "name", ["BUFFER_SIZE_MS", "AUDIO_CHUNK_SIZE", "MAX_CONCURRENT_SESSIONS", "STT_BATCH_SIZE"]
)
def test_removed_seed_settings_say_what_to_use_instead(name):
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(f"{name} = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=rf"setting '{name}' was removed \(.+\); delete it from"):
        load_settings()
