#!/usr/bin/env bash
# Step 3 of issue 17 after publish.sh: `verify --reproduce` on one bundle per track plus a binarized
# run with its fp32 parent, on the idle machine (nothing else running). Cheap runs chosen (Xeon
# timings): task MNIST cnn fp32 174 s and bnn 180 s (the bnn run reads its parent's weights from
# beside the bundles), robust 14 s, arch mlp 78 s, train 9 s (+ its parent retrained), comp < 1 s,
# infer (reuses the task weights). Prints each verdict; a bundle made on another CPU model reports
# "different environment" and is exact only if the arithmetic is the same there.
# Stretch 7 (AMD EPYC, on a dry-run publication in a scratch clone): all 7 "exact match", the six
# Xeon-made ones as "different environment (cpu.model ...)", in 3 min in all.
set -uo pipefail
D="npx -y deno@2.9.6"
B=bundles/runs
files=(
  "$B/task/mnist/cnn/fp32/seed0.json"
  "$B/task/mnist/cnn/bnn/seed0.json"
  "$B/robust/mnist/cnn/bnn/seed0.json"
  "$B/arch/fashion/mlp/fp32/seed0.json"
  "$B/train/sgd-0.1-cosine/mlp/xnor/seed0.json"
  "$B/comp/mnist/mlp/bnn/seed0.json"
  "$(find "$B/infer" -name 'seed0.json' | sort | head -n 1)"
)
for f in "${files[@]}"; do
  echo "== $f ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["environment"]["cpu"]["model"])' "$f"))"
  /usr/bin/time -f "%e s" $D task verify --reproduce "$f" 2>&1 | tail -n 3
done
