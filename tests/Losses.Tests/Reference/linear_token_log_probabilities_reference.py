#!/usr/bin/env python3
"""Generate linear_token_log_probabilities.json: the fused LM head's per-token log-probabilities and entropies against
PyTorch, z = F.linear(H, W, b) (soft-capped to c*tanh(z/c) when a cap is given), log p = log_softmax(z).gather(t),
entropy = -(softmax(z) * log_softmax(z)).sum(-1), with autograd gradients for H, W and b of
L = sum(alpha * log p + beta * entropy) for arbitrary upstream gradients alpha, beta, on small and odd shapes (1 token,
vocabulary not a multiple of the vector width, hidden size 1, -inf biases that mask classes, a masked target), float32 and
float64.

Run with Debian's python3 (python3-torch):  /usr/bin/python3 linear_token_log_probabilities_reference.py
Writes linear_token_log_probabilities.json next to this script; the C# tests read only the JSON.
Ignored tokens (target -100) get log p = 0 and entropy 0 and add nothing to L. The entropy is summed with 0*log 0 = 0
(masked_fill), the limit the library computes; PyTorch's bare formula gives NaN for a -inf logit. Cases without
"entropyGradient" have beta = 0 (the C# side passes an empty span). Non-finite numbers are the strings "Infinity",
"-Infinity", "NaN".
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(2027)
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


def case(name, tokens, hidden, vocab, bias=False, mask=(), ignore=(), soft_cap=None, scale=1.0, entropy_gradient=True,
         masked_target=None):
    for dtype_name, dtype in DTYPES.items():
        h = torch.tensor(rng.normal(size=(tokens, hidden)) * scale, dtype=dtype)
        w = torch.tensor(rng.normal(size=(vocab, hidden)) / math.sqrt(hidden), dtype=dtype)
        b = torch.tensor(rng.normal(size=(vocab,)), dtype=dtype) if bias else None
        if b is not None:
            for m in mask:
                b[m] = -math.inf
        allowed = [c for c in range(vocab) if c not in mask]
        t = torch.tensor([int(rng.choice(allowed)) for _ in range(tokens)], dtype=torch.long)
        if masked_target is not None:
            t[masked_target] = mask[0]
        for i in ignore:
            t[i] = -100
        alpha = torch.tensor(rng.normal(size=(tokens,)), dtype=dtype)
        beta = torch.tensor(rng.normal(size=(tokens,)), dtype=dtype) if entropy_gradient else torch.zeros(tokens, dtype=dtype)

        hg = h.clone().requires_grad_(True)
        wg = w.clone().requires_grad_(True)
        bg = b.clone().requires_grad_(True) if b is not None else None
        z = F.linear(hg, wg, bg)
        if soft_cap is not None:
            z = soft_cap * torch.tanh(z / soft_cap)
        logp_all = F.log_softmax(z, dim=-1)
        p = logp_all.exp()
        entropy = -(p * logp_all.masked_fill(p == 0, 0)).sum(-1)
        counted = t != -100
        logp = logp_all.gather(-1, t.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        logp = torch.where(counted, logp, torch.zeros_like(logp))
        entropy = torch.where(counted, entropy, torch.zeros_like(entropy))
        # -inf * 0 at a masked target with alpha would be NaN in the sum only if alpha were 0; alpha is random, nonzero.
        loss = (torch.where(counted, alpha * logp, torch.zeros_like(logp)) + beta * entropy).sum()
        loss.backward()

        c = {"name": f"{name}-{dtype_name}", "dtype": dtype_name, "tokens": tokens, "hiddenSize": hidden,
             "classCount": vocab, "hidden": enc_list(h), "linearWeight": enc_list(w), "targets": t.tolist(),
             "logProbabilityGradient": enc_list(alpha),
             "logProbabilities": enc_list(logp), "entropy": enc_list(entropy),
             "hiddenGrad": enc_list(hg.grad), "weightGrad": enc_list(wg.grad)}
        if entropy_gradient:
            c["entropyGradient"] = enc_list(beta)
        if b is not None:
            c["linearBias"] = enc_list(b)
            c["biasGrad"] = enc_list(bg.grad)
        if soft_cap is not None:
            c["softCap"] = soft_cap
        cases.append(c)


case("one-token", 1, 5, 7)
case("hidden-1", 4, 1, 9, bias=True)
case("odd", 5, 3, 37, bias=True)
case("vocab-33", 7, 6, 33, ignore=(2,))
case("masked-bias", 3, 4, 19, bias=True, mask=(0, 5, 18))
case("masked-target", 3, 4, 19, bias=True, mask=(7, 11), masked_target=1)
case("soft-cap", 6, 5, 21, bias=True, soft_cap=2.0, scale=3.0, ignore=(0,))
case("log-prob-only", 5, 4, 23, bias=True, entropy_gradient=False)
case("vocab-200", 18, 5, 200, bias=True, scale=3.0)
case("all-ignored", 2, 3, 5, ignore=(0, 1))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linear_token_log_probabilities.json")
with open(path, "w") as f:
    json.dump({"generator": "linear_token_log_probabilities_reference.py", "torch": torch.__version__, "cases": cases}, f)
print(f"{len(cases)} cases -> {path}")
