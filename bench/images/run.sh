#!/usr/bin/env bash
# Image preparation benchmark (issue 3): a 24-megapixel JPEG photo and a 4000x3000 PNG screenshot
# to API-ready base64, Parley (`parley_images::prepare` + base64) against Pillow doing the same
# job on the same file (`Image.draft` + `thumbnail` + save + base64, see pillow_prepare.py), in the
# same run. Wall time is the median of in-process repetitions; peak memory is the process's
# maximum resident set size (`/usr/bin/time -f %M`). The two tools alternate, round after round,
# so that a busy machine slows both alike; the figures are medians over rounds.
#
#   bash bench/images/run.sh                   # 3 rounds of 7 repetitions
#   ROUNDS=5 REPS=9 bash bench/images/run.sh
#
# Prints a markdown table (also written to target/bench-images/results.md). Exits non-zero when a
# step fails, never because a goal (ratio <= 1.0) is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROUNDS="${ROUNDS:-3}"
REPS="${REPS:-7}"
OUT=target/bench-images
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

log() { printf '\033[1;34m[bench-images]\033[0m %s\n' "$*" >&2; }

# What the benchmark needs from Debian: Pillow for the system Python, GNU time for peak memory.
missing=()
/usr/bin/python3 -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

log "building the benchmark binaries (release)"
cargo build --release --locked -p parley-bench-images
BIN="$TARGET_DIR/release"

log "writing the inputs to $OUT"
"$BIN/parley-images-make-inputs" "$OUT" >&2
INPUTS=("$OUT/photo-6000x4000.jpg" "$OUT/screenshot-4000x3000.png")

# run TOOL FILE -> prints "median_ms bytes peak_kib type size"
run() {
  local tool="$1" file="$2" line peak
  local timing
  timing="$(mktemp)"
  if [ "$tool" = parley ]; then
    line="$(/usr/bin/time -o "$timing" -f '%M' "$BIN/parley-images-prepare" "$file" "$REPS")"
  else
    line="$(/usr/bin/time -o "$timing" -f '%M' /usr/bin/python3 bench/images/pillow_prepare.py "$file" "$REPS")"
  fi
  peak="$(tail -n 1 "$timing")"
  rm -f "$timing"
  # median_ms=.. bytes=.. base64=.. type=.. size=..
  awk -v peak="$peak" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    if (v["median_ms"] == "" || v["bytes"] == "") exit 1
    print v["median_ms"], v["bytes"], peak, v["type"], v["size"]
  }' <<<"$line"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
maximum() { sort -g | tail -n 1; }

declare -A MS KIB BYTES KIND
for round in $(seq 1 "$ROUNDS"); do
  for file in "${INPUTS[@]}"; do
    for tool in parley pillow; do
      log "round $round/$ROUNDS: $tool on $(basename "$file")"
      read -r ms bytes kib kind size < <(run "$tool" "$file") || { echo "$tool failed on $file" >&2; exit 1; }
      [ -n "${ms:-}" ] || { echo "$tool printed no timing for $file" >&2; exit 1; }
      key="$tool|$file"
      MS[$key]+="$ms "
      KIB[$key]+="$kib "
      BYTES[$key]="$bytes"
      KIND[$key]="$kind $size"
    done
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

{
  echo "Image preparation, $(nproc) cores, $ROUNDS rounds x $REPS repetitions (medians; peak RSS: maximum over rounds)"
  echo
  echo "| input | Parley ms | Pillow ms | ratio | Parley peak MiB | Pillow peak MiB | ratio | Parley output | Pillow output |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
  for file in "${INPUTS[@]}"; do
    p="parley|$file"
    q="pillow|$file"
    p_ms="$(tr ' ' '\n' <<<"${MS[$p]}" | grep . | median)"
    q_ms="$(tr ' ' '\n' <<<"${MS[$q]}" | grep . | median)"
    p_kib="$(tr ' ' '\n' <<<"${KIB[$p]}" | grep . | maximum)"
    q_kib="$(tr ' ' '\n' <<<"${KIB[$q]}" | grep . | maximum)"
    printf '| %s | %.1f | %.1f | %s | %s | %s | %s | %s B (%s) | %s B (%s) |\n' \
      "$(basename "$file")" "$p_ms" "$q_ms" "$(ratio "$p_ms" "$q_ms")" \
      "$(mib "$p_kib")" "$(mib "$q_kib")" "$(ratio "$p_kib" "$q_kib")" \
      "${BYTES[$p]}" "${KIND[$p]}" "${BYTES[$q]}" "${KIND[$q]}"
  done
} | tee "$OUT/results.md"
