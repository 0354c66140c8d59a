#!/usr/bin/python3
"""Known answers for leadscore/train/logistic from scikit-learn.

Run from the repository root with Debian's python3-sklearn (1.2):

    /usr/bin/python3 train/logistic/testdata/lr_small.py

It writes, next to itself:
  lr_small.csv   200 rows: x0..x3 (roughly standardised) and y (0/1),
                 drawn from numpy RandomState(20261123); values printed with
                 17 significant digits so float64 round-trips exactly.
  lr_small.json  intercept and coefficients of
                 LogisticRegression(C, tol=1e-10, max_iter=10000) (L2) for
                 each case and two solvers, with 17 significant digits:
                 "lbfgs" (the default solver) and "newton-cholesky".

Why two solvers: in scikit-learn 1.2, lbfgs's tol is scipy's gtol, but scipy
also stops when the relative decrease of the objective falls below its
default ftol (about 2.2e-9). On this data lbfgs stops after ~10 iterations
with a largest gradient component of about 5e-4, about 1.6e-5 away from the
optimum. newton-cholesky converges to a gradient of about 1e-13, so it is
the reference for agreement to 1e-6; lbfgs is kept to show that a fit
agrees with the default sklearn settings to about 1e-4. "max_abs_grad" is
the largest component of the gradient of
sum(w * logloss) + L2/2 * ||coef||^2 at each solution.

Cases: C=1 unweighted; C=0.1 with sample_weight = 1 + (row % 3).
In leadscore's scaling L2 = 1/C (sum of losses + L2/2·||coef||²).
"""
import json
import os

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))


def g(x):
    return float(format(float(x), ".17g"))


def main():
    rng = np.random.RandomState(20261123)
    n, d = 200, 4
    X = rng.normal(size=(n, d))
    X[:, 1] = 0.6 * X[:, 0] + 0.8 * X[:, 1]  # correlated columns
    X[:, 3] = np.round(X[:, 3] > 0.3).astype(float) - 0.35  # a centred binary column
    beta = np.array([1.2, -0.8, 0.0, 0.9])
    z = -0.5 + X @ beta
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
    X = np.array([[g(v) for v in row] for row in X])

    with open(os.path.join(HERE, "lr_small.csv"), "w") as f:
        f.write("x0,x1,x2,x3,y\n")
        for row, label in zip(X, y):
            f.write(",".join(format(v, ".17g") for v in row) + ",%d\n" % label)

    cases = []
    for name, C, weighted in [("C=1", 1.0, False), ("C=0.1 weighted", 0.1, True)]:
        sw = (1 + np.arange(n) % 3).astype(float) if weighted else None
        case = {
            "name": name,
            "C": C,
            "l2": 1 / C,
            "weights": "1 + row % 3" if weighted else "none",
        }
        for solver in ["lbfgs", "newton-cholesky"]:
            m = LogisticRegression(C=C, tol=1e-10, max_iter=10000, solver=solver)
            m.fit(X, y, sample_weight=sw)
            b0, b = m.intercept_[0], m.coef_[0]
            w = np.ones(n) if sw is None else sw
            r = w * (1 / (1 + np.exp(-(b0 + X @ b))) - y)
            grad = np.concatenate([[r.sum()], X.T @ r + b / C])
            case[solver] = {
                "intercept": g(b0),
                "coef": [g(v) for v in b],
                "n_iter": int(m.n_iter_[0]),
                "max_abs_grad": float("%.3g" % np.abs(grad).max()),
            }
        cases.append(case)
    out = {
        "generator": "train/logistic/testdata/lr_small.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "settings": "LogisticRegression(C, tol=1e-10, max_iter=10000), L2 penalty",
        "cases": cases,
    }
    with open(os.path.join(HERE, "lr_small.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
