#!/usr/bin/env bash
# Proves that a plain pip install gives a studio that answers: a fresh venv in a temp dir,
# `pip install torch==2.13.0`, `pip install -e <repo>` and nothing else, then a spoken question
# (espeak-ng) through `ai-anchor-studio run --json` on the embedded stack with empty config,
# data and model-cache dirs (the first-start path). Exits non-zero unless the reply is non-empty.
# Needs python3 (3.11+) with venv, and Debian's espeak-ng + libportaudio2 + libsndfile1
# (scripts/install.sh --test installs them). KEEP=1 keeps the temp dir for a look afterwards.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python_bin="${PYTHON:-python3}"
question="${QUESTION:-Good evening and welcome to the show. What is the capital of France?}"

command -v espeak-ng >/dev/null || { echo "error: espeak-ng is missing (apt-get install espeak-ng)" >&2; exit 1; }
work="$(mktemp -d -t anchor-pip-check.XXXXXX)"
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

started=$SECONDS
step() {  # step NAME COMMAND...: run it, print how long it took
  local name="$1" begin=$SECONDS
  shift
  echo "==> $name"
  "$@"
  echo "    $name: $((SECONDS - begin)) s"
}

export PIP_DISABLE_PIP_VERSION_CHECK=1
pip_install() {  # pip's own output goes to a log, shown only if it fails
  "$work/venv/bin/python" -m pip install "$@" >>"$work/pip.log" 2>&1 \
    || { echo "pip install $* failed:" >&2; tail -n 30 "$work/pip.log" >&2; exit 1; }
}
step "venv ($("$python_bin" -V 2>&1))" "$python_bin" -m venv "$work/venv"
step "pip install torch==2.13.0" pip_install "torch==2.13.0"
step "pip install -e $repo" pip_install -e "$repo"
step "espeak-ng question" espeak-ng -v en-us -w "$work/host.wav" "$question"

# Empty per-user dirs, so nothing a developer's own studio left behind helps; an Ollama that
# may run on this machine is pointed away from, so the reply comes from the embedded stack.
export AI_ANCHOR_CONFIG_DIR="$work/config" AI_ANCHOR_DATA_DIR="$work/data" AI_ANCHOR_CACHE_DIR="$work/cache"
export OLLAMA_HOST="http://127.0.0.1:9"
run() {
  "$work/venv/bin/ai-anchor-studio" run --input "$work/host.wav" --json >"$work/$1.json" 2>"$work/$1.log" \
    || { echo "run failed:" >&2; tail -n 30 "$work/$1.log" >&2; exit 1; }
}
step "run --json (first start: converts the demo model into the cache)" run first
step "run --json (second start: from the cache)" run second

"$work/venv/bin/python" - "$work/first.json" "$work/second.json" <<'EOF'
import json
import sys

for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as file:
        result = json.loads(file.read().strip().splitlines()[-1])
    turns = result["turns"]
    if not turns or not turns[0]["reply"].strip():
        sys.exit(f"{path}: no reply in {result!r}")
    print(f"host:   {turns[0]['transcript']}")
    print(f"anchor: {turns[0]['reply']}")
    print(f"chat:   {result['stack']['chat']}")
EOF
echo "==> OK in $((SECONDS - started)) s: a plain pip install answers a spoken question"
