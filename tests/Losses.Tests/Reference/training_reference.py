#!/usr/bin/env python3
"""Generate training.json: reference losses and gradients for the training losses (cross-entropy with integer and
soft targets, NLL, binary cross-entropy from probabilities and from logits, kl_div, MSE / Huber / smooth-L1 and
torchvision's sigmoid focal loss), computed with PyTorch 1.13 and autograd.

Run with Debian's python3 (which has python3-torch and python3-torchvision):
    /usr/bin/python3 training_reference.py
Writes training.json next to this script. The C# tests read only the JSON.

Each case holds the inputs, the options, and for each reduction: lossNone (per row or per element), lossSum, lossMean
(lossBatchMean for kl_div) and the gradients gradSum (= the per-row gradients of reduction none) and gradMean.
Finite numbers are JSON numbers (float32 widened exactly); non-finite ones are the strings "Infinity", "-Infinity", "NaN".
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

SEED = 4321
rng = np.random.default_rng(SEED)
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def enc_list(t):
    return [enc(v) for v in t.detach().reshape(-1).tolist()]


def run(fn, x, reductions=("none", "sum", "mean")):
    out = {}
    for red in reductions:
        xg = x.clone().requires_grad_(True)
        loss = fn(xg, red)
        key = {"none": "None", "sum": "Sum", "mean": "Mean", "batchmean": "BatchMean"}[red]
        if red == "none":
            out["lossNone"] = enc_list(loss)
            loss = loss.sum()
            loss.backward()
            out["gradNone"] = enc_list(xg.grad)
        else:
            out["loss" + key] = enc(loss.item())
            loss.backward()
            out["grad" + key] = enc_list(xg.grad)
    return out


cases = []


def add(name, kind, dtype, x, classes, fn, extra, reductions=("none", "sum", "mean")):
    t = torch.tensor(x, dtype=DTYPES[dtype])
    case = {"name": f"{kind}/{name}/{dtype}", "kind": kind, "dtype": dtype, "classCount": classes, "x": enc_list(t)}
    case.update(extra)
    case.update(run(lambda xg, red: fn(xg.reshape(-1, classes) if classes > 0 else xg, red), t, reductions))
    cases.append(case)


def logits(rows, classes, scale=3.0):
    return (rng.standard_normal((rows, classes)) * scale).reshape(-1)


# ---------------------------------------------------------------- cross-entropy, integer targets
def ce_int(name, x, targets, classes, weight=None, ignore=-100, smoothing=0.0, dtypes=("float32", "float64")):
    for dt in dtypes:
        w = None if weight is None else torch.tensor(weight, dtype=DTYPES[dt])
        tg = torch.tensor(targets, dtype=torch.long)
        extra = {"targets": list(targets), "ignoreIndex": ignore, "labelSmoothing": smoothing}
        if weight is not None:
            extra["weight"] = enc_list(w)
        add(name, "ce", dt, x, classes,
            lambda xg, red: F.cross_entropy(xg, tg, weight=w, ignore_index=ignore, reduction=red, label_smoothing=smoothing),
            extra)


for rows, classes in [(1, 1), (3, 5), (7, 17), (4, 40)]:
    x = logits(rows, classes)
    tg = rng.integers(0, classes, rows).tolist()
    w = rng.uniform(0.1, 2.0, classes).tolist()
    for s in (0.0, 0.1):
        ce_int(f"{rows}x{classes}/s{s}", x, tg, classes, smoothing=s)
        ce_int(f"{rows}x{classes}/weighted/s{s}", x, tg, classes, weight=w, smoothing=s)
        ig = list(tg)
        ig[0] = -1
        ce_int(f"{rows}x{classes}/ignore/s{s}", x, ig, classes, ignore=-1, smoothing=s)
        ce_int(f"{rows}x{classes}/weighted-ignore/s{s}", x, ig, classes, weight=w, ignore=-1, smoothing=s)
x = logits(3, 4)
for s in (0.0, 0.2):
    ce_int(f"all-ignored/s{s}", x, [-100, -100, -100], 4, smoothing=s)
    ce_int(f"all-ignored-weighted/s{s}", x, [-100, -100, -100], 4, weight=[1.0, 2.0, 0.5, 1.0], smoothing=s)
    ce_int(f"zero-weights/s{s}", x, [0, 1, 1], 4, weight=[0.0, 0.0, 1.0, 1.0], smoothing=s)
    ce_int(f"some-zero-weight/s{s}", x, [0, 2, 1], 4, weight=[0.0, 1.0, 1.0, 1.0], smoothing=s)
    x_inf = np.array([0.5, -np.inf, 2.0, -1.0, -np.inf, 1.0, 3.0, 0.0, 1.0, 2.0, -np.inf, 0.0])
    ce_int(f"neg-inf/s{s}", x_inf, [0, 2, 3], 4, smoothing=s)
    ce_int(f"neg-inf-target/s{s}", x_inf, [1, 2, 3], 4, smoothing=s)
    x_big = np.array([1e4, -1e4, 0.0, 5.0, -1e4, 1e4, 1e4, 3.0, 9999.0, 1e4, -1e4, 2.0])
    ce_int(f"big/s{s}", x_big, [0, 1, 3], 4, smoothing=s)
    ce_int(f"big-weighted/s{s}", x_big, [0, 1, 3], 4, weight=[1.0, 2.0, 0.5, 1.5], smoothing=s)


# ---------------------------------------------------------------- cross-entropy, soft targets
def ce_soft(name, x, probs, classes, weight=None, smoothing=0.0):
    for dt in ("float32", "float64"):
        w = None if weight is None else torch.tensor(weight, dtype=DTYPES[dt])
        p = torch.tensor(probs, dtype=DTYPES[dt]).reshape(-1, classes)
        extra = {"probabilities": enc_list(p), "labelSmoothing": smoothing}
        if weight is not None:
            extra["weight"] = enc_list(w)
        add(name, "ce-soft", dt, x, classes,
            lambda xg, red: F.cross_entropy(xg, p, weight=w, reduction=red, label_smoothing=smoothing), extra)


for rows, classes in [(1, 1), (3, 5), (5, 19)]:
    x = logits(rows, classes)
    p = rng.dirichlet(np.ones(classes), rows).reshape(-1)
    w = rng.uniform(0.1, 2.0, classes).tolist()
    for s in (0.0, 0.15):
        ce_soft(f"{rows}x{classes}/s{s}", x, p, classes, smoothing=s)
        ce_soft(f"{rows}x{classes}/weighted/s{s}", x, p, classes, weight=w, smoothing=s)
ce_soft("big", np.array([1e4, -1e4, 0.0, 1e4]), np.array([0.25, 0.25, 0.5, 0.0]), 4)


# ---------------------------------------------------------------- nll
for rows, classes in [(3, 5), (6, 11)]:
    lp = torch.log_softmax(torch.tensor(logits(rows, classes)).reshape(rows, classes), 1).reshape(-1).numpy()
    tg = rng.integers(0, classes, rows).tolist()
    tg[1] = 7 if classes > 7 else -100
    w = rng.uniform(0.1, 2.0, classes).tolist()
    for weight in (None, w):
        for dt in ("float32", "float64"):
            wt = None if weight is None else torch.tensor(weight, dtype=DTYPES[dt])
            ig = -100 if classes <= 7 else 7
            extra = {"targets": tg, "ignoreIndex": ig}
            if weight is not None:
                extra["weight"] = enc_list(wt)
            add(f"{rows}x{classes}/{'w' if weight else 'u'}", "nll", dt, lp, classes,
                lambda xg, red: F.nll_loss(xg, torch.tensor(tg), weight=wt, ignore_index=ig, reduction=red), extra)


# ---------------------------------------------------------------- binary cross-entropy
def bce(name, probs, y, classes, weight=None):
    for dt in ("float32", "float64"):
        yt = torch.tensor(y, dtype=DTYPES[dt]).reshape(-1, classes)
        w = None if weight is None else torch.tensor(weight, dtype=DTYPES[dt]).reshape(-1, classes)
        extra = {"targets": enc_list(yt)}
        if weight is not None:
            extra["weight"] = enc_list(w)
        add(name, "bce", dt, probs, classes, lambda xg, red: F.binary_cross_entropy(xg, yt, weight=w, reduction=red), extra)


def bce_logits(name, x, y, classes, weight=None, pos_weight=None):
    for dt in ("float32", "float64"):
        yt = torch.tensor(y, dtype=DTYPES[dt]).reshape(-1, classes)
        w = None if weight is None else torch.tensor(weight, dtype=DTYPES[dt]).reshape(-1, classes)
        pw = None if pos_weight is None else torch.tensor(pos_weight, dtype=DTYPES[dt])
        extra = {"targets": enc_list(yt)}
        if weight is not None:
            extra["weight"] = enc_list(w)
        if pos_weight is not None:
            extra["posWeight"] = enc_list(pw)
        add(name, "bce-logits", dt, x, classes,
            lambda xg, red: F.binary_cross_entropy_with_logits(xg, yt, weight=w, pos_weight=pw, reduction=red), extra)


for rows, classes in [(1, 1), (4, 3), (5, 37)]:
    n = rows * classes
    x = logits(rows, classes)
    y = rng.uniform(0, 1, n)
    y[: n // 2] = np.round(y[: n // 2])
    w = rng.uniform(0, 2, n)
    pw = rng.uniform(0.5, 3, classes)
    p = 1 / (1 + np.exp(-x))
    bce(f"{rows}x{classes}", p, y, classes)
    bce(f"{rows}x{classes}/weighted", p, y, classes, weight=w)
    bce_logits(f"{rows}x{classes}", x, y, classes)
    bce_logits(f"{rows}x{classes}/weighted", x, y, classes, weight=w)
    bce_logits(f"{rows}x{classes}/posweight", x, y, classes, pos_weight=pw)
    bce_logits(f"{rows}x{classes}/both", x, y, classes, weight=w, pos_weight=pw)
bce("edges", np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5]), np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.5]), 6)
bce_logits("big", np.array([1e4, -1e4, 1e4, -1e4, 17.0, -17.0, 0.0, 40.0]),
           np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.5, 1.0]), 8)


# ---------------------------------------------------------------- kl_div
for rows, classes in [(1, 1), (3, 5), (4, 21)]:
    lp = torch.log_softmax(torch.tensor(logits(rows, classes)).reshape(rows, classes), 1).reshape(-1).numpy()
    q = rng.dirichlet(np.ones(classes), rows).reshape(-1)
    if q.size > 3:
        q[2] = 0.0
    for log_target in (False, True):
        for dt in ("float32", "float64"):
            tt = torch.tensor(np.log(q) if log_target else q, dtype=DTYPES[dt]).reshape(rows, classes)
            add(f"{rows}x{classes}/{'log' if log_target else 'prob'}", "kl", dt, lp, classes,
                lambda xg, red: F.kl_div(xg, tt, reduction=red, log_target=log_target),
                {"targets": enc_list(tt), "logTarget": log_target}, ("none", "sum", "mean", "batchmean"))


# ---------------------------------------------------------------- mse, huber, smooth-l1
for n in (1, 7, 53):
    x = rng.standard_normal(n) * 2
    y = rng.standard_normal(n) * 2
    for dt in ("float32", "float64"):
        yt = torch.tensor(y, dtype=DTYPES[dt])
        add(f"{n}", "mse", dt, x, 0, lambda xg, red: F.mse_loss(xg, yt, reduction=red), {"targets": enc_list(yt)})
        for delta in (1.0, 0.5):
            add(f"{n}/d{delta}", "huber", dt, x, 0, lambda xg, red: F.huber_loss(xg, yt, reduction=red, delta=delta),
                {"targets": enc_list(yt), "delta": delta})
            add(f"{n}/b{delta}", "smoothl1", dt, x, 0, lambda xg, red: F.smooth_l1_loss(xg, yt, reduction=red, beta=delta),
                {"targets": enc_list(yt), "beta": delta})


# ---------------------------------------------------------------- sigmoid focal loss (torchvision)
for rows, classes in [(1, 1), (4, 3), (3, 29)]:
    n = rows * classes
    x = logits(rows, classes)
    y = np.round(rng.uniform(0, 1, n))
    for alpha, gamma in ((0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.25, 1.5)):
        for dt in ("float32", "float64"):
            yt = torch.tensor(y, dtype=DTYPES[dt])
            add(f"{rows}x{classes}/a{alpha}/g{gamma}", "focal", dt, x, 0,
                lambda xg, red: sigmoid_focal_loss(xg, yt, alpha=alpha, gamma=gamma, reduction=red),
                {"targets": enc_list(yt), "alpha": alpha, "gamma": gamma})

out = {"generator": f"training_reference.py with torch {torch.__version__}", "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "training.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"{len(cases)} cases -> {path} ({os.path.getsize(path)} bytes)")
