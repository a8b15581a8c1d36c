#!/usr/bin/env bash
# Run the release binary on every hostile input (tests/hostile/ plus generated large ones)
# under /usr/bin/time -v and print peak RSS and wall time (docs/robustness.md has the table).
#
#   scripts/measure-hostile.sh            # builds target/release/mltk-lint first
#   MLTK_LINT_BIN=path/to/mltk-lint scripts/measure-hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (apt-get install time)" >&2
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y time >/dev/null 2>&1 || sudo apt-get install -y time >/dev/null 2>&1) || true
  fi
  [ -x /usr/bin/time ] || { echo "error: /usr/bin/time is not available" >&2; exit 1; }
fi

BIN="${MLTK_LINT_BIN:-}"
if [ -z "$BIN" ]; then
  cargo build --release --quiet
  BIN="${CARGO_TARGET_DIR:-target}/release/mltk-lint"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK" <<'PY'
import sys
from pathlib import Path
w = Path(sys.argv[1])
d = 100_000
(w / "__mlspl_deep_json.mlmodel").write_bytes(
    b"algo,model,options\r\nLinearRegression," + b"[" * d + b"]" * d + b",{}\r\n")
with open(w / "__mlspl_line_100mb.mlmodel", "wb") as f:
    f.write(b"algo,model,options\r\nLinearRegression,")
    chunk = b"A" * (1 << 20)
    left = 100_000_000
    while left:
        n = min(left, len(chunk)); f.write(chunk[:n]); left -= n
    f.write(b",{}\r\n")
# 100 MB of JSON: one long string inside a valid model cell
with open(w / "__mlspl_json_string_100mb.mlmodel", "wb") as f:
    f.write(b'algo,model,options\r\nLinearRegression,"{""a"": ""')
    left = 100_000_000
    while left:
        n = min(left, len(chunk)); f.write(chunk[:n]); left -= n
    f.write(b'""}",{}\r\n')
data = b"\x80\x02]" + b"2\x86" * 100_000 + b"."
(w / "bomb.pkl").write_bytes(data)
PY
mkdir -p "$WORK/loop/lookups"
cp tests/hostile/__mlspl_pickle_reduce.mlmodel "$WORK/loop/lookups/"
ln -s "$WORK/loop" "$WORK/loop/lookups/back"

printf '%-40s %12s %10s %8s %6s\n' input bytes peak_KiB wall_s exit
for f in tests/hostile/*.mlmodel tests/hostile/*.pkl tests/hostile/*.joblib \
         "$WORK"/*.mlmodel "$WORK"/bomb.pkl "$WORK/loop"; do
  [ -e "$f" ] || continue
  size=$(du -sb "$f" | cut -f1)
  set +e
  /usr/bin/time -v "$BIN" --format json "$f" >/dev/null 2>"$WORK/time.txt"
  code=$?
  set -e
  peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")
  secs=$(python3 -c "import sys; p=sys.argv[1].split(':'); print('%.2f' % sum(float(x)*60**i for i,x in enumerate(reversed(p))))" "$wall")
  status=$(sed -n 's/.*Exit status: //p' "$WORK/time.txt")
  printf '%-40s %12s %10s %8s %6s\n' "$(basename "$f")" "$size" "$peak" "$secs" "${status:-$code}"
done
