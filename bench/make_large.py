#!/usr/bin/env python3
"""Generate large MLTK 5.7.4 artifacts for benchmarks (not committed).

Real scikit-learn models, encoded with the fixture script's re-implementation of MLTK's
``MLSPLEncoder`` and ``save_model`` (``fixtures/generate.py``, imported via importlib), at about
1, 10, 30 and 100 MB each:

* ``random_forest_<N>mb``: RandomForestClassifier, unpruned trees on noisy labels;
* ``mlp_<N>mb``: MLPClassifier with two wide hidden layers (coefs_ dominate);
* ``decision_tree_<N>mb``: one unpruned DecisionTreeRegressor.

GradientBoosting is not among them: MLTK 5.7.4 cannot save a GradientBoostingClassifier with the
pinned scikit-learn (see ``fixtures/valid/UNSAVEABLE.json``), so there is no real artifact of it.

Usage: .venv/bin/python bench/make_large.py [--out target/bench-data] [--sizes 1,10,30,100]
"""

import argparse
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

spec_ = importlib.util.spec_from_file_location("mltk_fixture_generate", REPO / "fixtures" / "generate.py")
gen = importlib.util.module_from_spec(spec_)
sys.modules["mltk_fixture_generate"] = gen
spec_.loader.exec_module(gen)

from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.tree import DecisionTreeRegressor  # noqa: E402

MB = 1_000_000


def noisy(n, cols, classes=True, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(np.round(rng.rand(n, len(cols)), 6), columns=list(cols))
    if classes:
        return X, gen.labels(rng.randint(0, 2, n), ["no", "yes"])
    return X, np.round(rng.rand(n), 6)


def forest(scale):
    trees = max(1, int(scale))
    return gen.Model(
        "random_forest", "RandomForestClassifier", "classifier",
        lambda: RandomForestClassifier(n_estimators=trees, random_state=0),
        lambda: noisy(8000, ("x1", "x2", "x3")),
        {"n_estimators": str(trees), "random_state": "0"},
    )


def mlp(scale):
    width = max(8, int(scale))
    return gen.Model(
        "mlp", "MLPClassifier", "classifier",
        lambda: MLPClassifier(hidden_layer_sizes=(width, width), max_iter=1, random_state=0),
        lambda: noisy(64, ["x%d" % i for i in range(16)]),
        {"hidden_layer_sizes": "%d,%d" % (width, width), "max_iter": "1", "random_state": "0"},
    )


def tree(scale):
    n = max(100, int(scale))
    return gen.Model(
        "decision_tree", "DecisionTreeRegressor", "regressor",
        lambda: DecisionTreeRegressor(random_state=0),
        lambda: noisy(n, ("x1", "x2"), classes=False),
        {"random_state": "0"},
    )


# kind -> (factory, probe scale, exponent: size grows as scale ** exponent)
KINDS = {
    "random_forest": (forest, 2, 1.0),
    "mlp": (mlp, 200, 2.0),
    "decision_tree": (tree, 20000, 1.0),
}


def build(spec, model):
    algo, text, options, _w, _facts = gen.build_artifact(spec, model)
    return gen.artifact_bytes(algo, text, options)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "target" / "bench-data")
    ap.add_argument("--sizes", default="1,10,30,100")
    ap.add_argument("--kinds", default=",".join(KINDS))
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    subset, _ = gen.load_spec(gen.DEFAULT_SPEC)
    spec = gen.Spec(subset)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    for kind in args.kinds.split(","):
        factory, probe, exponent = KINDS[kind]
        probe_size = len(build(spec, factory(probe)))
        for size in sizes:
            path = args.out / ("__mlspl_%s_%dmb.mlmodel" % (kind, size))
            if path.exists():
                print("exists  %s (%d bytes)" % (path, path.stat().st_size))
                continue
            scale = probe * (size * MB / probe_size) ** (1.0 / exponent)
            model = factory(scale)
            model.name = "%s_%dmb" % (kind, size)
            data = build(spec, model)
            path.write_bytes(data)
            print("wrote   %s (%d bytes)" % (path, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
