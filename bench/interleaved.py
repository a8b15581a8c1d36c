"""Whole-process A/B timing of two or more mltk-lint builds, interleaved.

hyperfine runs all of one command, then all of the next, so a drift in the machine (a
virtual machine's neighbours, page-cache state) lands on one side. This runs the builds
alternately, reversing the order every round, and prints the median and quartiles of each.

    python3 bench/interleaved.py OLD_BINARY NEW_BINARY [--rounds 200] [-- ARGS...]

ARGS are passed to every build (default: `--format json` and the corpus files).
"""

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    argv = sys.argv[1:]
    args = argv[argv.index("--") + 1 :] if "--" in argv else []
    ours = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args(ours)
    if not args:
        corpus = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus")
        files = sorted(glob.glob(os.path.join(corpus, "*.mlmodel")))
        files += sorted(glob.glob(os.path.join(corpus, "*.csv")))
        args = ["--format", "json", *files]
    times = {b: [] for b in options.binaries}
    with open(os.devnull, "w") as devnull:
        for round_ in range(options.rounds):
            order = options.binaries if round_ % 2 == 0 else options.binaries[::-1]
            for binary in order:
                start = time.perf_counter()
                subprocess.run([binary, *args], stdout=devnull, stderr=devnull, check=False)
                times[binary].append(time.perf_counter() - start)
    for binary, samples in times.items():
        samples.sort()
        n = len(samples)
        print(
            f"{binary}: median {statistics.median(samples) * 1e3:.2f} ms, "
            f"quartiles {samples[n // 4] * 1e3:.2f}-{samples[3 * n // 4] * 1e3:.2f} ms, "
            f"min {samples[0] * 1e3:.2f} ms ({n} runs)"
        )


if __name__ == "__main__":
    main()
