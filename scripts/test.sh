#!/usr/bin/env bash
# Installs everything the test suite needs, then runs the linter and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
export QT_QPA_PLATFORM=offscreen
echo "==> ruff"
.venv/bin/ruff check studio tests scripts
echo "==> lint-imports (layer contracts in pyproject.toml)"
.venv/bin/lint-imports
echo "==> pytest"
.venv/bin/python -m pytest -q "$@"
