#!/usr/bin/env bash
# Seed the fuzz corpora from the fixtures (fuzz/corpus is gitignored) and run every cargo-fuzz
# target for SECONDS each (default 300). Needs `cargo install cargo-fuzz`; works on stable
# through RUSTC_BOOTSTRAP=1 (or use a nightly toolchain).
#
#   scripts/fuzz.sh            # all targets, 300 s each
#   scripts/fuzz.sh 60 npy     # one target, 60 s
#   FUZZ_JOBS=2 scripts/fuzz.sh 1200 model_cell npy   # two targets at once, one per core
#   FUZZ_PLATEAU=600 scripts/fuzz.sh 7200   # each until 600 s pass with no new coverage
#   FUZZ_REPLAY=1 scripts/fuzz.sh          # every corpus input once, under AddressSanitizer
#
# Exploration runs without a sanitizer (FUZZ_SANITIZER=none): the crate forbids `unsafe`
# (`unsafe_code = "forbid"` in Cargo.toml), so AddressSanitizer would check only the
# dependencies, and it costs the whole-pipeline targets three to five times their speed.
# Overflow checks and the other debug assertions are on (`-a`). FUZZ_REPLAY=1 then runs
# every input the exploration kept through a separate AddressSanitizer build, so the
# dependencies' unsafe code still meets each input that reached new code.
set -euo pipefail
cd "$(dirname "$0")/.."
# The first argument is the seconds only if it is a number: `FUZZ_REPLAY=1 scripts/fuzz.sh npy`
# used to take `npy` for the seconds and replay nothing.
SECONDS_EACH=300
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  SECONDS_EACH=$1
  shift
fi
# Per-input wall-clock limit. libFuzzer measures it in wall-clock time, so a paused or
# heavily shared machine can report a spurious timeout: raise it there.
UNIT_TIMEOUT="${FUZZ_TIMEOUT:-10}"
FUZZ_JOBS="${FUZZ_JOBS:-1}"
# Longest input libFuzzer makes. 64 KiB keeps the whole-pipeline targets (lint, inspect) at
# hundreds of executions per second; scaling with size is tested separately
# (tests/hostile.rs generates the large inputs, scripts/measure-hostile.sh times them).
MAX_LEN="${FUZZ_MAX_LEN:-65536}"
SANITIZER="${FUZZ_SANITIZER:-none}"
REPLAY="${FUZZ_REPLAY:-}"
[ -n "$REPLAY" ] && SANITIZER=address
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(csv_framing model_cell npy npz pickle options lint inspect)

python3 - <<'PY'
import base64, csv, io, json, re
from pathlib import Path
root = Path(".")
corpus = root / "fuzz/corpus"
def put(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)
files = sorted((root / "fixtures").rglob("*.mlmodel")) + sorted((root / "tests/hostile").glob("*.mlmodel"))
# The shared corpus of real artifacts, when this machine has it: seeds only, never committed.
shared = root / "../shared/corpus"
if shared.is_dir():
    files += sorted(shared.glob("*.mlmodel")) + sorted(shared.glob("*.csv"))
for i, f in enumerate(files):
    raw = f.read_bytes()
    put("csv_framing", "f%03d" % i, raw)
    put("lint", "f%03d" % i, raw)
    put("inspect", "f%03d" % i, raw)
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
        _, model, options = rows[1][:3]
    except Exception:
        continue
    put("model_cell", "f%03d" % i, model.encode())
    put("options", "f%03d" % i, options.encode())
    for j, m in enumerate(re.findall(r'"(?:npy|str)": "([A-Za-z0-9+/=]{8,})"', model)):
        try:
            b = base64.b64decode(m)
        except Exception:
            continue
        if b.startswith(b"\x93NUMPY"):
            put("npy", "f%03d_%d" % (i, j), b)
        elif b.startswith(b"PK"):
            put("npz", "f%03d_%d" % (i, j), b)
for i, f in enumerate(sorted((root / "tests/hostile").glob("*.pkl")) + sorted((root / "tests/hostile").glob("*.joblib"))):
    put("pickle", "p%03d" % i, f.read_bytes())

# Dictionaries for the JSON targets: every short string the seeds' cells hold (codec record
# keys, module and class names, option names) and the NPY header and pickle tokens the
# decoders look for, base64 forms included, so mutations reach a codec record's branches
# without guessing its key byte by byte. libFuzzer's own comparison tracing finds some of
# these too, one at a time.
def dict_file(target, tokens):
    out = root / "target/fuzz-dicts"
    out.mkdir(parents=True, exist_ok=True)
    def esc(t):
        return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "\\x%02x" % ord(c) for c in t)
    lines = ['"%s"' % esc(t) for t in sorted(set(tokens)) if 0 < len(t) <= 64 and all(ord(c) < 256 for c in t)]
    (out / (target + ".dict")).write_text("\n".join(lines) + "\n")
strings = {"model_cell": set(), "options": set()}
for target in strings:
    for seed in (corpus / target).glob("f[0-9][0-9][0-9]"):
        try:
            todo = [json.loads(seed.read_bytes())]
        except (ValueError, RecursionError):  # the hostile seeds: 100k-deep nesting
            continue
        while todo:
            v = todo.pop()
            if isinstance(v, dict):
                # A codec record's keys, its type and its attribute names: not the keys of
                # plain dicts inside it (a TF-IDF vocabulary would bury the rest).
                if target == "options" or "__mlspl_type" in v or "dict" in v:
                    strings[target].update(v)
                    for name in v.get("__mlspl_type", []) if target == "model_cell" else []:
                        strings[target].add(str(name))
                    if isinstance(v.get("dict"), dict):
                        strings[target].update(v["dict"])
                todo.extend(v.values())
            elif isinstance(v, list):
                todo.extend(v)
npy = ["\x93NUMPY\x01\x00", "\x93NUMPY\x02\x00", "\x93NUMPY\x03\x00", "{'descr': '", "'fortran_order': False, ",
       "'fortran_order': True, ", "'shape': (", "), }", "<f8", "<i8", "|b1", "<U", "|O", "|S", "|V", ">f4", "<c16", "[('"]
pickle = ["(dp0\n", "(lp0\n", "S'", "'\np1\n", "I1\n", "F0.5\n", "c__builtin__\nset\n", "cnumpy\nndarray\n",
          "g0\n", "p0\n", "tp1\n", "sb.", "R.", "\n.", "\x80\x02", "\x80\x04\x95", "\x80\x05\x95"]
binary = npy[:3] + ["\x80\x02", "\x80\x04\x95", "PK\x03\x04"]
b64 = [base64.b64encode(t.encode("latin-1")).decode().rstrip("=")[:-1] for t in binary]
b64 += [base64.b64encode(("\x93NUMPY\x01\x00v\x00{'descr': '" + d).encode("latin-1")).decode()[:40] for d in ("<f8", "<i8", "|b1", "<U")]
dict_file("model_cell", strings["model_cell"] | set(npy) | set(pickle) | set(b64))
dict_file("options", strings["options"])
PY

# Full libFuzzer output goes to target/fuzz-logs/<target>.log, each line prefixed with the
# fuzzer's CPU seconds so far (user + system, from /proc), so "when was new coverage last
# found" can be read off it. CPU time, not wall time: a fuzzer at nice 19 on a machine that
# also builds, or one paused with SIGSTOP, is not fuzzing, and must not reach a plateau by
# waiting. With FUZZ_PLATEAU=P a target stops early once it has spent P CPU seconds without
# its edge coverage (libFuzzer's `cov:`) growing: the "ran until it stopped finding coverage"
# criterion docs/robustness.md reports. SECONDS stays the cap, in wall time.
PLATEAU="${FUZZ_PLATEAU:-0}"
CLK_TCK=$(getconf CLK_TCK)
LOGS="$PWD/target/fuzz-logs"
mkdir -p "$LOGS"
cd fuzz
# Build first so compile time does not count against the first target. Each sanitizer has
# its own target directory, so switching does not rebuild the other.
TARGET_DIR="$PWD/target-$SANITIZER"
RUSTC_BOOTSTRAP=1 cargo fuzz build -a -s "$SANITIZER" --target-dir "$TARGET_DIR"
BIN_DIR="$TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"
if [ -n "$REPLAY" ]; then
  # -runs=0: load (and so execute) every corpus input, mutate nothing.
  for t in "${TARGETS[@]}"; do
    echo "== replay $t: $(ls "corpus/$t" | wc -l) inputs under AddressSanitizer"
    "$BIN_DIR/$t" "corpus/$t" -runs=0 -rss_limit_mb=2048 -timeout="$UNIT_TIMEOUT" \
      -max_len="$MAX_LEN" 2>&1 | grep -E "INITED|DONE|ERROR|SUMMARY|panicked|Test unit" || true
  done
  exit 0
fi
run_target() {
  local t=$1 start=$SECONDS line now=0 cov=0 c cov_at=0 stopped="" fifo fpid last_new stat
  mkdir -p "artifacts/$t"
  local dict=()
  [ -f "$LOGS/../fuzz-dicts/$t.dict" ] && dict=(-dict="$LOGS/../fuzz-dicts/$t.dict")
  fifo="$LOGS/$t.fifo"
  rm -f "$fifo" && mkfifo "$fifo"
  "$BIN_DIR/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout="$UNIT_TIMEOUT" -max_len="$MAX_LEN" \
    -print_final_stats=1 "${dict[@]}" >"$fifo" 2>&1 &
  fpid=$!
  # read -t: check the plateau even while libFuzzer prints nothing (its pulses grow rare).
  while true; do
    # Fields 14 and 15 of /proc/PID/stat: user and system time in clock ticks (the command
    # name, field 2, has no space here). Once the fuzzer is gone, `now` keeps its last value.
    if read -r -a stat 2>/dev/null <"/proc/$fpid/stat"; then
      now=$(((stat[13] + stat[14]) / CLK_TCK))
    fi
    if IFS= read -r -t 10 line; then
      printf '%d %s\n' "$now" "$line"
      if [[ $line =~ cov:\ ([0-9]+) ]]; then
        c=${BASH_REMATCH[1]}
        if [ "$c" -gt "$cov" ]; then cov=$c; cov_at=$now; fi
      fi
    elif [ $? -le 128 ]; then
      break # the fuzzer exited
    fi
    if [ "$PLATEAU" -gt 0 ] && [ -z "$stopped" ] && [ "$cov" -gt 0 ] \
      && [ $((now - cov_at)) -ge "$PLATEAU" ]; then
      stopped="plateau: cov $cov unchanged since CPU second $cov_at"
      echo "$now mltk-lint fuzz.sh: $stopped, stopping"
      kill -INT "$fpid" 2>/dev/null || true
    fi
  done <"$fifo" >"$LOGS/$t.log"
  wait "$fpid" || true
  rm -f "$fifo"
  # Otherwise libFuzzer ended the run itself: the cap, a finding (see the log) or a signal.
  : "${stopped:=libFuzzer (time cap or a finding)}"
  {
    echo "== $t (cap ${SECONDS_EACH}s, ran $((SECONDS - start))s wall, ${now}s CPU, stopped by $stopped)"
    grep -E "^[0-9]+ (#[0-9]+ *DONE|stat::|Done|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" "$LOGS/$t.log" || true
    # Coverage at the start and the end, and the last line that added features (NEW) or
    # shrank a unit (REDUCE): libFuzzer separates the count and the event by a tab.
    grep -E "^[0-9]+ #[0-9]+[[:space:]]+INITED" "$LOGS/$t.log" | head -1 | sed 's/^/start: /' || true
    echo "last cov increase at CPU second $cov_at: cov $cov"
    last_new=$(grep -E "^[0-9]+ #[0-9]+[[:space:]]+(NEW|REDUCE)" "$LOGS/$t.log" | tail -1 || true)
    echo "last new feature or reduction at CPU second ${last_new%% *}: ${last_new#* }"
  } > "$LOGS/$t.summary"
  cat "$LOGS/$t.summary"
}
# FUZZ_JOBS targets run side by side (one per core is the useful maximum).
for t in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$FUZZ_JOBS" ]; do wait -n || true; done
  run_target "$t" &
done
wait
