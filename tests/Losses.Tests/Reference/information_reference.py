#!/usr/bin/env python3
"""Generate information.json: reference values for InformationGain, from scikit-learn and SciPy.

Run with Debian's python3 (python3-sklearn, python3-scipy):
    /usr/bin/python3 information_reference.py
Writes information.json next to this script. The C# tests read only the JSON.

Cases:
- "mi_*": two labelings; mutual_info_score (nats) and normalized_mutual_info_score for each average_method.
- "ig_*": labels, categorical feature, optional sample weights; H(Y), H(Y|X), IG, split information H(X) and gain
  ratio, in bits, from scipy.stats.entropy(base=2) on the (weighted) contingency table.
- "stump_*": a numeric feature (float32-representable values, because scikit-learn trees work in float32), labels,
  optional weights; the threshold, left sample count and impurity decrease (bits) of the root split of
  DecisionTreeClassifier(criterion="entropy", max_depth=1). "split": false when the tree has no split.
"""
import json
import math
import os

import numpy as np
from scipy.stats import entropy
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score
from sklearn.tree import DecisionTreeClassifier

rng = np.random.default_rng(20261129)
cases = []


def ints(a):
    return [int(v) for v in a]


def floats(a):
    return [float(v) for v in a]


def mi_case(name, a, b):
    a, b = np.asarray(a), np.asarray(b)
    c = {"name": name, "labelsA": ints(a), "labelsB": ints(b), "mi": float(mutual_info_score(a, b))}
    for m in ("arithmetic", "geometric", "min", "max"):
        c["nmi_" + m] = float(normalized_mutual_info_score(a, b, average_method=m))
    cases.append(c)


def ig_case(name, y, x, w=None):
    y, x = np.asarray(y), np.asarray(x)
    weights = np.ones(len(y)) if w is None else np.asarray(w, dtype=np.float64)
    table = np.zeros((x.max() + 1, y.max() + 1))
    np.add.at(table, (x, y), weights)
    total = table.sum()
    hy = entropy(table.sum(axis=0), base=2)
    hx = entropy(table.sum(axis=1), base=2)
    rows = table.sum(axis=1)
    hyx = sum(rows[i] / total * entropy(table[i], base=2) for i in range(len(rows)) if rows[i] > 0)
    gain = hy - hyx
    c = {"name": name, "labels": ints(y), "feature": ints(x), "entropy": float(hy), "conditional": float(hyx),
         "gain": float(gain), "splitInformation": float(hx), "gainRatio": float(gain / hx) if hx > 0 else 0.0,
         "classCount": int(y.max() + 1), "table": floats(table.reshape(-1))}
    if w is not None:
        c["weights"] = floats(weights)
    else:
        # unweighted: IG in nats equals sklearn's mutual information
        assert abs(gain * math.log(2) - mutual_info_score(y, x)) < 1e-12
    cases.append(c)


def stump_case(name, x, y, w=None):
    x = np.asarray(x, dtype=np.float32).astype(np.float64)
    y = np.asarray(y)
    tree = DecisionTreeClassifier(criterion="entropy", max_depth=1, random_state=0)
    tree.fit(x.reshape(-1, 1), y, sample_weight=w)
    t = tree.tree_
    c = {"name": name, "feature": floats(x), "labels": ints(y), "split": bool(t.node_count > 1)}
    if w is not None:
        c["weights"] = floats(w)
    if t.node_count > 1:
        W = t.weighted_n_node_samples
        c["threshold"] = float(t.threshold[0])
        c["leftCount"] = int(t.n_node_samples[1])
        c["gain"] = float(t.impurity[0] - W[1] / W[0] * t.impurity[1] - W[2] / W[0] * t.impurity[2])
    cases.append(c)


# Mutual information between labelings.
for i, (n, ka, kb) in enumerate([(50, 3, 4), (200, 5, 2), (300, 8, 8), (1000, 10, 3)]):
    a = rng.integers(0, ka, n)
    b = np.where(rng.random(n) < 0.5, a % kb, rng.integers(0, kb, n))
    mi_case(f"mi_random_{i}", a, b)
mi_case("mi_identical", [0, 1, 2, 2, 1, 0, 3], [0, 1, 2, 2, 1, 0, 3])
mi_case("mi_relabelled", [0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 0, 0])
mi_case("mi_both_single", [2, 2, 2, 2], [0, 0, 0, 0])
mi_case("mi_one_single", [0, 0, 0, 0], [0, 1, 2, 3])
mi_case("mi_independent", [0, 0, 1, 1], [0, 1, 0, 1])

# Information gain of categorical features.
for i, (n, c, v) in enumerate([(40, 2, 3), (300, 3, 5), (500, 10, 7)]):
    y = rng.integers(0, c, n)
    x = np.where(rng.random(n) < 0.4, y % v, rng.integers(0, v, n))
    ig_case(f"ig_random_{i}", y, x)
    ig_case(f"ig_weighted_{i}", y, x, rng.random(n) * 3)
y = rng.integers(0, 4, 100)
ig_case("ig_constant_feature", y, np.zeros(100, dtype=int))
ig_case("ig_feature_is_label", y, y)
ig_case("ig_play_tennis", [0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0], [0, 0, 1, 2, 2, 2, 1, 0, 0, 2, 0, 1, 1, 2])

# Decision stumps on numeric features.
for i, (n, c) in enumerate([(30, 2), (200, 2), (500, 3), (1000, 10)]):
    y = rng.integers(0, c, n)
    x = rng.standard_normal(n) + 0.7 * y
    stump_case(f"stump_random_{i}", x, y)
    stump_case(f"stump_weighted_{i}", x, y, rng.random(n) * 2 + 0.1)
y = rng.integers(0, 3, 300)
stump_case("stump_ties", rng.integers(0, 10, 300) + y, y)
stump_case("stump_constant", np.full(50, 1.5), rng.integers(0, 2, 50))
y = rng.integers(0, 2, 100)
stump_case("stump_feature_is_label", y.astype(np.float64), y)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "information.json")
with open(path, "w") as f:
    json.dump({"generator": "information_reference.py (scikit-learn %s)" % __import__("sklearn").__version__, "cases": cases}, f)
print(path, len(cases), "cases")
