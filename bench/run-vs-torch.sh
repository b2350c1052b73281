#!/usr/bin/env bash
# exmerge against the torch anchor (bench/anchors/merge_torch.py: a per-tensor torch merge written
# the way a Python user writes one) on the same synthetic models, in one run, interleaved so that
# background load hits both alike. Prints each method's best wall time (process start to exit, both
# writing and fsyncing one output) and the ratio torch / exmerge; beside them the merge floor, a JVM
# process that reads the same inputs and writes one output the way the engine does with no
# arithmetic (bench/.../MergeFloor.java), timed the same way: torch / floor is the most any JVM
# tool could reach here. Usage:
#   bench/run-vs-torch.sh [SIZE per model, default 1GB] [WORK dir, default ${TMPDIR:-/tmp}/exmerge-vs-torch] [RUNS, default 3] [METHODS]
# METHODS defaults to "exme task_arithmetic ties dare_ties". SYNC=0 runs both sides without the
# fsync (exmerge --no-sync, merge_torch.py --no-sync): the ratio of the computing alone, where a
# slow disk's durable write would otherwise bound both. Installs Debian's python3-torch when torch
# is missing (root and the Debian registry needed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size=${1:-1GB}
work=${2:-${TMPDIR:-/tmp}/exmerge-vs-torch}
runs=${3:-3}
methods=${4:-exme task_arithmetic ties dare_ties}
nosync=()
[ "${SYNC:-1}" = 0 ] && nosync=(--no-sync)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
bench_jar="$root/bench/target/benchmarks.jar"
[ -f "$bench_jar" ] || (cd "$root" && mvn -B -q -DskipTests package)
# Debian's torch lives in the system Python; a python3 earlier on PATH (pyenv, a venv) may lack it.
find_py() { local p; for p in python3 /usr/bin/python3; do "$p" -c 'import torch' 2>/dev/null && { echo "$p"; return 0; }; done; return 1; }
if ! py=$(find_py); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
  py=$(find_py)
fi
mkdir -p "$work"
models="$work/models"
. "$root/bench/models.sh"
bench_models_ready "$work" "$size" || bench_models_make "$work" "$size" "$root/bin/exmerge" >/dev/null 2>&1
recipe() { # the same merge as merge_torch.py's defaults
  case "$1" in
    exme) printf 'merge_method: exme\nbase_model: %s\nmodels:\n  - {model: %s, parameters: {alpha: 0.5}}\n  - {model: %s, parameters: {alpha: 0.1}}\nparameters: {beta: 0.1}\n' "$models/base" "$models/sft-1" "$models/sft-2" ;;
    task_arithmetic) printf 'merge_method: task_arithmetic\nbase_model: %s\nmodels:\n  - {model: %s}\n  - {model: %s}\n' "$models/base" "$models/sft-1" "$models/sft-2" ;;
    ties|dare_ties) printf 'merge_method: %s\nbase_model: %s\nmodels:\n  - {model: %s, parameters: {density: 0.2}}\n  - {model: %s, parameters: {density: 0.2}}\n' "$1" "$models/base" "$models/sft-1" "$models/sft-2" ;;
  esac
}
now() { date +%s.%N; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ); models 3 x $size; torch $("$py" -c 'import torch; print(torch.__version__)'); $([ ${#nosync[@]} = 0 ] && echo 'outputs fsynced' || echo 'no fsync on either side')"
"$root/bin/exmerge" --version >/dev/null # build once, outside the timings
inputs=("$models"/base/*.safetensors "$models"/sft-1/*.safetensors "$models"/sft-2/*.safetensors)
out_bytes=$(cat "$models"/base/*.safetensors | wc -c)
floor_mode=sync
[ ${#nosync[@]} = 0 ] || floor_mode=nosync
least() { if [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; then echo "$1"; else echo "$2"; fi; }
# Each side starts from the same state: the last output written back (its writeback would otherwise
# land in the next process's time) and the inputs in the page cache (torch's peak memory can push
# them out).
warm() { sync; cat "${inputs[@]}" >/dev/null; }
ex_run() { warm; t0=$(now); "$root/bin/exmerge" merge "$work/$m.yaml" "$work/out-ex" ${nosync[@]+"${nosync[@]}"} >/dev/null 2>&1; t1=$(now); }
py_run() {
  warm
  t2=$(now)
  "$py" "$root/bench/anchors/merge_torch.py" "$m" "$work/out-py" "$models/base" "$models/sft-1" "$models/sft-2" ${nosync[@]+"${nosync[@]}"} 2>/dev/null
  t3=$(now)
}
floor_run() {
  warm
  t4=$(now)
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$bench_jar" org.exmerge.bench.MergeFloor \
    "$work/out-floor" "$out_bytes" "$(nproc)" "$floor_mode" "${inputs[@]}" >/dev/null
  t5=$(now)
}
declare -A ex py
fl=""
for m in $methods; do
  recipe "$m" >"$work/$m.yaml"
  for i in $(seq "$runs"); do
    rm -rf "$work/out-ex" "$work/out-py" "$work/out-floor"
    # What runs before a process can slow it (the writeback of the last output, memory torch just
    # freed), so exmerge and the floor take turns at running first and last in a round.
    if [ $((i % 2)) = 1 ]; then ex_run; py_run; floor_run; else floor_run; py_run; ex_run; fi
    e=$(echo "$t1 - $t0" | bc -l); p=$(echo "$t3 - $t2" | bc -l); f=$(echo "$t5 - $t4" | bc -l)
    printf '  %-16s run %d: exmerge %6.2f s, torch %7.2f s, merge floor %5.2f s\n' "$m" "$i" "$e" "$p" "$f"
    ex[$m]=$(least "$e" "${ex[$m]:-}"); py[$m]=$(least "$p" "${py[$m]:-}"); fl=$(least "$f" "$fl")
  done
done
echo "merge floor (a JVM process reading the inputs and writing one output as the engine does, no arithmetic; best of every round): $(printf %.2f "$fl") s"
echo "| method | exmerge (best of $runs) | torch per-tensor (best of $runs) | torch / exmerge | exmerge / floor | torch / floor (the most a JVM tool could reach) |"
echo "| --- | --- | --- | --- | --- | --- |"
for m in $methods; do
  awk -v m="$m" -v e="${ex[$m]}" -v p="${py[$m]}" -v f="$fl" \
    'BEGIN { printf "| %s | %.2f s | %.2f s | %.1fx | %.2fx | %.1fx |\n", m, e, p, p / e, e / f, p / f }'
done
rm -rf "$work/out-ex" "$work/out-py" "$work/out-floor"
