#!/usr/bin/env bash
# bibench-ts grid as a Slurm job array: array task i runs shard i/N of the grid into its own
# directory; a merge job (afterok) combines them and prints the tables. See docs/scale-out.md.
#
#   jobid=$(sbatch --parsable --array=0-7 scale-out/slurm-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap "deno task merge results/quick-shards/shard-* --out results/quick"
#
# Settings (environment, all optional): PROFILE (quick), OUT (results/$PROFILE-shards),
# BENCH_ARGS (extra bench options, e.g. "--algo bnn,xnor --seeds 3"), BIBENCH_KEY_DIR (signing
# key; by default ~/.config/bibench), DENO (the deno command, default "deno").
#SBATCH --job-name=bibench
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --output=bibench-%A_%a.out
set -euo pipefail

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  echo "slurm-array.sh: not in a job array (submit with sbatch --array=0-N)" >&2
  exit 2
fi
# Index from 0 whatever the array's first id, count from the array itself.
first=${SLURM_ARRAY_TASK_MIN:-0}
index=$((SLURM_ARRAY_TASK_ID - first))
count=${SLURM_ARRAY_TASK_COUNT:-$((${SLURM_ARRAY_TASK_MAX:?} - first + 1))}
profile=${PROFILE:-quick}
out=${OUT:-results/$profile-shards}
deno_cmd=${DENO:-deno}

cd "${SLURM_SUBMIT_DIR:-.}"
# A re-queued task resumes: finished runs in its directory are skipped.
# shellcheck disable=SC2086
exec $deno_cmd task bench --profile "$profile" --shard "$index/$count" \
  --out "$out/shard-$index" ${BENCH_ARGS:-}
