#!/usr/bin/env python3
"""Peer timing for BenchmarkTrain1Mx40: train scikit-learn's
HistGradientBoostingClassifier (and xgboost hist, if importable) on the
same synthetic rows as the Go benchmark, and print wall time, CPU time
and peak RSS.

    go run ./train/gbdt/internal/gensynth -rows 1000000 -seed 1 -o /tmp/synth.bin
    OMP_WAIT_POLICY=PASSIVE python3 train/gbdt/testdata/peers_bench.py /tmp/synth.bin

The file format is gbdttest.WriteBinary: b"GBDTSYN1", rows and cols
(little-endian int64), one byte per column (1 = categorical), X row-major
and y as little-endian float64 (NaN = missing).

Settings mirror the Go benchmark: 100 rounds, learning rate 0.1, no early
stopping, 255 bins; HGB grows 31 leaves, xgboost depth 6; categoricals
native. Peak RSS includes the ~0.33 GB of loaded data.
"""
import resource
import sys
import time

import numpy as np


def load(path):
    with open(path, "rb") as f:
        if f.read(8) != b"GBDTSYN1":
            sys.exit(f"{path}: not a gbdttest.WriteBinary file")
        rows, cols = np.frombuffer(f.read(16), dtype="<i8")
        cat = np.frombuffer(f.read(int(cols)), dtype=np.uint8).astype(bool)
        X = np.fromfile(f, dtype="<f8", count=int(rows * cols)).reshape(int(rows), int(cols))
        y = np.fromfile(f, dtype="<f8", count=int(rows))
    return X, y, cat


def report(name, wall, cpu, auc):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    print(f"{name}: train {wall:.2f} s wall, {cpu:.2f} s CPU, train AUC {auc:.4f}, peak RSS so far {rss:.2f} GiB", flush=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: peers_bench.py FILE   (FILE from go run ./train/gbdt/internal/gensynth)")
    X, y, cat = load(sys.argv[1])
    print(f"loaded {X.shape[0]} x {X.shape[1]}, {cat.sum()} categorical, positive rate {y.mean():.4f}", flush=True)
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    m = HistGradientBoostingClassifier(learning_rate=0.1, max_iter=100, max_leaf_nodes=31, max_bins=255,
                                       early_stopping=False, categorical_features=cat, random_state=0)
    t0, c0 = time.perf_counter(), time.process_time()
    m.fit(X, y)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    report("sklearn-hgb 31 leaves", wall, cpu, roc_auc_score(y, m.predict_proba(X)[:, 1]))

    try:
        import xgboost as xgb
    except ImportError:
        print("xgboost not importable; skipped", flush=True)
        return
    t0, c0 = time.perf_counter(), time.process_time()
    d = xgb.DMatrix(X, label=y, feature_types=["c" if c else "q" for c in cat], enable_categorical=True)
    b = xgb.train({"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 256, "objective": "binary:logistic",
                   "base_score": float(y.mean()), "nthread": 2}, d, num_boost_round=100)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    report("xgboost-hist depth 6", wall, cpu, roc_auc_score(y, b.predict(d)))


if __name__ == "__main__":
    main()
