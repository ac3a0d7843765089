#!/usr/bin/env python3
"""Generate evaluation.json: per-token references for PerplexityAccumulator and ModelComparison, from PyTorch
compositions, and the corpus statistics recomputed in float64 from those per-token values.

Run with Debian's python3 (python3-torch):
    /usr/bin/python3 evaluation_reference.py
Writes evaluation.json next to this script. The C# tests read only the JSON.

Per token (logits x, target t; the float32 inputs are widened exactly to float64 first):
  loss     = F.cross_entropy(x, t, reduction='none')              (unweighted −log softmax(x)[t])
  entropy  = −(softmax(x) · log_softmax(x)).sum(-1)
  rank     = #{j : x_j > x_t} + #{j < t : x_j = x_t}              (position in a stable descending sort)
Pairs (reference p, model q):
  kl       = F.kl_div(log_softmax(q), log_softmax(p), log_target=True, reduction='none').sum(-1)   (KL(P ‖ Q))
  sameTop  = argmax(p) == argmax(q)                                (torch.argmax: first maximum)
Corpus: weighted mean cross-entropy = F.cross_entropy(x, t, weight, ignore_index=-100, reduction='mean') over the
whole corpus; standard errors and percentiles as llama.cpp's perplexity tool (numpy 'linear' percentiles).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

SEED = 1234
rng = np.random.default_rng(SEED)
IGNORE = -100


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def mean_and_error(s, s2, n):
    mean = s / n
    var = s2 / n - mean * mean
    return mean, (math.sqrt(var / (n - 1)) if var > 0 and n > 10 else 0.0)


def make_logits(rows, classes, dtype, scale):
    x = rng.standard_normal((rows, classes)) * scale
    return x.astype(np.float32) if dtype == "float32" else x


def make_targets(rows, classes, ignore_fraction):
    t = rng.integers(0, classes, rows)
    t[rng.random(rows) < ignore_fraction] = IGNORE
    return t


cases = []


def single(name, rows, classes, dtype, scale=3.0, weighted=False, ignore_fraction=0.1, topk=(1, 5)):
    x = make_logits(rows, classes, dtype, scale)
    t = make_targets(rows, classes, ignore_fraction)
    w = rng.uniform(0.2, 2.0, classes) if weighted else None
    xt = torch.tensor(x.astype(np.float64))
    tt = torch.tensor(t)
    keep = tt != IGNORE
    loss = F.cross_entropy(xt[keep], tt[keep], reduction="none")
    logp = F.log_softmax(xt[keep], -1)
    entropy = -(logp.exp() * logp).sum(-1)
    xk = xt[keep]
    tk = tt[keep]
    at = xk.gather(1, tk[:, None])
    idx = torch.arange(classes)[None, :]
    rank = (xk > at).sum(-1) + ((xk == at) & (idx < tk[:, None])).sum(-1)
    wt = torch.tensor(w)[tk] if weighted else torch.ones(len(tk), dtype=torch.float64)
    corpus = F.cross_entropy(xt, tt, weight=torch.tensor(w) if weighted else None, ignore_index=IGNORE, reduction="mean").item()
    n = len(tk)
    wsum = wt.sum().item()
    wl = (wt * loss)
    mean, err = mean_and_error(wl.sum().item() / wsum * n, (wl * loss).sum().item() / wsum * n, n)
    assert abs(mean - corpus) < 1e-12 * max(1, abs(corpus)), (mean, corpus)
    cases.append({
        "name": name, "kind": "single", "dtype": dtype, "classCount": classes,
        "x": [enc(v) for v in x.reshape(-1)], "targets": [int(v) for v in t],
        "weight": [enc(v) for v in w] if weighted else [],
        "topK": list(topk),
        "loss": [enc(v) for v in loss.tolist()], "entropy": [enc(v) for v in entropy.tolist()],
        "rank": [int(v) for v in rank.tolist()],
        "tokens": n, "ignored": int((~keep).sum().item()),
        "crossEntropy": corpus, "crossEntropyError": err, "perplexity": enc(math.exp(corpus) if corpus < 700 else math.inf),
        "topKAccuracy": [float((rank < k).double().mean().item()) for k in topk],
        "meanEntropy": entropy.mean().item(),
    })


def pair(name, rows, classes, dtype, scale=3.0, noise=0.3, ignore_fraction=0.05):
    p = make_logits(rows, classes, dtype, scale)
    q = (p + rng.standard_normal((rows, classes)) * noise).astype(p.dtype)
    t = make_targets(rows, classes, ignore_fraction)
    pt = torch.tensor(p.astype(np.float64))
    qt = torch.tensor(q.astype(np.float64))
    tt = torch.tensor(t)
    keep = tt != IGNORE
    pk, qk, tk = pt[keep], qt[keep], tt[keep]
    lp, lq = F.log_softmax(pk, -1), F.log_softmax(qk, -1)
    kl = F.kl_div(lq, lp, log_target=True, reduction="none").sum(-1)
    ref_loss = F.cross_entropy(pk, tk, reduction="none")
    loss = F.cross_entropy(qk, tk, reduction="none")
    same = (pk.argmax(-1) == qk.argmax(-1))
    n = len(tk)
    lppl, lppl_err = mean_and_error(loss.sum().item(), (loss * loss).sum().item(), n)
    rppl, rppl_err = mean_and_error(ref_loss.sum().item(), (ref_loss * ref_loss).sum().item(), n)
    cov = ((loss * ref_loss).sum().item() / n - lppl * rppl) / (n - 1)
    ratio_err = math.sqrt(lppl_err ** 2 + rppl_err ** 2 - 2 * cov)
    kl_mean, kl_err = mean_and_error(kl.sum().item(), (kl * kl).sum().item(), n)
    dp = torch.exp(-loss) - torch.exp(-ref_loss)
    dp_mean, dp_err = mean_and_error(dp.sum().item(), (dp * dp).sum().item(), n)
    ms, ms_err = mean_and_error((dp * dp).sum().item(), (dp ** 4).sum().item(), n)
    fractions = [0.999, 0.99, 0.95, 0.90, 0.5, 0.10, 0.05, 0.01, 0.001]
    kln = kl.numpy()
    f_same = same.double().mean().item()
    cases.append({
        "name": name, "kind": "pair", "dtype": dtype, "classCount": classes,
        "p": [enc(v) for v in p.reshape(-1)], "q": [enc(v) for v in q.reshape(-1)], "targets": [int(v) for v in t],
        "kl": [enc(v) for v in kl.tolist()], "referenceLoss": [enc(v) for v in ref_loss.tolist()],
        "loss": [enc(v) for v in loss.tolist()], "sameTopFlags": [bool(v) for v in same.tolist()],
        "tokens": n, "ignored": int((~keep).sum().item()),
        "perplexity": math.exp(lppl), "perplexityError": math.exp(lppl) * lppl_err,
        "referencePerplexity": math.exp(rppl), "referencePerplexityError": math.exp(rppl) * rppl_err,
        "logPerplexityRatio": lppl - rppl, "logPerplexityRatioError": ratio_err,
        "meanDivergence": kl_mean, "meanDivergenceError": kl_err,
        "maxDivergence": float(kln.max()), "minDivergence": float(kln.min()),
        "percentiles": [float(np.percentile(kln, 100 * f, method="linear")) for f in fractions],
        "meanProbabilityDifference": dp_mean, "meanProbabilityDifferenceError": dp_err,
        "rmsProbabilityDifference": math.sqrt(ms), "rmsProbabilityDifferenceError": 0.5 / math.sqrt(ms) * ms_err,
        "maxProbabilityDifference": float(dp.abs().max().item()),
        "sameTop": f_same, "sameTopError": math.sqrt(f_same * (1 - f_same) / (n - 1)),
    })


single("single_f32_1000", 16, 1000, "float32")
single("single_f32_37_weighted", 50, 37, "float32", weighted=True)
single("single_f64_300", 20, 300, "float64", topk=(1, 3, 10))
single("single_f32_50_large", 30, 50, "float32", scale=100.0)
single("single_f64_7_weighted", 60, 7, "float64", weighted=True, topk=(1,))
pair("pair_f32_200", 110, 200, "float32")
pair("pair_f64_13", 150, 13, "float64", noise=1.0)
pair("pair_f32_40", 100, 40, "float32", noise=0.05)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "evaluation.json"), "w") as f:
    json.dump({"generator": "evaluation_reference.py", "torch": torch.__version__, "cases": cases}, f)
