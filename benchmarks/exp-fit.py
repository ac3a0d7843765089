"""Coefficients of the float exp polynomial in src/Losses/Kernels/Primitives/VectorMath.cs (2026-12-02, helper "perf").

exp(r) = 1 + r + r^2 * Q(r) on |r| <= ln2/2, Q of degree d, minimising the maximum *relative* error of exp(r) by
Lawson's iteration (iteratively reweighted least squares) on a dense grid, reference values from mpmath.
Run: /usr/bin/python3 benchmarks/exp-fit.py   (prints total degree, max relative error, in units of 2^-24, coefficients
of Q from the constant term up). Degree 6 (Q of degree 4) gives 3.1e-9, below the degree-7 Taylor polynomial's 5.1e-9;
degree 5 gives 1.05e-7 (1.8 x 2^-24), too much for the <= 1 ulp promise; its coefficients are those of the normalizer's
term exp (VectorMath.ExpTerm), whose terms are only summed (<= 2 ulp on [-10, 0]). The C# sweep
(VectorMathTests.Exp_float_is_within_one_ulp_over_the_finite_range) is the check that counts.
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 40
L = float(mp.log(2) / 2)


def fit(d, iters=60):
    r = np.linspace(-L * 1.0002, L * 1.0002, 20001)
    target = np.array([float((mp.exp(mp.mpf(x)) - 1 - mp.mpf(x)) / mp.mpf(x) ** 2) if x != 0 else 0.5 for x in r])
    w0 = r ** 2 / np.exp(r)  # error of exp(r) = r^2 (Q - target); relative = that / exp(r)
    V = np.vander(r, d + 1, increasing=True)
    wt = np.ones_like(r) / len(r)
    for _ in range(iters):
        W = np.sqrt(wt) * w0
        c, *_ = np.linalg.lstsq(V * W[:, None], target * W, rcond=None)
        e = np.abs((V @ c - target) * w0)
        wt = wt * e
        wt /= wt.sum()
    return c, e.max()


for d in (3, 4, 5):
    c, e = fit(d)
    print(d + 2, e, e / 2 ** -24, list(c))
