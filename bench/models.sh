# Sourced by the bench scripts: base + two fine-tunes synthesised into WORK/models, made once per SIZE
# and reused. WORK/models is replaced only when a bench script made it (the mark file says so), so a
# WORK directory that holds models of the user's own is refused, never emptied.

# True when WORK/models holds this SIZE's finished models; exits 2 when WORK/models is not ours.
bench_models_ready() { # WORK SIZE
  local models="$1/models" mark="$1/.exmerge-bench-models"
  [ -f "$mark" ] || [ ! -f "$1/size" ] || mv "$1/size" "$mark" # the mark's name before 2026-11-30
  if [ -f "$models/sft-2/config.json" ] && [ "$(cat "$mark" 2>/dev/null)" = "$2" ]; then
    return 0
  fi
  if [ -e "$models" ] && [ ! -f "$mark" ]; then
    echo "$(basename "$0"): $models exists and no bench script made it; name another WORK directory" >&2
    exit 2
  fi
  return 1
}

# Replaces WORK/models (ours, or absent: bench_models_ready checked) by new ones of SIZE.
bench_models_make() { # WORK SIZE EXMERGE [synth flags...]
  local work=$1 size=$2 exmerge=$3
  shift 3
  mkdir -p "$work"
  rm -rf "$work/models"
  echo unfinished >"$work/.exmerge-bench-models"
  "$exmerge" synth "$work/models" --size "$size" --finetunes 2 "$@"
  echo "$size" >"$work/.exmerge-bench-models"
}
