#!/usr/bin/python3
"""Reference metrics for report's known-answer test (report/sklearn_test.go).

Writes sk_fixture.csv (probability,label; 2000 rows, deterministic) and
sk_metrics.json with scikit-learn's figures for it. Run from this directory
with Debian's interpreter and python3-sklearn:

    /usr/bin/python3 sk_metrics.py

Probabilities have 3 decimals, so there are many ties (AUC counts them as one
half, average precision takes tied scores together). No probability lies on a
multiple of 0.1: the reliability bins of sklearn's calibration_curve put an
edge value in the lower bin, eval puts it in the upper one.
"""
import csv
import json

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (average_precision_score, brier_score_loss,
                             log_loss, roc_auc_score)

rng = np.random.RandomState(20261123)
n = 2000
z = rng.normal(0.0, 1.3, n)
truth = 1 / (1 + np.exp(-(z - 1.4)))
y = (rng.uniform(size=n) < truth).astype(int)
p = 1 / (1 + np.exp(-(z + rng.normal(0.0, 0.7, n) - 1.1)))
p = np.round(p, 3)
edge = np.isclose(p * 10, np.round(p * 10))
p[edge] += 0.001
p = np.clip(p, 0.001, 0.999)

with open("sk_fixture.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["probability", "label"])
    for pi, yi in zip(p, y):
        w.writerow(["%.3f" % pi, int(yi)])

# Read back what was written, so the figures are for the file's values.
p = np.array([float(r["probability"]) for r in csv.DictReader(open("sk_fixture.csv"))])

prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
bins = np.linspace(0.0, 1.0, 11)
ids = np.searchsorted(bins[1:-1], p)
counts = np.bincount(ids, minlength=10)
counts = counts[counts > 0]
ece = float(np.sum(counts / n * np.abs(prob_true - prob_pred)))

out = {
    "sklearn_version": sklearn.__version__,
    "n": n,
    "positives": int(y.sum()),
    "roc_auc": roc_auc_score(y, p),
    "average_precision": average_precision_score(y, p),
    "brier": brier_score_loss(y, p),
    "log_loss": log_loss(y, p),
    "ece_10_uniform": ece,
    "mean_pred": float(p.mean()),
    "calibration_prob_true": prob_true.tolist(),
    "calibration_prob_pred": prob_pred.tolist(),
    "calibration_counts": counts.tolist(),
}
with open("sk_metrics.json", "w") as f:
    json.dump(out, f, indent=2, sort_keys=True)
    f.write("\n")
