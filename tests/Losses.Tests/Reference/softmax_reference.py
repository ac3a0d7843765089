#!/usr/bin/env python3
"""Generate softmax.json: reference values for softmax / log_softmax / logsumexp
and their vector-Jacobian products, computed with PyTorch autograd.

Run with Debian's python3 (which has python3-torch):
    /usr/bin/python3 softmax_reference.py
Writes softmax.json next to this script. The C# tests read only the JSON.

Number encoding: finite numbers are JSON numbers written with repr() of the
value (float32 values are first widened exactly to Python float, so they
round-trip). Non-finite numbers are JSON strings "Infinity", "-Infinity", "NaN".
"""
import json
import math
import os

import numpy as np
import torch

SEED = 1234
torch.manual_seed(SEED)
rng = np.random.default_rng(SEED)

INF = math.inf
NAN = math.nan
DTYPES = {"float32": (torch.float32, np.float32), "float64": (torch.float64, np.float64)}


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v  # json uses repr(float) -> shortest exact round-trip representation


def enc_list(t):
    return [enc(v) for v in t.detach().reshape(-1).tolist()]


def vjp(fn, x, upstream):
    xg = x.clone().requires_grad_(True)
    out = fn(xg)
    out.backward(upstream)
    return xg.grad.detach()


def make_case(name, dtype_name, rows_values):
    """rows_values: 2-D numpy float64 array (rows x classCount)."""
    tdt, ndt = DTYPES[dtype_name]
    arr = np.asarray(rows_values, dtype=np.float64)
    rows, n = arr.shape
    x = torch.from_numpy(arr.astype(ndt))
    dy = torch.from_numpy(rng.standard_normal((rows, n)).astype(ndt))
    dy_row = torch.from_numpy(rng.standard_normal(rows).astype(ndt))
    assert x.dtype == tdt and dy.dtype == tdt and dy_row.dtype == tdt

    with torch.no_grad():
        sm = torch.softmax(x, dim=-1)
        lsm = torch.log_softmax(x, dim=-1)
        lse = torch.logsumexp(x, dim=-1)

    sm_b = vjp(lambda t: torch.softmax(t, dim=-1), x, dy)
    lsm_b = vjp(lambda t: torch.log_softmax(t, dim=-1), x, dy)
    lse_b = vjp(lambda t: torch.logsumexp(t, dim=-1), x, dy_row)

    return {
        "name": name,
        "dtype": dtype_name,
        "classCount": int(n),
        "rows": int(rows),
        "x": enc_list(x),
        "dy": enc_list(dy),
        "dyRow": enc_list(dy_row),
        "softmax": enc_list(sm),
        "logSoftmax": enc_list(lsm),
        "logSumExp": enc_list(lse),
        "softmaxBackward": enc_list(sm_b),
        "logSoftmaxBackward": enc_list(lsm_b),
        "logSumExpBackward": enc_list(lse_b),
    }


def main():
    cases = []
    both = ("float32", "float64")

    # Random normal logits * 3, rows = 3.
    for n in (1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000):
        vals = rng.standard_normal((3, n)) * 3.0
        for dt in both:
            cases.append(make_case(f"random_len{n}_{dt}", dt, vals))

    vals = rng.standard_normal((2, 4099)) * 3.0
    for dt in both:
        cases.append(make_case(f"random_rows2_len4099_{dt}", dt, vals))
    vals = rng.standard_normal((8, 10)) * 3.0
    for dt in both:
        cases.append(make_case(f"random_rows8_len10_{dt}", dt, vals))

    # Large magnitude.
    vals = rng.uniform(-1e4, 1e4, size=(3, 17))
    for dt in both:
        cases.append(make_case(f"extreme_pm1e4_{dt}", dt, vals))
    # [1000,1000]; [89,0] overflows naive float32 exp; [-110,-120] underflows naive float32 exp.
    large_rows = [[1000.0, 1000.0], [89.0, 0.0], [-110.0, -120.0]]
    cases.append(make_case("large_rows_float32", "float32", large_rows))
    cases.append(make_case("large_rows_float64", "float64",
                           large_rows + [[710.0, 0.0], [-800.0, -810.0]]))

    # Near-max-finite extremes.
    cases.append(make_case("extreme_max_len4_float32", "float32", [[3e38, -3e38, 0.0, 1.0]]))
    cases.append(make_case("extreme_min_len2_float32", "float32", [[-3e38, -3e38]]))
    cases.append(make_case("extreme_max_len3_float64", "float64", [[1.7e308, -1.7e308, 0.0]]))

    # Partly masked rows (-inf entries).
    m17 = [[0.5, -INF, 2.0, -INF, 1.0, -0.25, -INF, 3.0, 0.0, -1.5, -INF, 0.75, 1.25, -INF, -2.0, 0.125, -INF],
           [-INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF, 4.0, -INF, -INF, -INF, -INF, -INF, -INF, -INF, -INF],
           [1.0, 2.0, 3.0, -INF, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0]]
    m5 = [[0.5, -INF, 2.0, -INF, 1.0],
          [-INF, 3.0, -INF, -INF, -INF]]
    for dt in both:
        cases.append(make_case(f"masked_partial_len17_{dt}", dt, m17))
        cases.append(make_case(f"masked_partial_len5_{dt}", dt, m5))

    # Fully masked rows (all -inf). Row 1 is an ordinary row to check rows stay independent.
    for n in (4, 17):
        fm = [[-INF] * n, list(rng.standard_normal(n))]
        for dt in both:
            cases.append(make_case(f"masked_full_len{n}_{dt}", dt, fm))

    # +inf entries.
    for dt in both:
        cases.append(make_case(f"posinf_single_{dt}", dt, [[INF, 0.0, 1.0]]))
        cases.append(make_case(f"posinf_double_{dt}", dt, [[INF, INF, 0.0]]))
    # NaN entry.
    for dt in both:
        cases.append(make_case(f"nan_entry_{dt}", dt, [[0.0, NAN, 1.0]]))
    # Constant row.
    for dt in both:
        cases.append(make_case(f"constant_len33_{dt}", dt, [[7.0] * 33]))

    doc = {
        "generator": f"{os.path.basename(__file__)} (torch {torch.__version__}, numpy {np.__version__}, seed {SEED})",
        "cases": cases,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "softmax.json")
    text = json.dumps(doc, allow_nan=False, separators=(",", ":"))  # allow_nan=False: fail if any bare NaN slips through
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
        f.write("\n")
    print(f"wrote {out}: {len(cases)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
