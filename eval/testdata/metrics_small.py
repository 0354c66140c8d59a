#!/usr/bin/python3
"""Known answers for leadscore/eval from scikit-learn.

Run with Debian's python3-sklearn (not a virtualenv):

    /usr/bin/python3 eval/testdata/metrics_small.py > eval/testdata/metrics_small.json

The cases are fixed literals (no randomness) and include tied scores,
a single positive, and probabilities at 0 and 1. Numbers are printed with
17 significant digits so that float64 round-trips exactly.
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import (average_precision_score, brier_score_loss,
                             log_loss, roc_auc_score)

CASES = [
    ("distinct", [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.2, 0.1, 0.05],
     [1, 1, 0, 1, 0, 0, 1, 0, 0, 0]),
    ("ties", [0.8, 0.8, 0.8, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.1, 0.1, 0.9],
     [1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1]),
    ("all_tied", [0.4, 0.4, 0.4, 0.4, 0.4], [1, 0, 0, 1, 0]),
    ("one_positive", [0.2, 0.6, 0.1, 0.35, 0.7, 0.05, 0.5], [0, 0, 0, 1, 0, 0, 0]),
    ("extremes", [0.0, 1.0, 0.999, 0.001, 0.5, 0.25, 0.75, 1.0],
     [0, 1, 1, 0, 1, 0, 1, 0]),
    ("reversed", [0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9],
     [1, 1, 1, 0, 1, 0, 0, 0, 0]),
]


def g(x):
    return float(format(float(x), ".17g"))


def main():
    out = {
        "generator": "eval/testdata/metrics_small.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "note": "log_loss uses eps=1e-15 explicitly (sklearn 1.2 default 'auto' is dtype eps)",
        "cases": [],
    }
    for name, p, y in CASES:
        p = np.asarray(p, dtype=np.float64)
        y = np.asarray(y, dtype=np.int64)
        out["cases"].append({
            "name": name,
            "p": [g(v) for v in p],
            "y": [bool(v) for v in y],
            "roc_auc": g(roc_auc_score(y, p)),
            "average_precision": g(average_precision_score(y, p)),
            "log_loss": g(log_loss(y, p, eps=1e-15)),
            "brier": g(brier_score_loss(y, p)),
        })
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
