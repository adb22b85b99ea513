#!/usr/bin/env python3
"""Fits the GELU coefficients of src/kernels/simd_kernels.inc (needs mpmath only).

  python3 tools/fit_gelu_coefficients.py phi    # kPhiPieces: Φ on 32 intervals of [-6, 6), degree 5
  python3 tools/fit_gelu_coefficients.py erfcx  # one_plus_erf's R ≈ erfcx on [0, 4], degree (4, 4)

Each prints its worst error (with the coefficients rounded to fp32 for phi) and the values.
"""
import struct
import sys

import mpmath as mp

mp.mp.dps = 40


def f32(v):
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def phi_pieces(n=32, deg=5, lo=mp.mpf(-6), w=mp.mpf("0.375")):
    # Chebyshev interpolants in t = x - centre on each interval: within a small factor of minimax.
    coefs, worst = [], 0
    for k in range(n):
        c, h = lo + (k + mp.mpf(0.5)) * w, w / 2
        nodes = [h * mp.cos(mp.pi * (2 * i + 1) / (2 * (deg + 1))) for i in range(deg + 1)]
        a = mp.lu_solve(mp.matrix([[t**j for j in range(deg + 1)] for t in nodes]),
                        mp.matrix([mp.ncdf(c + t) for t in nodes]))
        af = [f32(a[j]) for j in range(deg + 1)]
        grid = [h * (2 * i / mp.mpf(200) - 1) for i in range(201)]
        worst = max(worst, max(abs(sum(af[j] * t**j for j in range(deg + 1)) - mp.ncdf(c + t)) for t in grid))
        coefs.append(af)
    print("worst |error|", mp.nstr(worst, 3))
    for j in range(deg + 1):
        print("    {" + ", ".join("%.9g" % coefs[k][j] for k in range(n)) + "},")


def erfcx_rational(np_=4, nq=4, c=mp.mpf(4), points=500, iterations=40):
    # P/Q with Q(0) = 1 by linearized least squares (Sanathanan-Koerner), reweighted toward the
    # largest relative errors (Lawson) to approach minimax.
    xs = [c * (1 - mp.cos(mp.pi * (i + mp.mpf(0.5)) / points)) / 2 for i in range(points)]
    fs = [mp.erfc(x) * mp.exp(x * x) for x in xs]
    w, qprev = [mp.mpf(1)] * points, [mp.mpf(1)] * points
    for _ in range(iterations):
        rows, rhs = [], []
        for x, f, wi, qp in zip(xs, fs, w, qprev):
            s = mp.sqrt(wi) / abs(qp) / f
            rows.append([s * x**k for k in range(np_ + 1)] + [-s * f * x**k for k in range(1, nq + 1)])
            rhs.append(s * f)
        sol = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))[0]
        P = [sol[i] for i in range(np_ + 1)]
        Q = [mp.mpf(1)] + [sol[np_ + 1 + i] for i in range(nq)]
        qprev = [mp.polyval(Q[::-1], x) for x in xs]
        errs = [(mp.polyval(P[::-1], x) / q - f) / f for x, f, q in zip(xs, fs, qprev)]
        m = max(abs(e) for e in errs)
        w = [wi * abs(e) / m + mp.mpf(10) ** -30 for wi, e in zip(w, errs)]
        total = sum(w)
        w = [wi / total for wi in w]
    dense = [c * i / 8000 for i in range(8001)]
    worst = max(abs(mp.polyval(P[::-1], x) / mp.polyval(Q[::-1], x) / (mp.erfc(x) * mp.exp(x * x)) - 1) for x in dense)
    print("worst relative error", mp.nstr(worst, 3))
    print("P (degree 0 up)", [mp.nstr(p, 10) for p in P])
    print("Q (degree 0 up)", [mp.nstr(q, 10) for q in Q])


if __name__ == "__main__":
    {"phi": phi_pieces, "erfcx": erfcx_rational}[sys.argv[1] if len(sys.argv) > 1 else "phi"]()
