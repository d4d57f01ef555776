#!/usr/bin/env bash
# The GPU acceptance run, one command, no hub:  benchmarks/gpu_check.sh [OUT.json]
#
# On CUDA: the scale rehearsal (benchmarks/scale_rehearsal.py) at the LLaMA-2-7B shape, full depth, bf16:
# identification of one proxy per task (letter and text, m = 20, layer_batch 4), the naive engine on the top
# two layers, evaluation against HFLM, bf16 against fp32 on 4 layers; with more than one GPU visible, the
# 13B shape sharded over them (parallelize). About 10 minutes on one H100/H200-class GPU.
# On a machine without CUDA it runs the same steps at the `tiny` shape (tests/integration/test_gpu_check.py),
# so the script is known to work before a GPU is lent. SHAPE=... overrides the shape.
# Writes one JSON (default benchmarks/results/gpu_check.json): every step's numbers and the checks, each
# with its value, its limit and ok; the exit status is 1 when a check fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(realpath -m "${1:-$here/results/gpu_check.json}")"
python="${PYTHON:-python}"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$here/..${PYTHONPATH:+:$PYTHONPATH}"
gpus="$("$python" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SCALE_RESULTS="$work/results"
mkdir -p "$SCALE_RESULTS" "$(dirname "$out")"
runs=()
if [ "$gpus" -gt 0 ]; then
  shape="${SHAPE:-llama2-7b}"
  "$python" "$here/scale_rehearsal.py" --shape "$shape" --device cuda --dtype bfloat16 --steps 20 --layer-batch 4 \
    --eval-questions 48 --text-eval-questions 24 --naive-layers 2 --naive-steps 20 --exactness-layers 4 \
    --work "$work/weights" --name "main"
  runs+=(main)
  if [ "$gpus" -gt 1 ]; then
    "$python" "$here/scale_rehearsal.py" --shape llama2-13b --device auto --dtype bfloat16 --steps 20 --layer-batch 4 \
      --formats letter --eval-questions 24 --naive-layers 0 --work "$work/weights" --name "sharded_13b"
    runs+=(sharded_13b)
  fi
else
  shape="${SHAPE:-tiny}"
  "$python" "$here/scale_rehearsal.py" --shape "$shape" --device cpu --dtype bfloat16 --steps 8 --layer-batch 4 \
    --eval-questions 8 --text-eval-questions 4 --naive-layers 2 --naive-steps 4 --exactness-layers 2 \
    --work "$work/weights" --name "main"
  runs+=(main)
fi
"$python" "$here/gpu_check.py" "$out" "$SCALE_RESULTS" "${runs[@]}"
