#!/usr/bin/env bash
# The scale record: a 7B-shaped base and two fine-tunes (3 × SIZE, default 13GB: the 7B ladder rung,
# 32 layers of 4096 × 11008), merged with exme and with ties from a cold page cache, each next to a
# cold read of the same inputs measured in the same run. Usage:
#   bench/run-scale.sh [WORK dir, default ${TMPDIR:-/tmp}/exmerge-scale] [SIZE per model, default 13GB]
# The models are synthesised once under WORK/models and reused (delete WORK to start over). Before
# each timed step every input is evicted from the page cache with posix_fadvise(DONTNEED) (no
# privileges needed; drop_caches needs them), and fincore checks that nothing stayed resident.
# Per method it prints the engine's own merge time (JVM start excluded), the cold `cat` of the
# inputs, their ratio (target: exme ≤ 1.1), the same run's `dd … conv=fsync` of one model's size
# (the output's write, which on a slow disk bounds the merge more than the read does), the ratio to
# the larger of the two, the same run's read and write done at once (the merge's own I/O floor on
# this disk) and the ratio to it, and the peak RSS from /usr/bin/time -v (target ≤ 1 GB).
# Outputs are written to disk with fsync, as a user's merge is, and removed after each run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:-${TMPDIR:-/tmp}/exmerge-scale}
size=${2:-13GB}
exmerge="$root/bin/exmerge"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ -x /usr/bin/time ] || { echo "run-scale: needs /usr/bin/time for peak RSS (apt-get install time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run-scale: needs python3 for posix_fadvise" >&2; exit 2; }
mkdir -p "$work"
models="$work/models"

bytes_of() { # SIZE as the CLI reads it: SI units are powers of 10, *iB of 2
  echo "$1" | tr 'A-Z' 'a-z' | awk '{ if (!match($0, /^[0-9.]+/)) { print -1; exit }
    n = substr($0, 1, RLENGTH); u = substr($0, RLENGTH + 1); gsub(/ /, "", u)
    p = index("kmgt", substr(u, 1, 1)); base = (substr(u, 2, 1) == "i") ? 1024 : 1000
    if (u == "" || u == "b") p = 0; printf "%.0f", n * base ^ p }'
}
size_bytes=$(bytes_of "$size")
[ "$size_bytes" -gt 0 ] || { echo "run-scale: '$size' is not a size (e.g. 13GB)" >&2; exit 2; }

. "$root/bench/models.sh"
reuse=0
bench_models_ready "$work" "$size" && reuse=1
# Room for the inputs (unless reused) and one output, plus 1 GB of slack for everything else.
need=$(( (reuse ? 0 : 3 * size_bytes) + size_bytes + 1000000000 ))
free=$(( $(df -Pk "$work" | awk 'NR == 2 { print $4 }') * 1024 ))
if [ "$free" -lt "$need" ]; then
  printf 'run-scale: not enough space in %s: needs %.1f GB (%s), %.1f GB free\n' "$work" "$(echo "$need / 1e9" | bc -l)" \
    "$([ $reuse = 1 ] && echo "one $size output" || echo "3 × $size inputs + one output")" "$(echo "$free / 1e9" | bc -l)" >&2
  exit 3
fi

"$exmerge" doctor >/dev/null # builds the CLI and its start-up cache outside the timed runs
now() { date +%s.%N; }
secs() { printf %.2f "$(echo "$2 - $1" | bc -l)"; }

# The disk's sequential write rate in this run: one model's size written with dd and fsync. A merge
# writes that much too, so it bounds the merge from below as the cold read does; synth writes 3×.
count=$(( (size_bytes + (16 << 20) - 1) / (16 << 20) ))
t0=$(now); dd if=/dev/zero of="$work/dd.bin" bs=16M count="$count" conv=fsync status=none; t1=$(now); rm -f "$work/dd.bin"
dd_secs=$(secs "$t0" "$t1")
dd_rate=$(awk -v b="$count" -v s="$dd_secs" 'BEGIN { printf "%.2f", b * 16777216 / s / 1e9 }')
echo "disk write: dd of $count × 16 MiB with conv=fsync in $dd_secs s = $dd_rate GB/s"
if [ $reuse = 0 ]; then
  t0=$(now)
  bench_models_make "$work" "$size" "$exmerge" 2>&1 | grep -E 'Llama shape|wrote'
  t1=$(now)
  synth_bytes=$(du -cb "$models"/*/*.safetensors | tail -n 1 | cut -f1)
  synth_rate=$(awk -v b="$synth_bytes" -v s="$(secs "$t0" "$t1")" 'BEGIN { printf "%.2f", b / s / 1e9 }')
  echo "synth: 3 models in $(secs "$t0" "$t1") s incl. JVM start = $synth_rate GB/s written," \
    "$(awk -v a="$synth_rate" -v b="$dd_rate" 'BEGIN { printf "%.0f", 100 * a / b }') % of dd's rate"
fi
files=("$models"/base/*.safetensors "$models"/sft-1/*.safetensors "$models"/sft-2/*.safetensors)
in_bytes=$(du -cb "${files[@]}" | tail -n 1 | cut -f1)

evict() { # every input out of the page cache, then check none stayed
  python3 -c 'import os, sys
for p in sys.argv[1:]:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)  # dirty pages cannot be dropped
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)' "${files[@]}"
  local resident
  resident=$(fincore -b -n -o RES "${files[@]}" | awk '{ s += $1 } END { print s + 0 }')
  if [ "$resident" -gt $((64 << 20)) ]; then
    echo "run-scale: $resident bytes of the inputs are still in the page cache after posix_fadvise(DONTNEED)" >&2
    exit 4
  fi
}

recipe() { # exme: the paper's form; ties: the two fine-tunes at weight 0.5, density 0.3
  if [ "$1" = exme ]; then
    printf 'merge_method: exme\nbase_model: %s\nmodels:\n  - {model: %s, parameters: {alpha: 0.5}}\n  - {model: %s, parameters: {alpha: 0.1}}\nparameters: {beta: 0.1}\n' \
      "$models/base" "$models/sft-1" "$models/sft-2"
  else
    printf 'merge_method: ties\nbase_model: %s\nmodels:\n' "$models/base"
    for m in sft-1 sft-2; do printf '  - {model: %s, parameters: {weight: 0.5, density: 0.3}}\n' "$models/$m"; done
  fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/^Mem/ { print $2 }') GiB;" \
  "$(df -h "$work" | awk 'NR == 2 { print $1 }'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "inputs: $(awk -v b="$in_bytes" 'BEGIN { printf "%.2f", b / 1e9 }') GB in 3 models of $size ($(ls "$models/base" | grep -c safetensors) shard(s) each)"
# The I/O floor of a merge on this disk: the inputs read cold while one model's size is written with
# fsync, both at once, as a merge does them (a disk's reads and writes share its bandwidth).
evict
t0=$(now)
cat "${files[@]}" >/dev/null &
reader=$!
dd if=/dev/zero of="$work/dd.bin" bs=16M count="$count" conv=fsync status=none
wait "$reader"
t1=$(now)
rm -f "$work/dd.bin"
both=$(secs "$t0" "$t1")
echo "read+write floor: cold cat of the inputs while dd writes one model with fsync, in $both s"
rows=()
for method in exme ties; do
  recipe "$method" >"$work/$method.yaml"
  evict
  t0=$(now); cat "${files[@]}" >/dev/null; t1=$(now)
  cold=$(secs "$t0" "$t1")
  evict
  rm -rf "$work/out-$method"
  "/usr/bin/time" -v -o "$work/time-$method.txt" "$exmerge" merge "$work/$method.yaml" "$work/out-$method" >"$work/merge-$method.txt" 2>&1
  line=$(grep 'wrote' "$work/merge-$method.txt" | tail -n 1)
  wall=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s,.*/\1/')
  rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time-$method.txt")
  rm -rf "$work/out-$method"
  ratio=$(awk -v w="$wall" -v c="$cold" 'BEGIN { printf "%.2f", w / c }')
  floor=$(awk -v w="$wall" -v c="$cold" -v d="$dd_secs" 'BEGIN { printf "%.2f", w / (c > d ? c : d) }')
  vs_both=$(awk -v w="$wall" -v b="$both" 'BEGIN { printf "%.2f", w / b }')
  row=$(printf '| %s | %s | %s | %s | %s | %s | %s | %s | %.0f MB |' "$method" "$wall" "$cold" "$ratio" "$dd_secs" "$floor" "$both" "$vs_both" "$(echo "$rss_kb / 1000" | bc -l)")
  echo "$method: $line"
  rows+=("$row")
done
echo
echo "| method | merge, engine's time (s) | cold read of the inputs (s) | merge / cold read | dd write of one model (s) | merge / max(read, write) | read and write at once (s) | merge / that | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo "(cold read = cat of the $(awk -v b="$in_bytes" 'BEGIN { printf "%.2f", b / 1e9 }') GB of inputs after eviction; remove $models when done)"
