#!/usr/bin/env bash
# End-to-end ExMe merge throughput, next to this machine's file-read and memory-copy rates measured
# in the same run (page cache warm). Usage:
#   bench/run-e2e.sh [SIZE per model, default 1GB] [WORK dir, default ${TMPDIR:-/tmp}/exmerge-e2e] [RUNS, default 3]
#   OUT_ROOT=/dev/shm/exmerge-out bench/run-e2e.sh …   # write the merged model there instead of WORK
# The shard writer fsyncs its output (durable when the command returns), so on a disk slower than
# memory the merge is bounded by the disk: the script prints the I/O floor (the same reads and
# writes with no arithmetic, bench/.../IoFloor.java) next to memcpy, and an OUT_ROOT on tmpfs
# (where fsync costs nothing) shows the rate the engine reaches in memory.
# Synthesises base + 2 fine-tunes of SIZE each (once; reused), then for each backend (java, native,
# and native forced to AVX2) runs `exmerge exme` RUNS times and prints the best. GB/s everywhere is
# bytes read + bytes written per second: 3 × SIZE in + 1 × SIZE out for the merge, source + copy
# for memcpy, file bytes for cat. Needs: the built bench jar (mvn -B -DskipTests package).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size=${1:-1GB}
work=${2:-${TMPDIR:-/tmp}/exmerge-e2e}
runs=${3:-3}
out_root=${OUT_ROOT:-$work}
mkdir -p "$out_root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
java="$JAVA_HOME/bin/java"
exmerge="$root/bin/exmerge"
bench_jar="$root/bench/target/benchmarks.jar"
[ -f "$bench_jar" ] || (cd "$root" && mvn -B -q -DskipTests package)

models="$work/models"
. "$root/bench/models.sh"
bench_models_ready "$work" "$size" || bench_models_make "$work" "$size" "$exmerge" --json >/dev/null
files=("$models"/base/*.safetensors "$models"/sft-1/*.safetensors "$models"/sft-2/*.safetensors)
in_bytes=$(cat "${files[@]}" | wc -c)
out_bytes=$(cat "$models"/base/*.safetensors | wc -c)

now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f", b / s / 1e9 }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "inputs: 3 models, $(rate "$in_bytes" 1) GB in total; output $(rate "$out_bytes" 1) GB"

# File-read rate from the warm page cache: the second of two cats.
cat "${files[@]}" >/dev/null
t0=$(now); cat "${files[@]}" >/dev/null; t1=$(now)
read_rate=$(rate "$in_bytes" "$(echo "$t1 - $t0" | bc -l)")
echo "file read (cat, page cache warm): $read_rate GB/s"

# The I/O floor: the inputs read as the engine reads them and an output of SIZE written as the
# engine writes it (positional writes from every thread, fsync), no arithmetic; best of 3.
floor_rate=0
for i in 1 2 3; do
  line=$("$java" --enable-native-access=ALL-UNNAMED -cp "$bench_jar" org.exmerge.bench.IoFloor \
    "$out_root/io-floor-test" "$out_bytes" "$(nproc)" sync "${files[@]}")
  r=$(echo "$line" | sed -E 's/.*: ([0-9.]+) GB\/s read\+written/\1/')
  if awk -v a="$r" -v b="$floor_rate" 'BEGIN { exit !(a > b) }'; then floor_rate=$r; floor_line=$line; fi
done
echo "$floor_line (best of 3, output to $out_root)"

# Memory-copy rate: MemorySegment.copy of 512 MiB per thread, 1 thread and all cores.
"$java" --enable-native-access=ALL-UNNAMED -cp "$bench_jar" org.exmerge.bench.MemoryRates 512 "$(nproc)" | tee "$work/memcpy.txt"
copy_rate=$(tail -n 1 "$work/memcpy.txt" | sed -E 's/.*: ([0-9.]+) GB\/s.*/\1/')

"$exmerge" doctor | sed -n '/^native/p;/^isa path/p'

for backend in java native native-avx2; do
  flags=(--backend "${backend%%-*}")
  opts=""
  [ "$backend" = native-avx2 ] && opts="-Dexmerge.native.isa=avx2"
  best=""
  for i in $(seq "$runs"); do
    # A fresh output each run: with --overwrite alone the old copy would still hold its pages while
    # the new one is written, and on a VM whose guest memory is first touched then, runs alternate.
    rm -rf "$out_root/out-$backend"
    t0=$(now)
    line=$(EXMERGE_JAVA_OPTS="$opts" "$exmerge" exme --base "$models/base" --sft "$models/sft-1" --sft "$models/sft-2" \
      --alpha 0.5,0.1 --beta 0.1 "$out_root/out-$backend" --overwrite "${flags[@]}" 2>&1 | grep 'wrote' | tail -n 1)
    t1=$(now)
    wall=$(echo "$t1 - $t0" | bc -l)
    merge_rate=$(echo "$line" | sed -E 's/.* ([0-9.]+) GB\/s read\+written.*/\1/')
    echo "  $backend run $i: merge $merge_rate GB/s (engine's own timing), wall incl. JVM start $(printf %.2f "$wall") s"
    if [ -z "$best" ] || awk -v a="$merge_rate" -v b="$best" 'BEGIN { exit !(a > b) }'; then best=$merge_rate; fi
  done
  pct=$(awk -v a="$best" -v c="$copy_rate" 'BEGIN { printf "%.0f", 100 * a / c }')
  floor_pct=$(awk -v a="$best" -v c="$floor_rate" 'BEGIN { printf "%.0f", 100 * a / c }')
  echo "exme $backend: best $best GB/s = $pct % of the $(nproc)-thread memcpy rate ($copy_rate GB/s)," \
    "$floor_pct % of the I/O floor ($floor_rate GB/s); file read $read_rate GB/s"
done
# Tensor bytes must be identical. (The headers may not be: they record the recipe text, which the
# exme quick form currently serialises in a per-JVM map order.)
data() { local f=$1 n; n=$(od -An -t u8 -N8 "$f" | tr -d ' '); tail -c +$((9 + n)) "$f"; }
for b in native native-avx2; do
  if cmp -s <(data "$out_root/out-java/model.safetensors") <(data "$out_root/out-$b/model.safetensors"); then
    echo "tensor data: java and $b byte-identical"
  else
    echo "tensor data: java and $b DIFFER" && exit 1
  fi
done
