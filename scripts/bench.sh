#!/usr/bin/env bash
# Whole-process benchmarks: mltk-lint against the Python baseline (bench/baseline.py), pairwise
# in one run, on the same files. See docs/performance.md for the results and what they mean.
#
#   scripts/bench.sh            build release, generate large models if missing, run everything
#   BENCH_QUICK=1 scripts/bench.sh   fewer runs
#
# Needs: cargo, .venv (scripts/test.sh makes it), hyperfine (apt-get install hyperfine) or
# falls back to a timing loop, GNU time (/usr/bin/time) for peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release/mltk-lint
DATA=${BENCH_DATA:-$ROOT/target/bench-data}
CORPUS=${BENCH_CORPUS:-$ROOT/../shared/corpus}
RUNS=${BENCH_RUNS:-10}
[ -n "${BENCH_QUICK:-}" ] && RUNS=3

cargo build --release --quiet
[ -f "$DATA/__mlspl_random_forest_100mb.mlmodel" ] || "$PY" bench/make_large.py --out "$DATA"

lint() { "$BIN" --format json "$@" >/dev/null || [ $? -eq 1 ]; }
export -f lint
export BIN

# compare NAME CMD_A CMD_B: mean wall time of each, and the ratio B/A.
compare() {
    local name=$1 a=$2 b=$3
    echo "== $name"
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup 1 --runs "$RUNS" -i --export-json "$DATA/$name.json" \
            -n mltk-lint "$a" -n baseline "$b" | grep -E 'Time|±|faster' || true
    else
        for cmd in "$a" "$b"; do
            local start end
            start=$(date +%s.%N)
            for _ in $(seq "$RUNS"); do bash -c "$cmd" >/dev/null 2>&1 || true; done
            end=$(date +%s.%N)
            echo "  $(echo "($end - $start) / $RUNS" | bc -l | cut -c1-6) s  $cmd"
        done
    fi
}

# peak NAME CMD...: maximum resident set size in MB.
peak() {
    local name=$1; shift
    local kb
    kb=$( { /usr/bin/time -v "$@" >/dev/null || true; } 2>&1 | awk '/Maximum resident/ {print $6}')
    echo "  peak RSS $name: $((kb / 1024)) MB"
}

shopt -s nullglob
CORPUS_FILES=("$CORPUS"/*.mlmodel "$CORPUS"/*.csv)
if [ ${#CORPUS_FILES[@]} -gt 0 ]; then
    # (a) the whole corpus, both cores
    compare corpus "$BIN --format json ${CORPUS_FILES[*]}" "$PY bench/baseline.py ${CORPUS_FILES[*]}"
    peak "mltk-lint corpus" "$BIN" --format json "${CORPUS_FILES[@]}"
    peak "baseline corpus" "$PY" bench/baseline.py "${CORPUS_FILES[@]}"
fi

# (b) one 30 MB artifact on one core
for kind in random_forest mlp decision_tree; do
    f=$DATA/__mlspl_${kind}_30mb.mlmodel
    [ -f "$f" ] || continue
    echo "   $(basename "$f"): $(stat -c %s "$f") bytes"
    compare "one-30mb-$kind" "taskset -c 0 $BIN -j1 --format json $f" "taskset -c 0 $PY bench/baseline.py $f"
done

# (c) peak memory against the largest artifact, and cost per size (1..100 MB)
for f in "$DATA"/__mlspl_*mb.mlmodel; do
    echo "== $(basename "$f"): $(( $(stat -c %s "$f") / 1000000 )) MB"
    peak mltk-lint "$BIN" --format json "$f"
    peak baseline "$PY" bench/baseline.py "$f"
done

# (d) two cores against one on a directory of many files
MANY=$DATA/many
if [ ! -d "$MANY" ]; then
    mkdir -p "$MANY"
    for i in $(seq 40); do
        mkdir -p "$MANY/$i"
        cp fixtures/valid/*.mlmodel "$MANY/$i/"
        cp "$DATA"/__mlspl_*_1mb.mlmodel "$MANY/$i/"
    done
fi
echo "== many files: $(find "$MANY" -name '*.mlmodel' | wc -l) files, $(du -sh "$MANY" | cut -f1)"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 1 --runs "$RUNS" -i --export-json "$DATA/cores.json" \
        -n one-core "$BIN -j1 --format json $MANY" \
        -n two-cores "$BIN -j2 --format json $MANY" | grep -E 'Time|±|faster' || true
fi

# (e) cost against size, whole process, one core: mean wall time and MB/s per artifact
echo "== whole process, one core, by size (mean of $RUNS runs)"
printf '%-40s %8s %9s %9s\n' artifact MB ms 'MB/s'
for f in "$DATA"/__mlspl_*mb.mlmodel; do
    bytes=$(stat -c %s "$f")
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup 1 --runs "$RUNS" -i \
            --export-json "$DATA/size.json" "taskset -c 0 $BIN -j1 --format json $f" >/dev/null 2>&1
        mean=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$DATA/size.json")
        python3 -c 'import sys; n,b,m=sys.argv[1],int(sys.argv[2]),float(sys.argv[3]); print("%-40s %8.1f %9.1f %9.0f" % (n, b/1e6, m*1e3, b/1e6/m))' \
            "$(basename "$f")" "$bytes" "$mean"
    fi
done

# micro-benchmark of the decode pipeline per size
cargo bench --quiet --bench decode -- "$DATA" 2>/dev/null || true
