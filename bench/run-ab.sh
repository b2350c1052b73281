#!/usr/bin/env bash
# Before/after on a noisy machine: builds another revision in a temporary worktree and runs the same
# merges with it and with this checkout, interleaved (old, new, old, new …), each from a fresh output
# directory, so drift over minutes hits both alike. Prints the engine's own time (JVM start excluded).
# Usage:
#   bench/run-ab.sh [OLD revision, default HEAD~1] [OUT dir, default /tmp/exmerge-ab] [ROUNDS, default 3]
#                   [MODELS dir with base, sft-1, sft-2; default ${TMPDIR:-/tmp}/exmerge-e2e/models]
# OUT decides where the merged models go (a disk directory: fsync counts; /dev/shm/…: memory only).
# Runs exme (alpha 0.5,0.1, beta 0.1), task_arithmetic and ties (weights 0.5, density 0.3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
old_rev=${1:-HEAD~1}
out=${2:-/tmp/exmerge-ab}
rounds=${3:-3}
models=${4:-${TMPDIR:-/tmp}/exmerge-e2e/models}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
for m in base sft-1 sft-2; do
  [ -d "$models/$m" ] || { echo "no $models/$m: run bench/run-e2e.sh first (or exmerge synth)" >&2; exit 2; }
done
old=$(mktemp -d "${TMPDIR:-/tmp}/exmerge-ab-old.XXXXXX")
trap 'git -C "$root" worktree remove --force "$old" >/dev/null 2>&1 || rm -rf "$old"; rm -rf "$out/m" "$out/task_arithmetic.yaml" "$out/ties.yaml"' EXIT
git -C "$root" worktree add -q --detach "$old" "$old_rev"
(cd "$old" && mvn -B -q -DskipTests package)
(cd "$root" && mvn -B -q -DskipTests package)
mkdir -p "$out"
recipe() { # method, extra per-model parameters
  printf 'merge_method: %s\nbase_model: %s\nmodels:\n' "$1" "$models/base"
  for m in sft-1 sft-2; do printf '  - model: %s\n    parameters: {weight: 0.5%s}\n' "$models/$m" "$2"; done
}
recipe task_arithmetic "" >"$out/task_arithmetic.yaml"
recipe ties ", density: 0.3" >"$out/ties.yaml"
seconds() { grep 'wrote' | tail -n 1 | sed -E 's/.* in ([0-9.]+) s,.*/\1/'; }
echo "old = $(git -C "$old" log --oneline -1), new = this checkout ($(git -C "$root" log --oneline -1)); out $out"
for i in $(seq "$rounds"); do
  for side in old new; do
    dir=$old
    [ "$side" = new ] && dir=$root
    rm -rf "$out/m"
    t=$("$dir/bin/exmerge" exme --base "$models/base" --sft "$models/sft-1" --sft "$models/sft-2" \
      --alpha 0.5,0.1 --beta 0.1 "$out/m" 2>&1 | seconds)
    line="round $i $side: exme $t s"
    for method in task_arithmetic ties; do
      rm -rf "$out/m"
      line="$line, $method $("$dir/bin/exmerge" merge "$out/$method.yaml" "$out/m" 2>&1 | seconds) s"
    done
    echo "$line"
  done
done
