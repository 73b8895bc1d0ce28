#!/usr/bin/env bash
# The shipped model from ../shared/data in one command: its six training stages, each resumable.
#
#   tools/reproduce_model.sh [--data ../shared/data] [--runs ~/.cache/motion_composer/reproduce]
#                            [--corpus DIR (prepared; default RUNS/corpus, prepared from --data)] [--tiny]
#
# Stages (exported_models/MODEL_CARD.md, "Training"): v1 (180 CPU minutes from scratch, in two sittings of its
# schedule), b4 (v1's weights with EMA, imputed observations and label balancing 0.5), b5 (b4 continued with a
# fresh schedule), b6 (b5 with natural label frequencies, --balance 1.0), b9 (b6 with the clips' standing-still
# stretches as items of their own, --idle-items, and a fresh schedule): 600 CPU minutes in all. Each stage
# checkpoints under RUNS/<stage>/ckpt and exports to RUNS/<stage>/model; run the script again after an
# interruption and it resumes the unfinished stage (finished ones are skipped). The schedules follow training
# minutes, so a busy machine reproduces the recipe, not the bits. RUNS/b9/model is the model: copy its files
# over exported_models/ (keep "step_spacing": "trailing" in the manifest) and rebuild the prompt vocabulary
# (python -m engine.training.vocabulary). --tiny runs the toy configuration
# (seconds per stage), for the test.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data RUNS=$HOME/.cache/motion_composer/reproduce CORPUS="" TINY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --corpus) CORPUS=$2; shift 2 ;;
    --tiny) TINY=(--tiny); shift ;;
    *) echo "error: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
PY=${PY:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
mkdir -p "$RUNS"
CORPUS=${CORPUS:-$RUNS/corpus}
V2=(--lr 1e-4 --warmup 100 --batch 32 --ema 0.999 --impute --obs-prob 0.5 --content-only 0)

stage() {  # stage NAME MINUTES STEPS [train flags]: train RUNS/NAME unless it is done (--tiny: 5 steps)
  local name=$1 minutes=$2 steps=$3
  shift 3
  local budget=(--max-minutes "$minutes" --steps "$steps")
  [ ${#TINY[@]} -eq 0 ] || budget=(--max-minutes 2 --tiny)
  if [ -f "$RUNS/$name/done" ]; then
    echo "$name: done, skipped"
    return
  fi
  echo "$name: training (${minutes} min; resumes from $RUNS/$name/ckpt)"
  nice -n 19 "$PY" -m engine.training.train --data "$DATA" --corpus "$CORPUS" --out "$RUNS/$name/model" \
    --checkpoints "$RUNS/$name/ckpt" --embedding-cache "$RUNS/embeddings" "${budget[@]}" "$@"
  touch "$RUNS/$name/done"
}

stage v1a 90 8000
# v1's second sitting: the same checkpoint, its schedule stretched to 180 minutes and 40,000 steps
mkdir -p "$RUNS/v1/ckpt"
[ -f "$RUNS/v1/done" ] || [ -f "$RUNS/v1/ckpt/last.pt" ] || cp "$RUNS/v1a/ckpt/last.pt" "$RUNS/v1/ckpt/last.pt"
stage v1 180 40000
stage b4 100 100000 --init "$RUNS/v1/model/denoiser.onnx" "${V2[@]}" --balance 0.5
stage b5 105 100000 --init "$RUNS/b4/model/denoiser.onnx" "${V2[@]}" --balance 0.5
stage b6 95 100000 --init "$RUNS/b5/model/denoiser.onnx" "${V2[@]}" --balance 1.0
stage b9 120 100000 --init "$RUNS/b6/model/denoiser.onnx" "${V2[@]}" --balance 1.0 --idle-items
echo "the model: $RUNS/b9/model"
