#!/usr/bin/env python3
"""Generate linear_cross_entropy.json: the fused LM head against PyTorch, loss = F.cross_entropy(F.linear(H, W, b), t)
with autograd gradients for H, W and b, on small and odd shapes (1 token, vocabulary not a multiple of the vector width,
hidden size 1, a -inf bias that masks classes), float32 and float64, reductions none / sum / mean.

Run with Debian's python3 (python3-torch):  /usr/bin/python3 linear_cross_entropy_reference.py
Writes linear_cross_entropy.json next to this script; the C# tests read only the JSON.
For "none" the gradients are those of the sum of the per-token losses. Non-finite numbers are the strings
"Infinity", "-Infinity", "NaN".
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(2026)
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


cases = []


def case(name, tokens, hidden, vocab, bias=False, mask=(), weight=False, ignore=(), smoothing=0.0, scale=1.0):
    for dtype_name, dtype in DTYPES.items():
        h = torch.tensor(rng.normal(size=(tokens, hidden)) * scale, dtype=dtype)
        w = torch.tensor(rng.normal(size=(vocab, hidden)) / math.sqrt(hidden), dtype=dtype)
        b = torch.tensor(rng.normal(size=(vocab,)), dtype=dtype) if bias else None
        if b is not None:
            for m in mask:
                b[m] = -math.inf
        allowed = [c for c in range(vocab) if c not in mask]
        t = torch.tensor([int(rng.choice(allowed)) for _ in range(tokens)], dtype=torch.long)
        for i in ignore:
            t[i] = -100
        cw = torch.tensor(rng.uniform(0.5, 2.0, size=vocab), dtype=dtype) if weight else None
        c = {"name": f"{name}-{dtype_name}", "dtype": dtype_name, "tokens": tokens, "hiddenSize": hidden,
             "classCount": vocab, "hidden": enc_list(h), "linearWeight": enc_list(w), "targets": t.tolist(),
             "labelSmoothing": smoothing}
        if b is not None:
            c["linearBias"] = enc_list(b)
        if cw is not None:
            c["weight"] = enc_list(cw)
        for red, key in (("none", "None"), ("sum", "Sum"), ("mean", "Mean")):
            hg = h.clone().requires_grad_(True)
            wg = w.clone().requires_grad_(True)
            bg = b.clone().requires_grad_(True) if b is not None else None
            loss = F.cross_entropy(F.linear(hg, wg, bg), t, weight=cw, ignore_index=-100, reduction=red,
                                   label_smoothing=smoothing)
            if red == "none":
                c["lossNone"] = enc_list(loss)
                loss = loss.sum()
            else:
                c["loss" + key] = enc(loss.item())
            loss.backward()
            c["hiddenGrad" + key] = enc_list(hg.grad)
            c["weightGrad" + key] = enc_list(wg.grad)
            if bg is not None:
                c["biasGrad" + key] = enc_list(bg.grad)
        cases.append(c)


case("one-token", 1, 5, 7)
case("hidden-1", 4, 1, 9, bias=True)
case("odd", 5, 3, 37, bias=True, weight=True)
case("vocab-33", 7, 6, 33, ignore=(2,))
case("masked-bias", 3, 4, 19, bias=True, mask=(0, 5, 18))
case("smoothing", 6, 5, 21, bias=True, weight=True, ignore=(0,), smoothing=0.1)
case("vocab-200", 18, 5, 200, bias=True, scale=3.0)
case("all-ignored", 2, 3, 5, ignore=(0, 1))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linear_cross_entropy.json")
with open(path, "w") as f:
    json.dump({"generator": "linear_cross_entropy_reference.py", "torch": torch.__version__, "cases": cases}, f)
print(f"{len(cases)} cases -> {path}")
