#!/usr/bin/env bash
# Installs everything the test suite needs, then runs the linters, the pip-install check and the
# whole suite with line coverage of studio/ (arguments go to pytest and skip the pip-install check).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export QT_QPA_PLATFORM=offscreen
echo "==> ruff"
.venv/bin/ruff check studio tests scripts
echo "==> lint-imports (layer contracts in pyproject.toml)"
.venv/bin/lint-imports
if [ "$#" -eq 0 ]; then  # the whole suite (and CI): also prove a plain pip install answers (~3 min)
  echo "==> scripts/check_pip_install.sh"
  bash scripts/check_pip_install.sh
fi
echo "==> pytest (with line coverage of studio/)"
.venv/bin/python -m pytest -v --durations=25 --cov=studio --cov-report=term "$@"
