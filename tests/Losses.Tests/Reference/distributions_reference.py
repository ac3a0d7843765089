#!/usr/bin/env python3
"""Generate distributions.json: reference values for Entropy, KLDivergence and JensenShannon.

Run with Debian's python3 (python3-scipy, python3-torch):
    /usr/bin/python3 distributions_reference.py
Writes distributions.json next to this script. The C# tests read only the JSON.

Every input is exactly representable in float32 (so one case serves the float and the double tests); the expected
values are computed in float64 from those exact inputs with SciPy (scipy.special.entr / xlogy / rel_entr,
scipy.stats.entropy, scipy.spatial.distance.jensenshannon) and PyTorch (F.kl_div, autograd for the distillation
gradient). Each case is a batch of `rows` rows of `classCount` classes, row-major; per-row expectations are arrays.

Number encoding: finite numbers are JSON numbers (repr of the float64 value), non-finite ones the strings
"Infinity", "-Infinity", "NaN".
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special, stats
from scipy.spatial import distance

SEED = 20261129
rng = np.random.default_rng(SEED)
TEMPERATURE = 2.0


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def enc_list(a):
    return [enc(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def f32(a):
    """Round to float32 and widen back: the stored inputs are exact in both precisions."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def softmax(x):
    return special.softmax(x, axis=-1)


def log_softmax(x):
    return special.log_softmax(x, axis=-1)


def row_values(p, q, counts, counts_q, t, s, base):
    lb = math.log(base)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {}
        out["entropy"] = special.entr(p).sum() / lb
        out["entropyCounts"] = stats.entropy(counts, base=base) if counts.sum() > 0 else math.nan
        out["entropyLogits"] = special.entr(softmax(t)).sum() / lb
        out["perplexityLogits"] = math.exp(special.entr(softmax(t)).sum())
        out["cross"] = -special.xlogy(p, q).sum() / lb
        ls = log_softmax(s)
        out["crossLogits"] = -np.where(p == 0, 0.0, p * ls).sum() / lb
        out["kl"] = special.rel_entr(p, q).sum() / lb
        out["klCounts"] = stats.entropy(counts, counts_q, base=base) if counts.sum() > 0 and counts_q.sum() > 0 else math.nan
        logq = np.log(q)
        out["klLogQ"] = special.rel_entr(p, q).sum()  # PyTorch agrees where p > 0 (checked below), gives NaN at p = 0, log q = -inf
        # In the log domain: rel_entr(softmax(t/T), softmax(s/T)) underflows q to 0 (and returns +inf) for logits ±1e4.
        pt = softmax(t / TEMPERATURE)
        out["klLogits"] = np.where(pt > 0, pt * (log_softmax(t / TEMPERATURE) - log_softmax(s / TEMPERATURE)), 0.0).sum()
        js = distance.jensenshannon(counts, counts_q, base=base) if counts.sum() > 0 and counts_q.sum() > 0 else math.nan
        out["jsDistance"] = js
        out["js"] = js * js
        if (p > 0).all() and np.isfinite(logq).all():
            torch_kl = F.kl_div(torch.from_numpy(logq), torch.from_numpy(p), reduction="sum").item()
            torch_kl_log = F.kl_div(torch.from_numpy(logq), torch.from_numpy(np.log(p)), reduction="sum", log_target=True).item()
            assert abs(torch_kl - out["klLogQ"]) <= 1e-9 * (1 + abs(torch_kl)), (torch_kl, out["klLogQ"])
            assert abs(torch_kl_log - out["klLogQ"]) <= 1e-9 * (1 + abs(torch_kl)), (torch_kl_log, out["klLogQ"])
    return out


def distillation(t, s, rows, n):
    tt = torch.from_numpy(t.reshape(rows, n))
    st = torch.from_numpy(s.reshape(rows, n)).clone().requires_grad_(True)
    T = TEMPERATURE
    logp, logq = F.log_softmax(tt / T, dim=-1), F.log_softmax(st / T, dim=-1)
    p = logp.exp()
    # F.kl_div(logq, p, reduction="batchmean") * T * T, except that 0 · (log 0 − log 0) is 0 here (PyTorch: NaN).
    loss = torch.where(p > 0, p * (logp - logq), torch.zeros_like(p)).sum() / rows * T * T
    reference = F.kl_div(logq, p, reduction="batchmean") * T * T
    if torch.isfinite(reference):
        assert abs(reference.item() - loss.item()) <= 1e-9 * (1 + abs(loss.item())), (reference.item(), loss.item())
    loss.backward()
    return loss.item(), st.grad.detach().numpy()


def make_case(name, rows, n, p, q, counts, counts_q, t, s, base=math.e, gradient=True, binary=True, pq_scale=None):
    p, q, counts, counts_q, t, s = (f32(a).reshape(rows, n) for a in (p, q, counts, counts_q, t, s))
    per_row = [row_values(p[r], q[r], counts[r], counts_q[r], t[r], s[r], base) for r in range(rows)]
    case = {"name": name, "rows": rows, "classCount": n, "base": enc(base), "temperature": TEMPERATURE,
            "p": enc_list(p), "q": enc_list(q), "counts": enc_list(counts), "countsQ": enc_list(counts_q),
            "logits": enc_list(t), "studentLogits": enc_list(s)}
    if pq_scale is not None:
        # p and q are counts · pqScale exactly: the tests rebuild them instead of reading 800 kB of digits.
        assert (p == counts * pq_scale).all() and (q == counts_q * pq_scale).all()
        del case["p"], case["q"]
        case["pqScale"] = pq_scale
    for key in per_row[0]:
        case[key] = enc_list([v[key] for v in per_row])
    loss, grad = distillation(t.reshape(-1), s.reshape(-1), rows, n)
    case["distillationLoss"] = enc(loss)
    if gradient:
        case["distillationGradient"] = enc_list(grad)
    if binary:
        # Binary cross-entropy per element, p as labels in [0, 1] and q as predictions, and from logits (q = sigmoid(s)).
        with np.errstate(divide="ignore", invalid="ignore"):
            bce = -(special.xlogy(p, q) + special.xlog1py(1 - p, -q))
        case["binaryCross"] = enc_list(bce)
        bce_logits = F.binary_cross_entropy_with_logits(torch.from_numpy(s), torch.from_numpy(p), reduction="none").numpy()
        case["binaryCrossLogits"] = enc_list(bce_logits)
    return case


def dirichlet(rows, n, alpha=1.0):
    return rng.dirichlet(np.full(n, alpha), size=rows)


def random_case(name, rows, n, base=math.e, gradient=True):
    p = dirichlet(rows, n)
    q = dirichlet(rows, n)
    counts = rng.integers(0, 20, size=(rows, n)).astype(np.float64)
    counts[:, 0] += 1  # never an all-zero row
    counts_q = rng.integers(1, 20, size=(rows, n)).astype(np.float64)
    t = rng.standard_normal((rows, n)) * 3
    s = t + rng.standard_normal((rows, n))
    return make_case(name, rows, n, p, q, counts, counts_q, t, s, base, gradient)


cases = []
for n in (1, 3, 7, 8, 15, 16, 17, 33):
    cases.append(random_case(f"random_{n}", 3, n))
cases.append(random_case("random_1000", 1, 1000))
cases.append(random_case("base2_33", 2, 33, base=2.0))
cases.append(random_case("base10_17", 2, 17, base=10.0))

# Zeros in p (0·log 0 = 0 whatever q is, also q = 0), zeros in q where p > 0 (+inf), unnormalised inputs.
for n in (7, 17, 33):
    rows = 2
    p = dirichlet(rows, n)
    p[:, ::3] = 0
    q = dirichlet(rows, n)
    q[:, ::6] = 0  # q = 0 only where p = 0 too: finite
    counts = rng.integers(0, 5, size=(rows, n)).astype(np.float64)
    counts[:, 1] += 1
    counts_q = rng.integers(0, 5, size=(rows, n)).astype(np.float64) + (counts > 0)  # q > 0 wherever p > 0
    t = rng.standard_normal((rows, n))
    s = rng.standard_normal((rows, n))
    cases.append(make_case(f"zeros_p_{n}", rows, n, p, q, counts, counts_q, t, s))
    q2 = q.copy()
    q2[:, 1] = 0  # p > 0 there: KL and cross-entropy are +inf
    cases.append(make_case(f"zeros_q_{n}", rows, n, p, q2, counts, counts_q, t, s, binary=False))
    scale = np.array([[3.0], [0.25]])
    cases.append(make_case(f"unnormalised_{n}", rows, n, dirichlet(rows, n) * scale, dirichlet(rows, n) * scale,
                           counts * 7, counts_q * 0.5, t, s, binary=False))

# Extreme logits: ±1e4 and masked (−inf) classes, never a whole row masked.
for n in (7, 17, 33):
    rows = 2
    t = rng.standard_normal((rows, n)) * 3
    s = rng.standard_normal((rows, n)) * 3
    t[0, 1] = 1e4
    t[0, 2] = 1e4 - 1
    t[1, 0] = -1e4
    s[0, 1] = 1e4 - 0.5
    s[1, 3] = 1e4
    t[:, 4] = -np.inf  # masked in both
    s[:, 4] = -np.inf
    t[1, 5] = -np.inf  # masked in the teacher only: no contribution
    p = dirichlet(rows, n)
    q = dirichlet(rows, n)
    counts = rng.integers(1, 5, size=(rows, n)).astype(np.float64)
    counts_q = rng.integers(1, 5, size=(rows, n)).astype(np.float64)
    p[:, 4] = 0  # soft labels agree with the mask (else cross-entropy from logits is +inf)
    cases.append(make_case(f"extreme_{n}", rows, n, p, q, counts, counts_q, t, s, binary=False))

# One long row (a vocabulary of 32000), with inputs that print compactly: logits are multiples of 1/64, counts integers.
n = 32000
t = np.round(rng.standard_normal(n) * 4 * 64) / 64
s = np.round((t + rng.standard_normal(n)) * 64) / 64
counts = rng.integers(0, 30, size=n).astype(np.float64)
counts_q = rng.integers(1, 30, size=n).astype(np.float64)
p = counts / 1024.0  # unnormalised but exact; the "as is" functions use it as is
q = counts_q / 1024.0
cases.append(make_case("long_32000", 1, n, p, q, counts, counts_q, t, s, gradient=False, binary=False,
                       pq_scale=1 / 1024.0))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributions.json")
with open(path, "w") as f:
    json.dump({"generator": "distributions_reference.py (SciPy " + __import__("scipy").__version__ + ", PyTorch "
               + torch.__version__ + ", seed " + str(SEED) + ")", "cases": cases}, f, separators=(",", ":"))
print(path, os.path.getsize(path), "bytes,", len(cases), "cases")
