#!/usr/bin/env bash
# Builds the one-folder app dist/ai-anchor-studio/ (runs without Python; every embedded model inside)
# from pyinstaller.spec with the project's .venv (scripts/install.sh makes it). Installs PyInstaller
# into .venv if it is missing: GPL-2.0 with the bootloader exception, so bundling this Apache-2.0 app
# with it is allowed. The app: dist/ai-anchor-studio/ai-anchor-studio.
set -euo pipefail
cd "$(dirname "$0")/.."

python=.venv/bin/python
[ -x "$python" ] || { echo "error: no .venv here; run scripts/install.sh first" >&2; exit 1; }
if ! "$python" -c 'import PyInstaller' 2>/dev/null; then
  echo "==> pip install pyinstaller (GPL-2.0 with the bootloader exception)"
  "$python" -m pip install -q "pyinstaller>=6.10,<7"
fi

started=$SECONDS
echo "==> pyinstaller pyinstaller.spec (work files in build/pyinstaller)"
# A log file, not the terminal: PyInstaller prints thousands of lines; its tail is shown on failure.
log=build/pyinstaller.log
mkdir -p build
"$python" -m PyInstaller --noconfirm --log-level WARN --workpath build/pyinstaller --distpath dist \
  pyinstaller.spec >"$log" 2>&1 || { tail -n 40 "$log" >&2; echo "error: the build failed (log: $log)" >&2; exit 1; }
app=dist/ai-anchor-studio/ai-anchor-studio
[ -x "$app" ] || { echo "error: $app was not built (log: $log)" >&2; exit 1; }
echo "==> built $app in $((SECONDS - started)) s; $(du -sh dist/ai-anchor-studio | cut -f1) in all"
