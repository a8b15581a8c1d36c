#!/usr/bin/env python3
"""The Python baseline: load every artifact the way MLTK does, without mltk-lint.

For each file: ``csv.DictReader`` with ``csv.field_size_limit(2**30)`` (MLTK raises the limit
the same way), ``json.loads`` of the ``model`` and ``options`` cells, then every ndarray
payload in the model tree: ``numpy.load(io.BytesIO(base64.b64decode(s)), allow_pickle=False)``
for an ``npy`` record, ``numpy.load`` of the NPZ for a ``sparse_npy`` record (every member).
Prints the same counts as ``mltk-lint``'s benchmark mode: files, records, arrays.

Usage: .venv/bin/python bench/baseline.py FILE...
"""

import base64
import csv
import io
import json
import sys

import numpy as np


def payload_text(value):
    """The base64 text of an npy/sparse_npy value (a str, or a builtins.bytes record)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("str"), str):
        return value["str"]
    return None


def walk(node, counts):
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__mlspl_type" in node:
                counts["records"] += 1
            for key, value in node.items():
                if key == "npy":
                    text = payload_text(value)
                    if text is not None:
                        np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)
                        counts["arrays"] += 1
                        continue
                elif key == "sparse_npy":
                    text = payload_text(value)
                    if text is not None:
                        with np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False) as npz:
                            for name in npz.files:
                                npz[name]
                                counts["arrays"] += 1
                        continue
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def main(paths):
    csv.field_size_limit(2**30)
    counts = {"files": 0, "records": 0, "arrays": 0, "errors": 0}
    for path in paths:
        counts["files"] += 1
        try:
            with open(path, newline="") as f:
                row = next(csv.DictReader(f))
            model = json.loads(row["model"])
            json.loads(row["options"])
            walk(model, counts)
        except Exception:  # noqa: BLE001 - a broken artifact counts, like a finding
            counts["errors"] += 1
    print("files=%(files)d records=%(records)d arrays=%(arrays)d errors=%(errors)d" % counts)


if __name__ == "__main__":
    main(sys.argv[1:])
