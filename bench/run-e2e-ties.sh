#!/usr/bin/env bash
# End-to-end cost of TIES next to task_arithmetic on the same models: the issue's ratio
# (ties time / task_arithmetic time, target <= 2.5x). Usage:
#   bench/run-e2e-ties.sh [MODELS dir with base, sft-1, sft-2; default ${TMPDIR:-/tmp}/exmerge-e2e/models]
#                         [OUT dir, default /dev/shm/exmerge-ties] [RUNS, default 3] [BACKEND, default native]
# MODELS is what bench/run-e2e.sh synthesises (exmerge synth MODELS --size 1GB --finetunes 2). Both
# recipes merge the two fine-tunes into the base with weights 0.5; ties trims each task vector to
# density 0.3 (exact per-tensor thresholds: two histogram reads of x and b per model), elects signs
# and averages. Runs alternate (task_arithmetic, ties) so background load hits both alike; the
# figures are the engine's own times (JVM start excluded), best of RUNS. OUT defaults to tmpfs so
# the disk's fsync rate does not set both times.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models=${1:-${TMPDIR:-/tmp}/exmerge-e2e/models}
out=${2:-/dev/shm/exmerge-ties}
runs=${3:-3}
backend=${4:-native}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mkdir -p "$out"
for m in base sft-1 sft-2; do
  [ -d "$models/$m" ] || { echo "no $models/$m: run bench/run-e2e.sh first (or exmerge synth)" >&2; exit 2; }
done
recipe() { # method, extra per-model parameters
  printf 'merge_method: %s\nbase_model: %s\nmodels:\n' "$1" "$models/base"
  for m in sft-1 sft-2; do printf '  - model: %s\n    parameters: {weight: 0.5%s}\n' "$models/$m" "$2"; done
}
recipe task_arithmetic "" >"$out/task_arithmetic.yaml"
recipe ties ", density: 0.3" >"$out/ties.yaml"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); backend $backend; load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A best
for i in $(seq "$runs"); do
  for method in task_arithmetic ties; do
    rm -rf "$out/out-$method" # a fresh output each run, as in run-e2e.sh
    line=$("$root/bin/exmerge" merge "$out/$method.yaml" "$out/out-$method" --overwrite --backend "$backend" 2>&1 | grep 'wrote' | tail -n 1)
    secs=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s,.*/\1/')
    echo "  run $i $method: $secs s ($line)"
    if [ -z "${best[$method]:-}" ] || awk -v a="$secs" -v b="${best[$method]}" 'BEGIN { exit !(a < b) }'; then best[$method]=$secs; fi
  done
done
ratio=$(awk -v t="${best[ties]}" -v a="${best[task_arithmetic]}" 'BEGIN { printf "%.2f", t / a }')
echo "best of $runs: task_arithmetic ${best[task_arithmetic]} s, ties ${best[ties]} s: ties / task_arithmetic = ${ratio}x (target <= 2.5x)"
rm -rf "$out/out-task_arithmetic" "$out/out-ties"
