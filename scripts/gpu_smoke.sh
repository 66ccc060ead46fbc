#!/usr/bin/env bash
# GPU smoke test, for a CUDA machine with the weights (or the network to fetch them):
#   1. plans the card and starts the model servers with `host up` (TTS -> LLM -> STT, supervised),
#   2. pulls the chat model into Ollama and the DistilBERT turn model (`host pull`, resumable),
#   3. waits until Voxtral, Ollama (with the model) and the higgs host all answer (`doctor`),
#   4. plays five spoken questions as the host through `run --stack gpu` (real time, no --fast),
#      sampling NVML per-process memory meanwhile,
#   5. prints each turn's per-stage latency and each model server's peak memory next to the plan.
# Exit code: 0 when all five turns were answered, 1 otherwise, 2 without a CUDA GPU.
# Settings come from the environment / settings.toml as usual (VOXTRAL_URL, OLLAMA_HOST,
# HIGGS_AUDIO_URL, HIGGS_AUDIO_PYTHON, keys...). OUT=dir keeps the artefacts (default: a temp dir);
# SKIP_PULL=1 skips step 2; READY_TIMEOUT_S bounds step 3 (default 1800: first loads are slow).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${OUT:-$(mktemp -d -t gpu-smoke-XXXX)}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-1800}
studio() { "$PY" -m studio "$@"; }

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "gpu_smoke: no CUDA GPU here (nvidia-smi finds none); run it on the studio's GPU machine" >&2
    exit 2
fi
mkdir -p "$OUT"
echo "==> artefacts in $OUT"
nvidia-smi -L
studio host plan --json > "$OUT/plan.json"
studio host plan

echo "==> host up (log: $OUT/host-up.log)"
studio host up > "$OUT/host-up.log" 2>&1 &
HOST_UP=$!
SAMPLER=""
cleanup() {
    [ -n "$SAMPLER" ] && kill -TERM "$SAMPLER" 2>/dev/null || true
    kill -TERM "$HOST_UP" 2>/dev/null || true  # host up stops the servers it started
    wait "$HOST_UP" 2>/dev/null || true
}
trap cleanup EXIT

ready() {  # ready NAME...: each named doctor check is ok
    studio doctor --stack gpu --json > "$OUT/doctor.json" 2>/dev/null || true
    "$PY" - "$OUT/doctor.json" "$@" <<'PYEOF'
import json, sys
report = json.load(open(sys.argv[1]))
sys.exit(0 if all(report.get(name, {}).get("ok") for name in sys.argv[2:]) else 1)
PYEOF
}
wait_for() {  # wait_for WHAT NAME...
    local what=$1; shift
    local waited=0
    until ready "$@"; do
        if ! kill -0 "$HOST_UP" 2>/dev/null; then
            echo "gpu_smoke: host up exited; see $OUT/host-up.log" >&2; tail -20 "$OUT/host-up.log" >&2; exit 1
        fi
        if [ "$waited" -ge "$READY_TIMEOUT_S" ]; then
            echo "gpu_smoke: $what not ready after ${READY_TIMEOUT_S}s; see $OUT/doctor.json" >&2; exit 1
        fi
        sleep 10; waited=$((waited + 10))
    done
}

if [ "${SKIP_PULL:-0}" != "1" ]; then
    echo "==> waiting for Ollama to answer, then host pull"
    until studio doctor --json 2>/dev/null | "$PY" -c 'import json,sys; sys.exit(0 if "version" in json.load(sys.stdin)["ollama"] else 1)'; do
        kill -0 "$HOST_UP" 2>/dev/null || { echo "gpu_smoke: host up exited" >&2; exit 1; }
        sleep 5
    done
    studio host pull
fi
echo "==> waiting for every model server (doctor --stack gpu)"
wait_for "the model servers" ollama voxtral higgs turn_model
studio doctor --stack gpu || true

echo "==> five spoken turns through run --stack gpu"
"$PY" scripts/gpu_smoke.py make-input "$OUT/host.wav"
"$PY" scripts/gpu_smoke.py sample-memory "$OUT/memory.jsonl" &
SAMPLER=$!
studio run --input "$OUT/host.wav" --output "$OUT/anchor.wav" --stack gpu --json > "$OUT/run.json"
kill -TERM "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
"$PY" scripts/gpu_smoke.py report "$OUT/run.json" "$OUT/memory.jsonl" "$OUT/plan.json"
