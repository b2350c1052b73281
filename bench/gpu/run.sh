#!/usr/bin/env bash
# The GPU checks, from a bundle made by bench/gpu/bundle.sh: bash run.sh [steps]
#   env      GPU, CPU features, exmerge doctor
#   suite    java/cuda's tests with the conformance classes on the real device (the emulated grid off: CI runs it)
#   e2e      synthetic 3 x 64 MB and 3 x SIZE (default 1GB) models in /dev/shm; ExMe and TIES on cuda,
#            native (and java on the small ones), each twice; engine time and output SHA-256 per run
#            (the models stay in /dev/shm for the next run; remove /dev/shm/exmerge-gpu-* when done)
#   sanitize compute-sanitizer memcheck and racecheck on small cuda ExMe and TIES merges
#   native   the conformance classes on the native backend's best vector path (NISA=avx2|avx512|scalar picks one)
#   jmh      on the avx512 and the avx2 path: LinearFloorBench (fused kernel vs its N-in-1-out floor
#            and a copy), SparseMergeBench (TIES and DARE-TIES ops), ThresholdBench.byBand (the band
#            select's read) and NativeKernelsBench.philoxUniforms
# Default: env suite e2e sanitize native. Logs go to a new folder (LOGS=DIR names one that must not
# exist yet); with OUT=DIR set, each step also (re)writes DIR/exmerge-gpu-logs.tgz.
set -u
b=$(cd "$(dirname "$0")" && pwd)
L=$b/lib
steps=" ${*:-env suite e2e sanitize native} "
if [ -n "${LOGS:-}" ]; then
  [ -e "$LOGS" ] && { echo "run.sh: $LOGS exists; name a new folder for the logs" >&2; exit 2; }
  mkdir -p "$LOGS"
else
  LOGS=$(mktemp -d /tmp/exmerge-gpu-logs.XXXXXX)
fi
echo "logs: $LOGS"
export PATH=$PATH:/usr/local/cuda/bin
t0=$(date +%s)
step() { [ -n "${OUT:-}" ] && tar -C "$LOGS" -czf "$OUT/exmerge-gpu-logs.tgz" . 2>/dev/null; echo "=== [$(( $(date +%s) - t0 ))s] $*"; }
has() { [[ "$steps" == *" $1 "* ]]; }
if [ -x "${JAVA:-}" ]; then J=$JAVA; else mkdir -p /tmp/exmerge-jdk && tar -C /tmp/exmerge-jdk -xJf "$b/jdk.tar.xz" && J=/tmp/exmerge-jdk/jdk/bin/java; fi
X="$J --enable-native-access=ALL-UNNAMED -XX:CompileThresholdScaling=5 -jar $L/cli-all.jar"
CONF=()
for c in KernelConformanceTest KernelConformanceSparseTest KernelConformanceGeometricTest KernelConformanceNonFiniteTest \
  KernelConformanceSceFusionTest KernelConformanceOutputCheckTest; do CONF+=(--select-class "org.exmerge.kernel.$c"); done
junit() { # name timeout targets selectors...
  local name=$1 to=$2 targets=$3; shift 3
  printf 'configured=false\n' >"$LOGS/no-emulator.properties"
  timeout "$to" "$J" -Xmx24g --enable-native-access=ALL-UNNAMED -Dexmerge.conformance.targets="$targets" \
    -Dexmerge.cuda.marker="$LOGS/no-emulator.properties" -jar "$L/junit-console.jar" execute --disable-banner \
    --details=summary --details-theme=ascii --reports-dir "$LOGS/junit-$name" \
    -cp "$L/cli-all.jar:$L/core-tests.jar:$L/cuda-tests.jar:$L/assertj-core.jar" "$@" >"$LOGS/$name.log" 2>&1
  echo "$name rc=$?"; grep -E "GB/s|tests (successful|failed|aborted)|=> " "$LOGS/$name.log" | head -30
}
merge() { # label recipe backend [jvm flags]
  local lab=$1 r=$2 be=$3; shift 3
  rm -rf "$M/out-$r"
  local s=$(date +%s%N)
  timeout 300 $J --enable-native-access=ALL-UNNAMED -XX:CompileThresholdScaling=5 "$@" -jar "$L/cli-all.jar" merge \
    "$M/$r.yaml" "$M/out-$r" --backend "$be" --no-sync --overwrite >"$LOGS/m-$lab.log" 2>&1
  local rc=$? e=$(( ($(date +%s%N) - s) / 1000000 ))
  echo "$lab rc=$rc wall=${e}ms sha=$(cat "$M/out-$r"/*.safetensors 2>/dev/null | sha256sum | cut -c1-16) $(grep -o -E 'in [0-9.]+ s, [0-9.]+ GB/s' "$LOGS/m-$lab.log")"
  [ $rc = 0 ] || tail -3 "$LOGS/m-$lab.log"
}
recipes() { # dir: exme and ties recipes over the synthetic models there
  printf 'merge_method: exme\nbase_model: %s/base\nmodels:\n  - {model: %s/sft-1, parameters: {alpha: 0.5}}\n  - {model: %s/sft-2, parameters: {alpha: 0.1}}\nparameters: {beta: 0.1}\ndtype: bfloat16\n' "$1" "$1" "$1" >"$1/exme.yaml"
  printf 'merge_method: ties\nbase_model: %s/base\nmodels:\n  - {model: %s/sft-1, parameters: {weight: 1.0, density: 0.2}}\n  - {model: %s/sft-2, parameters: {weight: 1.0, density: 0.2}}\nparameters: {normalize: true}\ndtype: bfloat16\n' "$1" "$1" "$1" >"$1/ties.yaml"
}
models() { # dir size
  [ -d "$1/base" ] || $X synth "$1" --size "$2" >/dev/null 2>&1 || { echo "synth $2 failed"; return 1; }
  recipes "$1"
}
if has env; then
  step env
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"; grep -m1 -o -w -E 'avx512[a-z0-9_]*' /proc/cpuinfo | sort -u | tr '\n' ' '; echo
  $X doctor 2>&1 | grep -E '^(auto|cuda|native) |device 0|driver'
fi
if has suite; then
  step "suite on the device"
  junit suite 300 cuda --select-package org.exmerge.cuda "${CONF[@]}"
fi
if has e2e; then
  for size in 64MB "${SIZE:-1GB}"; do
    M=/dev/shm/exmerge-gpu-$size; models "$M" "$size" || continue
    step "e2e 3 x $size"
    for round in 1 2; do for r in exme ties; do
      for be in cuda native; do merge "$r-$size-$be-$round" "$r" "$be"; done
      [ "$size" = 64MB ] && [ $round = 1 ] && merge "$r-$size-java" "$r" java
    done; done
    rm -rf "$M"/out-*
  done
fi
if has sanitize; then
  step "compute-sanitizer"
  M=/dev/shm/exmerge-gpu-64MB; models "$M" 64MB
  for tool in memcheck racecheck; do for r in exme ties; do
    timeout 120 compute-sanitizer --tool $tool --print-limit 20 $X merge "$M/$r.yaml" "$M/out-san-$r" --backend cuda --no-sync --overwrite >"$LOGS/san-$tool-$r.log" 2>&1
    echo "$tool $r rc=$? sha=$(cat "$M/out-san-$r"/*.safetensors 2>/dev/null | sha256sum | cut -c1-16)"
    grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$LOGS/san-$tool-$r.log"
  done; done
fi
if has native; then
  isa=${NISA:-$(grep -q -m1 -w avx512f /proc/cpuinfo && echo avx512 || echo avx2)}
  step "native conformance, $isa path"
  junit native 300 "native/$isa" "${CONF[@]}"
fi
if has jmh; then
  for isa in avx512 avx2; do
    step "jmh LinearFloorBench $isa"
    timeout 300 $J -jar "$L/benchmarks.jar" LinearFloorBench -p elements=16777213 -f 1 -wi 1 -i 3 -w 1 -r 1 \
      -jvmArgsAppend "-Dexmerge.native.isa=$isa" -rf csv -rff "$LOGS/jmh-$isa.csv" >"$LOGS/jmh-$isa.log" 2>&1
    echo "rc=$?"; grep -E '^LinearFloorBench.*bytes' "$LOGS/jmh-$isa.log"
    step "jmh sparse, band and Philox $isa"
    timeout 300 $J -jar "$L/benchmarks.jar" 'SparseMergeBench|ThresholdBench.byBand|NativeKernelsBench.philoxUniforms' \
      -p backend=native -f 1 -wi 1 -i 3 -w 1 -r 1 -jvmArgsAppend "-Dexmerge.native.isa=$isa" \
      -rf csv -rff "$LOGS/jmh-sparse-$isa.csv" >"$LOGS/jmh-sparse-$isa.log" 2>&1
    echo "rc=$?"; grep -E '^(SparseMergeBench|ThresholdBench|NativeKernelsBench).*bytes' "$LOGS/jmh-sparse-$isa.log"
  done
fi
step done
