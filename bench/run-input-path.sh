#!/usr/bin/env bash
# Input path by measurement: reads one large file the way the engine does (4 MiB chunks into
# per-thread native buffers, 1 and 2 threads) through FileChannel.map (today's input), positional
# FileChannel.read, and libc mmap(MAP_POPULATE) of the whole file or of each chunk
# (bench/.../InputPaths.java), cold (evicted with posix_fadvise(DONTNEED), checked with fincore)
# and warm (in the page cache), next to `cat FILE > /dev/null` in the same run. Rounds interleave
# the ways (the order rotates each round) so a noisy neighbour hits all of them; prints every
# run, then the best of the rounds per way, and the load average before and after.
# Usage:
#   bench/run-input-path.sh [FILE or SIZE like 13GB; default the e2e base model] [ROUNDS, default 3]
# A SIZE makes a file of that many GB (copies of the e2e base model, or zeros without it) under
# ${TMPDIR:-/tmp}/exmerge-input-path and deletes it on exit. Needs python3 and the bench jar.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arg=${1:-${TMPDIR:-/tmp}/exmerge-e2e/models/base/model.safetensors}
rounds=${2:-3}
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar="$root/bench/target/benchmarks.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -pl bench -am -DskipTests package)
command -v python3 >/dev/null || { echo "run-input-path: needs python3 for posix_fadvise" >&2; exit 2; }

if [[ $arg =~ ^([0-9]+)GB$ ]]; then
  gb=${BASH_REMATCH[1]}
  dir=${TMPDIR:-/tmp}/exmerge-input-path
  mkdir -p "$dir"
  free=$(df -B1 --output=avail "$dir" | tail -n 1)
  [ "$free" -gt $(( (gb + 4) * 1000000000 )) ] || { echo "run-input-path: $dir has $free bytes free, too few for ${gb} GB" >&2; exit 2; }
  file=$dir/input.bin
  trap 'rm -f "$file"' EXIT
  seed=${TMPDIR:-/tmp}/exmerge-e2e/models/base/model.safetensors
  if [ -f "$seed" ]; then
    : >"$file"
    while [ "$(stat -c %s "$file")" -lt $((gb * 1000000000)) ]; do cat "$seed" >>"$file"; done
    truncate -s $((gb * 1000000000)) "$file"
  else
    dd if=/dev/zero of="$file" bs=16M count=$((gb * 1000000000 / (16 << 20))) status=none
  fi
  sync "$file"
else
  file=$arg
fi
[ -f "$file" ] || { echo "run-input-path: no file $file" >&2; exit 2; }
bytes=$(stat -c %s "$file")

evict() {
  python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
finally:
    os.close(fd)' "$file"
  if command -v fincore >/dev/null; then
    local res
    res=$(fincore -b -n -o RES "$file" | awk '{ print $1 + 0 }')
    [ "$res" -le $((64 << 20)) ] || { echo "run-input-path: $res bytes still cached after DONTNEED" >&2; exit 4; }
  fi
}
warm() { # everything resident, or as much as the page cache keeps
  cat "$file" >/dev/null
}

ways=("cat 1" "map 1" "map 2" "pread 1" "pread 2" "populate 1" "populate 2" "populate-chunk 1" "populate-chunk 2")
log=$(mktemp)
trap 'rm -f "$log"; if [ -n "${gb:-}" ]; then rm -f "$file"; fi' EXIT
echo "run-input-path: $file ($bytes bytes), $rounds rounds, $(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for cache in cold warm; do
    n=${#ways[@]}
    for i in $(seq 0 $((n - 1))); do
      w=${ways[$(( (i + r - 1) % n ))]}
      if [ "$cache" = cold ]; then evict; else warm; fi
      read -r way threads <<<"$w"
      if [ "$way" = cat ]; then
        t0=$(date +%s.%N); cat "$file" >/dev/null; t1=$(date +%s.%N)
        line=$(awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "cat 1 threads: %.0f bytes in %.3f s = %.2f GB/s", b, z - a, b / (z - a) / 1e9 }')
      else
        line=$("$java" --enable-native-access=ALL-UNNAMED -cp "$jar" org.exmerge.bench.InputPaths "$way" "$threads" "$file")
      fi
      echo "round $r $cache: $line" | tee -a "$log"
    done
  done
done
echo "best of $rounds (GB/s), load now $(cut -d' ' -f1-3 /proc/loadavg):"
awk '{ for (i = 1; i <= NF; i++) if ($i == "GB/s") g = $(i - 1)
       key = $3 " " $4 " " $5 " threads"; if (!(key in best) || g + 0 > best[key] + 0) best[key] = g }
     END { for (k in best) print "  " k ": " best[k] }' "$log" | sort
