#!/usr/bin/env python3
"""Generate llm.json: references for the LLM-scale cross-entropy (z-loss, logit soft-capping, weights, ignore index,
label smoothing), token log-probabilities and entropies, and the same from float16 / bfloat16 logits, computed with
PyTorch and autograd.

PyTorch has no single function for these, so the references are the compositions the issue names:
  soft-cap        xc = c * tanh(x / c), with masked (-inf) logits kept at -inf (the library's documented choice;
                  plain composition would give -c)
  cross-entropy   F.cross_entropy(xc, t, weight, ignore_index, label_smoothing, reduction)
  z-loss          lam * logsumexp(xc)^2 per counted row; Mean divides its sum by the number of counted rows
  token log-prob  log_softmax(xc).gather(-1, t)
  entropy         -(softmax(xc) * log_softmax(xc)).sum(-1), written logsumexp(xc) - sum softmax(xc) * xc over
                  unmasked entries (0 * log 0 = 0, and no NaN in autograd)
  gradients       autograd (for token outputs: of sum(alpha * logp + beta * H) for random alpha, beta)
16-bit cases: the logits are rounded to float16 / bfloat16, their bit patterns stored, and the reference computed in
float64 from the rounded values.

Run with Debian's python3 (python3-torch):  /usr/bin/python3 llm_reference.py   (writes llm.json beside it)
Non-finite numbers are the strings "Infinity", "-Infinity", "NaN".
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20261202)


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def enc_list(t):
    return [enc(v) for v in t.detach().reshape(-1).tolist()]


def cap(x, c):
    if c is None:
        return x
    return torch.where(torch.isneginf(x), x, c * torch.tanh(x / c))


def ce_total(x, t, weight, smoothing, lam, c, reduction, ignore=-100):
    xc = cap(x, c)
    ce = F.cross_entropy(xc, t, weight=weight, ignore_index=ignore, label_smoothing=smoothing, reduction="none")
    counted = (t != ignore)
    lse = torch.logsumexp(xc, dim=-1)
    z = torch.where(counted, lam * lse * lse, torch.zeros_like(lse)) if lam > 0 else torch.zeros_like(lse)
    if reduction == "none":
        return ce + z
    if reduction == "sum":
        return ce.sum() + z.sum()
    w_t = weight[t.clamp(min=0)] if weight is not None else torch.ones_like(lse)
    divisor = torch.where(counted, w_t, torch.zeros_like(w_t)).sum()
    return ce.sum() / divisor + z.sum() / counted.sum()


def token(x, t, c):
    xc = cap(x, c)
    logp = F.log_softmax(xc, dim=-1)
    p = logp.exp()
    lp = logp.gather(-1, t.unsqueeze(-1)).squeeze(-1)
    # H = logsumexp(xc) - sum p * xc, with masked logits' (zero-probability) terms dropped, so that autograd sees no
    # 0 * log 0 (whose gradient would be NaN).
    finite = torch.where(torch.isneginf(xc), torch.zeros_like(xc), xc)
    h = torch.logsumexp(xc, dim=-1) - (p * finite).sum(-1)
    return lp, h


cases = []


def ce_case(name, rows, classes, dtype, weighted, smoothing, lam, c, ignored=True, masked=False, scale=6.0, storage=None):
    x = torch.tensor(rng.normal(0, scale, (rows, classes)), dtype=torch.float64)
    if masked:
        mask = torch.tensor(rng.random((rows, classes)) < 0.15)
        x = x.masked_fill(mask, float("-inf"))
    t = torch.tensor(rng.integers(0, classes, rows), dtype=torch.int64)
    if masked:
        for r in range(rows):
            x[r, t[r]] = float(rng.normal(0, scale))
    if ignored and rows > 2:
        t[1] = -100
    bits = None
    if storage is not None:
        x16 = x.to(storage)
        bits = x16.view(torch.int16).to(torch.int32).bitwise_and(0xFFFF).reshape(-1).tolist()
        x = x16.to(torch.float64)
    x = x.to(dtype)
    weight = torch.tensor(rng.uniform(0.2, 2.0, classes), dtype=dtype) if weighted else None
    case = {"name": name, "kind": "ce", "dtype": str(dtype).replace("torch.", ""), "rows": rows, "classCount": classes,
            "logits": enc_list(x), "targets": t.tolist(), "weight": enc_list(weight) if weighted else [],
            "labelSmoothing": smoothing, "zLoss": lam, "softCap": enc(c if c is not None else float("inf"))}
    if bits is not None:
        case["bits"] = bits
        case["storage"] = str(storage).replace("torch.", "")
    for red in ("none", "sum", "mean"):
        xg = x.clone().requires_grad_(True)
        out = ce_total(xg, t, weight, smoothing, lam, c, red)
        key = {"none": "None", "sum": "Sum", "mean": "Mean"}[red]
        if red == "none":
            case["lossNone"] = enc_list(out)
            out = out.sum()
        else:
            case["loss" + key] = enc(out.item())
        out.backward()
        case["grad" + key] = enc_list(xg.grad)
    cases.append(case)


def token_case(name, rows, classes, dtype, c, masked=False, scale=4.0, storage=None):
    x = torch.tensor(rng.normal(0, scale, (rows, classes)), dtype=torch.float64)
    t = torch.tensor(rng.integers(0, classes, rows), dtype=torch.int64)
    if masked:
        mask = torch.tensor(rng.random((rows, classes)) < 0.2)
        for r in range(rows):
            mask[r, t[r]] = False
        x = x.masked_fill(mask, float("-inf"))
    bits = None
    if storage is not None:
        x16 = x.to(storage)
        bits = x16.view(torch.int16).to(torch.int32).bitwise_and(0xFFFF).reshape(-1).tolist()
        x = x16.to(torch.float64)
    x = x.to(dtype)
    alpha = torch.tensor(rng.normal(0, 1, rows), dtype=dtype)
    beta = torch.tensor(rng.normal(0, 1, rows), dtype=dtype)
    xg = x.clone().requires_grad_(True)
    lp, h = token(xg, t, c)
    (alpha * lp + beta * h).sum().backward()
    case = {"name": name, "kind": "token", "dtype": str(dtype).replace("torch.", ""), "rows": rows, "classCount": classes,
            "logits": enc_list(x), "targets": t.tolist(), "softCap": enc(c if c is not None else float("inf")),
            "alpha": enc_list(alpha), "beta": enc_list(beta), "logProbabilities": enc_list(lp), "entropy": enc_list(h),
            "gradient": enc_list(xg.grad)}
    if bits is not None:
        case["bits"] = bits
        case["storage"] = str(storage).replace("torch.", "")
    cases.append(case)


for dtype in (torch.float32, torch.float64):
    d = "f32" if dtype == torch.float32 else "f64"
    ce_case(f"ce-zloss-{d}", 6, 37, dtype, False, 0.0, 1e-2, None)
    ce_case(f"ce-zloss-weighted-smoothing-{d}", 5, 201, dtype, True, 0.1, 1e-4, None)
    ce_case(f"ce-softcap-{d}", 5, 40, dtype, False, 0.0, 0.0, 5.0, scale=15.0)
    ce_case(f"ce-softcap-zloss-weighted-smoothing-{d}", 6, 129, dtype, True, 0.2, 1e-3, 30.0, scale=40.0)
    ce_case(f"ce-softcap-masked-{d}", 5, 50, dtype, False, 0.0, 1e-3, 10.0, masked=True, scale=20.0)
    ce_case(f"ce-large-{d}", 2, 2000, dtype, True, 0.05, 1e-4, 30.0, scale=10.0)
    token_case(f"token-{d}", 6, 33, dtype, None)
    token_case(f"token-masked-{d}", 5, 100, dtype, None, masked=True)
    token_case(f"token-softcap-{d}", 3, 300, dtype, 8.0, scale=12.0)

for storage, s in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
    ce_case(f"ce-{s}", 4, 600, torch.float64, True, 0.1, 1e-4, None, storage=storage)
    ce_case(f"ce-softcap-masked-{s}", 5, 77, torch.float64, False, 0.0, 1e-3, 30.0, masked=True, scale=20.0, storage=storage)
    token_case(f"token-{s}", 4, 400, torch.float64, None, storage=storage)
    token_case(f"token-masked-softcap-{s}", 4, 61, torch.float64, 10.0, masked=True, scale=8.0, storage=storage)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llm.json")
with open(out, "w") as f:
    json.dump({"generator": "llm_reference.py", "torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"{len(cases)} cases -> {out}")
