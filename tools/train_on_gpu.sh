#!/usr/bin/env bash
# One-shot training on a GPU machine (or the CPU): set up, prepare the corpus, train for N minutes,
# export, run the quick benchmark; everything lands in one results folder.
#
#   tools/train_on_gpu.sh [--minutes 7] [--results DIR] [--data ../shared/data | --corpus DIR]
#                         [--init exported_models] [--steps 40000] [--tiny] [--suites a,b] [-- extra train flags]
#
# Each call fits a 10-minute command limit: the corpus is prepared once (skipped when DIR/corpus has it),
# training runs --minutes of wall time in this sitting and resumes from DIR/ckpt on the next call (the
# learning-rate schedule follows --steps, not the sitting), the model is exported to DIR/model after every
# sitting and benchmarked with `engine.eval.bench --quick` into DIR/BENCHMARK.md. The model-v2 recipe
# (EMA, FK losses, imputed observations, label balancing) is the default; add flags after `--`.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=7 RESULTS=${OUT:-results/gpu-run} DATA=../shared/data CORPUS="" INIT="" STEPS=40000 TINY="" SUITES=""
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --init) INIT=$2; shift 2 ;;
    --steps) STEPS=$2; shift 2 ;;
    --tiny) TINY=--tiny; shift ;;
    --suites) SUITES=$2; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "error: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
mkdir -p "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd)
log() { echo "$(date +%T) $*" | tee -a "$RESULTS/run.log"; }

# 1. set up: the project's venv when there is one, else the system python (needs torch, onnx, onnxruntime)
PY=${PY:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
DEVICE=$("$PY" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
THREADS=$("$PY" -c "import os; print(min(8, os.cpu_count() or 1))")
log "python $PY, device $DEVICE, results $RESULTS"
"$PY" -c "import torch, onnxruntime; print('torch', torch.__version__, 'onnxruntime', onnxruntime.__version__)" \
  | tee -a "$RESULTS/run.log"

# 2. corpus
if [ -z "$CORPUS" ]; then
  CORPUS="$RESULTS/corpus"
  if [ ! -f "$CORPUS/train.npz" ]; then
    log "preparing the corpus from $DATA"
    "$PY" -m engine.training.prepare --data "$DATA" --out "$CORPUS" --workers "$THREADS" > "$RESULTS/prepare.log"
  fi
fi

# 3. train for this sitting (resumes from $RESULTS/ckpt), then export to $RESULTS/model
RECIPE=(--ema 0.999 --geo-pos 1 --geo-vel 1 --geo-foot 0.5 --impute --obs-prob 0.8 --balance 0.5 --content-only 0.3)
[ -n "$INIT" ] && RECIPE+=(--init "$INIT")
log "training for $MINUTES min (steps budget $STEPS)"
"$PY" -m engine.training.train --device "$DEVICE" --threads "$THREADS" --corpus "$CORPUS" --out "$RESULTS/model" \
  --checkpoints "$RESULTS/ckpt" --embedding-cache "$RESULTS/caption_embeddings" --steps "$STEPS" \
  --max-minutes 100000 --session-minutes "$MINUTES" $TINY "${RECIPE[@]}" "${EXTRA[@]}" >> "$RESULTS/train.log" 2>&1
tail -n 3 "$RESULTS/train.log" | tee -a "$RESULTS/run.log"

# 4. quick benchmark (needs the evaluator of exported_models/eval and the corpus' test split)
if [ -f "$CORPUS/test.npz" ]; then
  log "quick benchmark"
  "$PY" -m engine.eval.bench --quick --model-dir "$RESULTS/model" --corpus "$CORPUS" ${SUITES:+--suites "$SUITES"} \
    --out "$RESULTS/BENCHMARK.md" --json "$RESULTS/benchmark.json" > "$RESULTS/bench.log" 2>&1
  grep -E "^(pass|FAIL)" "$RESULTS/bench.log" | tee -a "$RESULTS/run.log" || true
else
  log "no $CORPUS/test.npz: benchmark skipped"
fi
log "done: $RESULTS"
