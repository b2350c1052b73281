#!/usr/bin/env bash
# Before/after on a noisy machine: builds another revision in a temporary worktree and runs the same
# merges with it and with this checkout, interleaved (old, new, new, old, …), each from a fresh output
# directory, so drift over minutes hits both alike. Each merge is timed as a whole process (JVM start
# included: what a user waits for): wall, CPU (user + system) and, with GNU time installed, peak RSS;
# then the mean of each per side. On a 2-core VM the wall time of one build drifts by a third within
# minutes; the CPU time drifts less, and only interleaved means compare.
# Usage:
#   bench/run-ab.sh [OLD revision, default HEAD~1] [OUT dir, default /tmp/exmerge-ab] [ROUNDS, default 3]
#                   [MODELS dir with base, sft-1, sft-2; default ${TMPDIR:-/tmp}/exmerge-e2e/models]
# OUT decides where the merged models go (a disk directory: fsync counts; /dev/shm/…: memory only);
# SYNC=0 drops the fsync (--no-sync). METHODS picks among "exme task_arithmetic ties" (default all);
# exme runs the exme command, the others merge a recipe file. FLAGS adds flags to every run (--json).
# exme: alpha 0.5,0.1, beta 0.1; task_arithmetic and ties: weights 0.5, ties density 0.3.
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
methods=${METHODS:-exme task_arithmetic ties}
nosync=()
[ "${SYNC:-1}" = 0 ] && nosync=(--no-sync)
read -r -a extra <<<"${FLAGS:-}"
gnutime=$(command -v /usr/bin/time || true)
log=$(mktemp "${TMPDIR:-/tmp}/exmerge-ab-log.XXXXXX")
times=$(mktemp "${TMPDIR:-/tmp}/exmerge-ab-time.XXXXXX")
trap 'git -C "$root" worktree remove --force "$old" >/dev/null 2>&1 || rm -rf "$old"; rm -rf "$out/m" "$out/task_arithmetic.yaml" "$out/ties.yaml"; rm -f "$log" "$times"' EXIT
# one merge as a whole process: prints "wall cpu rssMB" (rss "-" without GNU time)
measure() {
  rm -rf "$out/m"
  if [ -n "$gnutime" ]; then
    "$gnutime" -f '%e %U %S %M' -o "$times" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    awk '{printf "%.2f %.2f %d", $1, $2 + $3, $4 / 1024}' "$times"
  else
    local TIMEFORMAT='%R %U %S'
    { time "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; } 2>"$times"
    awk '{printf "%.2f %.2f -", $1, $2 + $3}' "$times"
  fi
}
echo "old = $(git -C "$old" log --oneline -1), new = this checkout ($(git -C "$root" log --oneline -1)); out $out${nosync[0]+ (no fsync)}"
# Outside the timings: each side's start-up cache, and the inputs back in the page cache (the builds may
# have pushed them out).
for dir in "$old" "$root"; do
  "$dir/bin/exmerge" --version >/dev/null
done
cat "$models"/*/* >/dev/null
for i in $(seq "$rounds"); do
  # The process right after another runs in a different state (the last output's pages just freed,
  # its writeback), and one fixed order gave one side that state every round: alternate it.
  sides="old new"
  [ $((i % 2)) = 0 ] && sides="new old"
  for side in $sides; do
    dir=$old
    [ "$side" = new ] && dir=$root
    for method in $methods; do
      if [ "$method" = exme ]; then
        r=$(measure "$dir/bin/exmerge" exme --base "$models/base" --sft "$models/sft-1" --sft "$models/sft-2" \
          --alpha 0.5,0.1 --beta 0.1 "$out/m" ${nosync[@]+"${nosync[@]}"} ${extra[@]+"${extra[@]}"})
      else
        r=$(measure "$dir/bin/exmerge" merge "$out/$method.yaml" "$out/m" ${nosync[@]+"${nosync[@]}"} ${extra[@]+"${extra[@]}"})
      fi
      echo "$side $method $r" | tee -a "$log" | awk '{printf "round '"$i"' %s %s: %s s wall, %s s CPU, peak RSS %s MB\n", $1, $2, $3, $4, $5}'
    done
  done
done
echo "means over $rounds rounds (wall s, CPU s, largest peak RSS MB):"
awk '{k = $2 " " $1; w[k] += $3; c[k] += $4; n[k]++; if ($5 != "-" && $5 > r[k]) r[k] = $5}
     END {for (k in w) printf "  %-22s %6.3f %6.2f %s\n", k, w[k] / n[k], c[k] / n[k], (k in r) ? r[k] : "-"}' "$log" | sort
