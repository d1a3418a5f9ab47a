"""LU, triangular solves, Cholesky with its failure order and the matrix exponential on arrays of either backend.

NumPy's linalg has none of the first, and CuPy's (cupyx.scipy.linalg) handles one matrix at a time and
reports no failures, so these loop over the columns with whole-batch array operations: the same code on
NumPy and CuPy, no device synchronisation, LAPACK's results (getrf's pivots and info, potrf's info).
Each takes the array module xp and arrays [..., m, n].
"""
import contextlib
import math

import numpy as np


def _quiet(xp):
    """Division by a zero pivot gives inf/nan as LAPACK does, without NumPy's warning."""
    return np.errstate(divide="ignore", invalid="ignore") if xp is np else contextlib.nullcontext()


def lu_factor(xp, a, block=48):
    """(packed LU, 1-based int32 pivots, int32 info) of LU with partial pivoting, as LAPACK's getrf: the pivot
    of column j is its first entry of largest magnitude; info is the first j (1-based) with U[j, j] == 0.
    Blocked as getrf: columns are factored a panel of `block` at a time, the rest updated by one product."""
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    nb = math.prod(batch)
    lu = a.reshape((nb, m, n)).copy()
    piv = xp.zeros((nb, k), np.int32)
    info = xp.zeros((nb,), np.int32)
    rows = xp.arange(nb)
    with _quiet(xp):
        for j0 in range(0, k if lu.size else 0, block):
            j1 = min(j0 + block, k)
            for j in range(j0, j1):
                p = _pivot(xp, lu[:, j:, j]) + j
                piv[:, j] = p + 1
                row_j = lu[:, j, :].copy()
                lu[:, j, :] = lu[rows, p, :]
                lu[rows, p, :] = row_j
                d = lu[:, j, j]
                zero = d == 0
                info = xp.where((info == 0) & zero, np.int32(j + 1), info)
                if j + 1 < m:
                    # A zero pivot leaves its (all-zero) column unscaled, as getrf does.
                    col = xp.where(zero[:, None], lu[:, j + 1:, j],
                                   lu[:, j + 1:, j] / xp.where(zero, 1, d)[:, None])
                    lu[:, j + 1:, j] = col
                    lu[:, j + 1:, j + 1:j1] -= col[:, :, None] * lu[:, j, None, j + 1:j1]
            if j1 < n:  # U12 = L11^-1 A12, then A22 -= L21 U12
                lu[:, j0:j1, j1:] = solve_triangular(xp, lu[:, j0:j1, j0:j1], lu[:, j0:j1, j1:], False, True)
                if j1 < m:
                    lu[:, j1:, j1:] -= lu[:, j1:, j0:j1] @ lu[:, j0:j1, j1:]
    return lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)), info.reshape(batch)


def _pivot(xp, col):
    """The row of each column's first largest magnitude, as BLAS's idamax: a NaN is never larger, so it is
    chosen only as the first entry."""
    mag = xp.abs(col)
    nan = xp.isnan(mag)
    return xp.where(nan[:, 0], 0, xp.argmax(xp.where(nan, -1, mag), axis=1))


def permutation(xp, pivots, m, dtype):
    """The m x m matrices P of A = P L U from getrf's pivots [..., k]: row i of L U is row perm[i] of A."""
    batch, k = pivots.shape[:-1], pivots.shape[-1]
    nb = math.prod(batch)
    piv = pivots.reshape((nb, k)).astype(np.int64) - 1
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for j in range(k):
        at_j = perm[:, j].copy()
        perm[:, j] = perm[rows, piv[:, j]]
        perm[rows, piv[:, j]] = at_j
    P = (perm[:, None, :] == xp.arange(m)[:, None]).astype(dtype)
    return P.reshape(batch + (m, m))


def solve_triangular(xp, a, b, upper, unit):
    """X with A X = B for triangular A [..., n, n] (only its upper or lower triangle read; the diagonal taken as
    ones when unit), B [..., n, k]; batch dims broadcast. A zero on the diagonal gives inf/nan."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    n = a.shape[-1]
    a = xp.broadcast_to(a, batch + a.shape[-2:])
    x = xp.broadcast_to(b, batch + b.shape[-2:]).astype(np.result_type(a.dtype, b.dtype), copy=True)
    order = range(n - 1, -1, -1) if upper else range(n)
    with _quiet(xp):
        for i in order:
            done = slice(i + 1, n) if upper else slice(0, i)
            r = x[..., i, :] - (a[..., i:i + 1, done] @ x[..., done, :])[..., 0, :]
            x[..., i, :] = r if unit else r / a[..., i, i, None]
    return x


def cholesky(xp, a):
    """(lower factor, int32 info) of each symmetric matrix in a, read from its lower triangle, as LAPACK's
    unblocked potf2: info is the order of the first leading minor that is not positive-definite; from that
    column on the factor holds the input (the failing diagonal entry the reduced value there)."""
    batch, n = a.shape[:-2], a.shape[-1]
    a = a.reshape((math.prod(batch), n, n))
    L = xp.tril(a)
    info = xp.zeros((a.shape[0],), np.int32)
    ok = info == 0
    for j in range(n):
        lj = L[:, j, :j]
        d = a[:, j, j] - (lj * lj).sum(-1)
        bad = ok & ~(d > 0)
        info = xp.where(bad, np.int32(j + 1), info)
        ok = ok & ~bad
        root = xp.sqrt(xp.where(ok, d, 1))
        L[:, j, j] = xp.where(ok, root, xp.where(bad, d, L[:, j, j]))
        if j + 1 < n:
            col = (a[:, j + 1:, j] - (L[:, j + 1:, :j] @ lj[:, :, None])[..., 0]) / root[:, None]
            L[:, j + 1:, j] = xp.where(ok[:, None], col, L[:, j + 1:, j])
    return L.reshape(batch + (n, n)), info.reshape(batch)


# Higham (2005), "The scaling and squaring method for the matrix exponential revisited": the [13/13] Pade
# approximant's coefficients, and the 1-norm up to which it is accurate to double precision.
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def matrix_exp(xp, a):
    """exp(A) of each square matrix by scaling and squaring: A / 2^s (s from the largest 1-norm in the batch,
    read on the host: one synchronisation on CUDA) through the [13/13] Pade approximant, then squared s times."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norm = float(xp.abs(a).sum(-2).max())
    s = max(0, math.ceil(math.log2(norm / _THETA13))) if math.isfinite(norm) and norm > 0 else 0
    A = a / a.dtype.type(2.0 ** s)
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    X = xp.linalg.solve(V - U, V + U)
    for _ in range(s):
        X = X @ X
    return X
