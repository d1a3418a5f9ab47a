"""xptorch.linalg: PyTorch's linear-algebra functions over NumPy's / CuPy's LAPACK routines.

Decompositions and solvers are autograd Functions: LAPACK forward on arrays, backward PyTorch's formula
in differentiable tensor ops (so higher derivatives work) and PyTorch's grad_fn names; norms, pinv,
lstsq, matrix_power, multi_dot and cross are built from them and from other tensor ops. Errors are PyTorch's, singular and non-positive-definite input
raising LinAlgError (a RuntimeError). On a CUDA device CuPy does not report singular input: the result
holds inf/nan there, as checking would cost a device synchronisation.
LU (lu_factor, lu, lu_solve, solve_ex), triangular solves, cholesky_ex and matrix_exp run on backend/lapack.py's
batched array code, the same on both devices; their info outputs and errors are the same on both too.
"""
import collections
import math

import numpy as np

from . import _dtype
from ._ops import _common as C
from ._ops import reduce as _red
from ._tensor import Tensor
from .autograd.function import Function

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "svd",
           "svdvals", "qr", "pinv", "matrix_rank", "lstsq", "norm", "vector_norm", "matrix_norm", "multi_dot",
           "matrix_power", "cond", "cross", "vecdot", "diagonal", "matmul", "vander", "solve_triangular",
           "lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve_ex", "cholesky_ex", "matrix_exp", "tensorinv",
           "tensorsolve"]


class LinAlgError(RuntimeError):
    """Raised for singular or non-positive-definite input, as torch.linalg.LinAlgError."""

    __module__ = "xptorch.linalg"


def _node_name(fn_cls, name):
    """Give a Function's graph nodes PyTorch's grad_fn name (LinalgInvExBackward0, ...)."""
    for cls in (fn_cls._backward_cls, fn_cls._output_cls):
        cls.__name__ = cls.__qualname__ = name
    return fn_cls


def _legacy(t):
    return _dtype.from_numpy_dtype(t._data.dtype)._legacy[:-len("Tensor")]


def _check_float(A, fn):
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_{fn.split('.')[-1]}(): argument 'A' (position 1) must be Tensor, "
                        f"not {type(A).__name__}")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got {_legacy(A)}")


def _check_matrix(A, fn, name="A"):
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")


def _check_square(A, fn):
    _check_float(A, fn)
    _check_matrix(A, fn)
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {m} by {n} matrices")


def _mT(a):
    return C.get_xp(a).swapaxes(a, -1, -2)


def _eye(t, n):
    """The n x n identity in t's dtype, on its device."""
    from ._factories import eye

    return eye(n, dtype=t.dtype, device=t.device)


def _diag(v):
    """Tensor v[..., n] as diagonal matrices [..., n, n] (differentiable)."""
    return v.unsqueeze(-1) * _eye(v, v.shape[-1])


def _batch_prefix(shape, flat_index):
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def _host(a):
    return np.asarray(a) if isinstance(a, (np.ndarray, np.generic, bool)) else C.get_xp(a).asnumpy(a)


def _first_failure(A, check):
    """(batch index, detail) of the first matrix in A (on the host) for which check(matrix) gives a detail."""
    a = _host(A)
    mats = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(mats):
        detail = check(m.astype(np.float64))
        if detail is not None:
            return _batch_prefix(a.shape, i), detail
    return "", None


def _zero_pivot(m):
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (LAPACK getrf's info)."""
    m = m.copy()
    n = m.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(m[k:, k])))
        if m[p, k] == 0:
            return k + 1
        m[[k, p]] = m[[p, k]]
        m[k + 1:, k:] -= np.outer(m[k + 1:, k] / m[k, k], m[k, k:])
    return None


def _not_pd_order(m):
    for k in range(1, m.shape[0] + 1):
        try:
            np.linalg.cholesky(m[:k, :k])
        except np.linalg.LinAlgError:
            return k
    return None


def _is_linalg_error(e):
    return type(e).__name__ == "LinAlgError"


# ---- inverse, determinant, solve -----------------------------------------------------------------
def _inv_array(ad, fn="linalg.inv"):
    xp = C.get_xp(ad)
    try:
        return xp.linalg.inv(ad)
    except Exception as e:
        if not _is_linalg_error(e):
            raise
        prefix, k = _first_failure(ad, _zero_pivot)
        raise LinAlgError(f"{fn}: {prefix}The diagonal element {k or 1} is zero, the inversion could not be "
                          "completed because the input matrix is singular.") from None


class _Inv(Function):
    @staticmethod
    def forward(ctx, A):
        out = C.wrap(_inv_array(A._data), A._device)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        # Tensor ops throughout: under create_graph this backward is itself differentiated.
        (Ainv,) = ctx.saved_tensors
        a = Ainv.mT
        return -(a @ g @ a)


_node_name(_Inv, "LinalgInvExBackward0")


def inv(A, *, out=None):
    """The inverse of each square matrix in A; LinAlgError when one is singular."""
    _check_square(A, "linalg.inv")
    return _Inv.apply(A)


def inv_ex(A, *, check_errors=False, out=None):
    """(inverse, info): info 0 where the matrix was invertible (errors raised as inv when check_errors)."""
    inverse = inv(A)
    info = C.wrap(C.get_xp(A._data).zeros(A._data.shape[:-2], np.int32), A._device)
    return _InvEx(inverse, info)


class _Det(Function):
    @staticmethod
    def forward(ctx, A):
        ad = A._data
        xp = C.get_xp(ad)
        out = C.wrap(xp.asarray(xp.linalg.det(ad), dtype=ad.dtype), A._device)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        dd = d._data
        if bool(_host(C.get_xp(dd).all(dd != 0))):
            return (g * d).unsqueeze(-1).unsqueeze(-1) * inv(A).mT
        return C.wrap(g._data[..., None, None] * _cofactors(A._data), g._device)


def _cofactors(ad):
    """The cofactor matrix of each matrix in ad through its SVD (A = U S Vh): valid for singular A too."""
    xp = C.get_xp(ad)
    u, s, vh = xp.linalg.svd(ad)
    # prods[..., i]: the product of every singular value but the i-th.
    ones = xp.ones(s.shape[:-1] + (1,), s.dtype)
    left = xp.concatenate([ones, xp.cumprod(s[..., :-1], axis=-1)], axis=-1)
    right = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(s, -1)[..., :-1], axis=-1)], axis=-1), -1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return (u * (left * right)[..., None, :]) @ vh * sign[..., None, None]


_node_name(_Det, "LinalgDetBackward0")


def det(A, *, out=None):
    """The determinant of each square matrix in A."""
    _check_square(A, "linalg.det")
    return _Det.apply(A)


class _Slogdet(Function):
    @staticmethod
    def forward(ctx, A):
        ad = A._data
        xp = C.get_xp(ad)
        sign, logabs = xp.linalg.slogdet(ad)
        ctx.save_for_backward(A)
        dev = A._device
        return C.wrap(xp.asarray(sign, dtype=ad.dtype), dev), C.wrap(xp.asarray(logabs, dtype=ad.dtype), dev)

    @staticmethod
    def backward(ctx, gsign, glog):
        (A,) = ctx.saved_tensors
        if glog is None:
            return None
        return glog.unsqueeze(-1).unsqueeze(-1) * inv(A).mT


_node_name(_Slogdet, "LinalgSlogdetBackward0")

_SlogdetResult = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_SlogdetTop = collections.namedtuple("slogdet", ["sign", "logabsdet"])
_InvEx = collections.namedtuple("linalg_inv_ex", ["inverse", "info"])


def slogdet(A, *, out=None):
    """(sign, log|det|) of each square matrix in A."""
    _check_square(A, "linalg.slogdet")
    sign, logabs = _Slogdet.apply(A)
    return _SlogdetResult(sign, logabs)


def _vector_rhs(A, B):
    return B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and B._data.shape == A._data.shape[:-1])


def _same_dtype(fn, a, b, na, nb):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"{fn}: Expected {na} and {nb} to have the same dtype, but found {na} of type "
                           f"{_legacy(a)} and {nb} of type {_legacy(b)} instead")


def _check_rhs(fn, A, B, left):
    n = A._data.shape[-1]
    r, c = B._data.shape[-2:]
    if (r if left else c) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {r}x{c})")


class _Solve(Function):
    @staticmethod
    def forward(ctx, A, B):
        ad, bd = A._data, B._data
        xp = C.get_xp(ad)
        vec = _vector_rhs(A, B)
        b = bd[..., None] if vec else bd
        ad_b, b_b = ad, b
        batch = np.broadcast_shapes(ad.shape[:-2], b.shape[:-2])
        ad_b = xp.broadcast_to(ad, batch + ad.shape[-2:])
        b_b = xp.broadcast_to(b, batch + b.shape[-2:])
        try:
            x = xp.linalg.solve(ad_b, b_b)
        except Exception as e:
            if not _is_linalg_error(e):
                raise
            prefix, _ = _first_failure(ad_b, _zero_pivot)
            raise LinAlgError(f"torch.linalg.solve: {prefix}The solver failed because the input matrix is "
                              "singular.") from None
        if vec:
            x = x[..., 0]
        out = C.wrap(x, A._device)
        ctx.vec = vec
        ctx.save_for_backward(A, out)
        ctx.shapes = (ad.shape, bd.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        if ctx.vec:
            g, X = g.unsqueeze(-1), X.unsqueeze(-1)
        gb = solve(A.mT, g)
        ga = -(gb @ X.mT)
        if ctx.vec:
            gb = gb.squeeze(-1)
        return ga, gb


_node_name(_Solve, "LinalgSolveExBackward0")


def solve(A, B, *, left=True, out=None):
    """X with A X = B (left=True) or X A = B; B a (batch of) vector(s) or matrices."""
    _check_square(A, "linalg.solve")
    _check_float(B, "linalg.solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy(A)} and B of type {_legacy(B)} instead")
    _solve_rhs(A, B, left)
    if not left:  # X A = B is A^T X^T = B^T
        return solve(A.mT, B.mT).mT
    return _Solve.apply(A, B)


def _solve_rhs(A, B, left):
    """Whether B is a (batch of) vector(s), after torch's checks of its shape against A's."""
    vec = _vector_rhs(A, B)
    if not vec:
        _check_matrix(B, "linalg.solve", "B")
    _check_rhs("linalg.solve", A, B.unsqueeze(-1) if vec else B, left)
    if vec and not left:
        raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not supported for left=False. "
                           "In this case linalg.solve is equivalent to B / A.squeeze(-1)")
    return vec


# ---- decompositions ------------------------------------------------------------------------------
class _Cholesky(Function):
    @staticmethod
    def forward(ctx, A, upper):
        ad = _mT(A._data) if upper else A._data  # upper=True reads A's upper triangle, as torch
        xp = C.get_xp(ad)
        try:
            L = xp.linalg.cholesky(ad)
        except Exception as e:
            if not _is_linalg_error(e):
                raise
            prefix, k = _first_failure(ad, _not_pd_order)
            raise LinAlgError(f"linalg.cholesky: {prefix}The factorization could not be completed because the "
                              f"input is not positive-definite (the leading minor of order {k or 1} is not "
                              "positive-definite).") from None
        out = C.wrap(_mT(L).copy() if upper else L, A._device)
        ctx.upper = upper
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved_tensors
        return _cholesky_grad(L, g, ctx.upper), None


_node_name(_Cholesky, "LinalgCholeskyExBackward0")


def cholesky(A, *, upper=False, out=None):
    """The lower (or upper) Cholesky factor of each symmetric positive-definite matrix in A."""
    _check_square(A, "linalg.cholesky")
    return _Cholesky.apply(A, upper)


class _Eigh(Function):
    @staticmethod
    def forward(ctx, A, UPLO):
        ad = A._data
        xp = C.get_xp(ad)
        w, v = xp.linalg.eigh(ad, UPLO=UPLO)
        W, V = C.wrap(w, A._device), C.wrap(v, A._device)
        ctx.save_for_backward(W, V)
        ctx.set_materialize_grads(False)
        return W, V

    @staticmethod
    def backward(ctx, gw, gv=None):
        W, V = ctx.saved_tensors
        n = W.shape[-1]
        inner = None
        if gv is not None:
            vhgv = V.mT @ gv
            vhgv = 0.5 * (vhgv - vhgv.mT)
            # E[i, j] = w_j - w_i off the diagonal, 1 on it (where the skew part is 0).
            E = W.unsqueeze(-2) - W.unsqueeze(-1) + _eye(W, n)
            inner = vhgv / E
        if gw is not None:
            inner = _diag(gw) if inner is None else inner + _diag(gw)
        return V @ inner @ V.mT, None


_node_name(_Eigh, "LinalgEighBackward0")

_EighResult = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues ascending, eigenvectors) of each symmetric matrix in A, from its UPLO triangle."""
    _check_square(A, "linalg.eigh")
    _check_uplo(UPLO)
    w, v = _Eigh.apply(A, UPLO)
    return _EighResult(w, v)


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues (ascending) of each symmetric matrix in A."""
    _check_square(A, "linalg.eigvalsh")
    _check_uplo(UPLO)
    # Both factors stay in the graph: second derivatives of the eigenvalues go through the vectors.
    return _Eigh.apply(A, UPLO)[0]


class _Svd(Function):
    @staticmethod
    def forward(ctx, A, full_matrices):
        ad = A._data
        xp = C.get_xp(ad)
        dev = A._device
        u, s, vh = xp.linalg.svd(ad, full_matrices=full_matrices)
        U, S, Vh = C.wrap(u, dev), C.wrap(s, dev), C.wrap(vh, dev)
        ctx.save_for_backward(U, S, Vh)
        ctx.set_materialize_grads(False)
        return U, S, Vh

    @staticmethod
    def backward(ctx, *grads):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        gu, gs, gvh = grads
        U, Vh = U[..., :, :k], Vh[..., :k, :]
        if gu is not None:
            gu = gu[..., :, :k]
        if gvh is not None:
            gvh = gvh[..., :k, :]
        return _svd_backward(gu, gs, gvh, U, S, Vh), None


def _svd_backward(gU, gS, gVh, U, S, Vh):
    """PyTorch's svd_backward (real case) for the reduced factors, in differentiable tensor ops."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gU is None and gVh is None:
        gS = S * 0 if gS is None else gS
        return U @ (gS.unsqueeze(-1) * Vh) if m >= n else (U * gS.unsqueeze(-2)) @ Vh

    def skew(a):
        return a - a.mT

    UhgU = skew(U.mT @ gU) if gU is not None else None
    VhgV = skew(Vh @ gVh.mT) if gVh is not None else None
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye(S, S.shape[-1])
    if gU is not None and gVh is not None:
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    elif gU is not None:
        gA = UhgU * (S.unsqueeze(-2) / E)
    else:
        gA = S.unsqueeze(-1) * (VhgV / E)
    if gS is not None:
        gA = gA + _diag(gS)
    if m > n and gU is not None:
        gA = U @ gA
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - U @ (U.mT @ gUSinv)
        gA = gA @ Vh
    elif m < n and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - (SinvgVh @ Vh.mT) @ Vh
        gA = U @ gA
    else:
        gA = U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh
    return gA


_node_name(_Svd, "LinalgSvdBackward0")

_SvdResult = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; full_matrices=False gives the reduced factors."""
    _check_float(A, "linalg.svd")
    _check_matrix(A, "linalg.svd")
    U, S, Vh = _Svd.apply(A, full_matrices)
    return _SvdResult(U, S, Vh)


def svdvals(A, *, driver=None, out=None):
    """The singular values of each matrix in A, descending."""
    _check_float(A, "linalg.svdvals")
    _check_matrix(A, "linalg.svdvals")
    # All factors stay in the graph: second derivatives of the values go through the vectors.
    return _Svd.apply(A, False)[1]


class _Qr(Function):
    @staticmethod
    def forward(ctx, A, mode):
        ad = A._data
        xp = C.get_xp(ad)
        dev = A._device
        if mode == "r":
            r = xp.linalg.qr(ad, mode="r")
            Q = C.wrap(xp.zeros((0,), ad.dtype), dev)
            ctx.mark_non_differentiable(Q)
            R = C.wrap(r, dev)
            ctx.save_for_backward(None, R)
            ctx.mode = mode
            return Q, R
        q, r = xp.linalg.qr(ad, mode=mode)
        Q, R = C.wrap(q, dev), C.wrap(r, dev)
        ctx.save_for_backward(Q, R)
        ctx.mode = mode
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        gQ = Q * 0 if gQ is None else gQ
        gR = R * 0 if gR is None else gR
        if m >= n:
            return _qr_backward_tall(Q, R, gQ, gR), None
        # m < n: A = [X | Y] with Q R1 = X (square) and R2 = Q^T Y, so Y reaches Q through R2.
        from ._functions import cat

        R1, gR1, gR2 = R[..., :, :m], gR[..., :, :m], gR[..., :, m:]
        gX = _qr_backward_tall(Q, R1, gQ + Q @ (R[..., :, m:] @ gR2.mT), gR1)  # Y = Q R2
        return cat([gX, Q @ gR2], -1), None


def _qr_backward_tall(Q, R, gQ, gR):
    """gA of A = QR with m >= n: M = R gR^T - gQ^T Q; gA = (gQ + Q copyltu(M)) R^-T."""
    M = R @ gR.mT - gQ.mT @ Q
    low = M.tril(-1)
    copyltu = low + low.mT + M * _eye(M, M.shape[-1])
    return solve(R, (gQ + Q @ copyltu).mT).mT


_node_name(_Qr, "LinalgQrBackward0")

_QrResult = collections.namedtuple("linalg_qr", ["Q", "R"])


def qr(A, mode="reduced", *, out=None):
    """(Q, R) with A = QR: mode 'reduced' (default), 'complete', or 'r' (R only, Q empty)."""
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    _check_float(A, "linalg.qr")
    _check_matrix(A, "linalg.qr")
    Q, R = _Qr.apply(A, mode)
    return _QrResult(Q, R)


# ---- built from the above ------------------------------------------------------------------------
class _Pinv(Function):
    """pinv as one graph node (PyTorch's LinalgPinvBackward0); its backward differentiates the composite."""

    @staticmethod
    def forward(ctx, A, atol, rtol):
        ctx.save_for_backward(A)
        ctx.tol = (atol, rtol)
        return _pinv(A.detach(), atol, rtol)

    @staticmethod
    def backward(ctx, g):
        from .autograd import enable_grad, grad, is_grad_enabled

        (A,) = ctx.saved_tensors
        graph = is_grad_enabled()  # create_graph: differentiate through the real input
        src = A if graph else A.detach().requires_grad_()
        with enable_grad():
            out = _pinv(src, *ctx.tol)
        (ga,) = grad(out, src, g, create_graph=graph)
        return ga, None, None


_node_name(_Pinv, "LinalgPinvBackward0")


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse: singular values at most max(atol, rtol * largest) count as zero
    (rtol defaults to eps * max(m, n) when neither is given)."""
    if not isinstance(A, Tensor) or A._data.dtype.kind != "f" or A._data.ndim < 2:
        kind = _legacy(A) if isinstance(A, Tensor) else type(A).__name__
        shape = list(A.shape) if isinstance(A, Tensor) else []
        raise RuntimeError(f"linalg.pinv({kind}{{{shape}}}): expected a tensor with 2 or more dimensions of "
                           "float, double, cfloat or cdouble types")
    return _Pinv.apply(A, atol, rtol) if A.requires_grad else _pinv(A, atol, rtol)


def _pinv(A, atol, rtol):
    U, S, Vh = svd(A, full_matrices=False)
    tol = _tolerance(A, S, atol, rtol)
    keep = S > tol
    from ._functions import where
    Sinv = where(keep, 1 / where(keep, S, S.new_ones(())), S.new_zeros(()))
    return (Vh.mT * Sinv.unsqueeze(-2)) @ U.mT


def _tolerance(A, S, atol, rtol):
    m, n = A._data.shape[-2:]
    smax = S.detach().amax(-1, keepdim=True) if S.shape[-1] else S.detach().new_zeros(S.shape[:-1] + (1,))
    if rtol is None:
        rtol = 0.0 if (atol is not None and (not isinstance(atol, (int, float)) or atol > 0)) \
            else float(np.finfo(A._data.dtype).eps) * max(m, n)
    tol = smax * rtol
    if atol is not None:
        from ._functions import maximum
        a = atol if isinstance(atol, Tensor) else A.new_tensor(float(atol))
        tol = maximum(tol, a.unsqueeze(-1) if isinstance(atol, Tensor) else a)
    return tol


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values above the tolerance of pinv, per matrix (int64)."""
    _check_float(A, "torch.linalg.matrix_rank")
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    S = svdvals(A.detach())
    return (S > _tolerance(A, S, atol, rtol)).sum(-1)


_LstsqResult = collections.namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X of A X = B (by the pseudo-inverse), as PyTorch's default 'gelsy' gives it;
    residuals, rank and singular_values are empty as there."""
    _check_float(A, "torch.linalg.lstsq")
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    vec = B._data.ndim == A._data.ndim - 1
    if (B._data.shape[-1] if vec else B._data.shape[-2]) != A._data.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size({-1 if vec else -2})")
    X = pinv(A) @ (B.unsqueeze(-1) if vec else B)
    if vec:
        X = X.squeeze(-1)
    empty = A.new_zeros((0,))
    rank = C.wrap(C.get_xp(A._data).zeros((), np.int64), A._device)
    return _LstsqResult(X, empty, rank, empty.detach())


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """(sum |x|^ord)^(1/ord) over dim (all elements by default); ord inf/-inf give max/min |x|, 0 the count
    of nonzeros."""
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg_vector_norm(): argument 'x' (position 1) must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_legacy(x)}")
    if dtype is not None:
        x = x.to(dtype)
    # One node with PyTorch's gradient (zero where the norm is zero) and name: the norm the tensor API uses.
    return _red.vector_norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """'fro', 'nuc', inf, -inf, 1, -1, 2 or -2 norm of each matrix over the two dims in dim."""
    _check_float(A, "linalg.matrix_norm")
    _check_matrix(A, "linalg.matrix_norm")
    if ord not in ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.dim() for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        M = A.movedim((d0, d1), (-2, -1))
        S = svdvals(M)
        r = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            r = r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return r
    # 1 / inf: max (or min) over the other dim of the abs sums along one dim.
    sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
    s = A.abs().sum(dim=sum_dim, keepdim=True)
    r = s.amax(dim=red_dim, keepdim=True) if ord > 0 else s.amin(dim=red_dim, keepdim=True)
    return r if keepdim else r.squeeze((d0, d1))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector norm (1-D input or one dim) or matrix norm (2-D input or two dims); all elements' 2-norm
    when neither ord nor dim is given."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_norm(): argument 'A' (position 1) must be Tensor, not {type(A).__name__}")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {A.dim()}D.")
    if A.dim() == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


def cond(A, p=None, *, out=None):
    """The condition number: ratio of extreme singular values (p None/2/-2), else norm(A) * norm(inv(A))."""
    _check_float(A, "linalg.cond")
    _check_matrix(A, "linalg.cond")
    if p is None or p in (2, -2):
        S = svdvals(A)
        return S.amax(-1) / S.amin(-1) if p != -2 else S.amin(-1) / S.amax(-1)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices (first and last may be vectors), left to right."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        nd = t.dim()
        if (i in (0, len(tensors) - 1) and nd not in (1, 2)) or (0 < i < len(tensors) - 1 and nd != 2):
            which = "first" if i == 0 else "last" if i == len(tensors) - 1 else None
            if which:
                raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {nd}D")
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    first_vec, last_vec = tensors[0].dim() == 1, tensors[-1].dim() == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(len(mats) - 1):
        if mats[i].shape[-1] != mats[i + 1].shape[-2]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i].shape)} and "
                               f"{list(mats[i + 1].shape)} cannot be multiplied")
    out = mats[0]
    for m in mats[1:]:
        out = out.mm(m)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def matrix_power(A, n, *, out=None):
    """A to the integer power n by repeated squaring (n < 0: of inv(A); n = 0: the identity)."""
    _check_matrix(A, "linalg.matrix_power")
    m, k = A._data.shape[-2:]
    if m != k:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are {m} by {k} "
                           "matrices")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    if n == 0:
        # A copy of A overwritten by the identity: PyTorch's result stays in the graph (zero gradient).
        from ._factories import eye
        return A.clone().copy_(eye(m, dtype=A.dtype, device=A.device).expand(A.shape))
    if n == 1:
        return A.clone()
    if n < 0:
        _check_float(A, "linalg.inv")
        A, n = inv(A), -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along dim, inputs broadcast: component i is
    input[i+1] other[i+2] - input[i+2] other[i+1] (indices mod 3)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        bad = input if not isinstance(input, Tensor) else other
        raise TypeError(f"linalg_cross(): argument '{'input' if bad is input else 'other'}' must be Tensor, "
                        f"not {type(bad).__name__}")
    na, nb = input.shape[dim] if input.dim() else 0, other.shape[dim] if other.dim() else 0
    if na != 3 or nb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} and {nb}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input)} but found {_legacy(other)}")
    a1, a2 = input.roll(-1, dim), input.roll(-2, dim)
    b1, b2 = other.roll(-1, dim), other.roll(-2, dim)
    return a1 * b2 - a2 * b1


# ---- products and views under linalg's names ---------------------------------------------------------
def _need_tensor(x, fn, name, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}")


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of the vectors along dim, x and y broadcast: sum(x * y, dim)."""
    _need_tensor(x, "linalg_vecdot", "x", 1)
    _need_tensor(y, "linalg_vecdot", "y", 2)
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_legacy(x)} and y of type {_legacy(y)} instead")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got {_legacy(x)}")
    if x.dim() == 1 and y.dim() == 1 and dim in (0, -1):
        return x.dot(y)  # torch's 1-D case (and its size error)
    return (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix over the last two dims (a view): torch.diagonal with linalg's defaults."""
    _need_tensor(A, "linalg_diagonal", "A", 1)
    return A.diagonal(offset, dim1, dim2)


def matmul(input, other, *, out=None):
    """The matrix product, as torch.matmul."""
    from ._functions import matmul as _matmul

    return _matmul(input, other)


def vander(x, *, N=None):
    """The Vandermonde matrices [..., n, N] of powers x^0, x^1, ..., x^(N-1) (integers in int64)."""
    _need_tensor(x, "linalg_vander", "x", 1)
    if x._data.dtype == np.bool_:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    if N is not None and (not isinstance(N, int) or isinstance(N, bool)):
        raise TypeError(f"linalg_vander(): argument 'N' must be int, not {type(N).__name__}")
    n = x.shape[-1] if x.dim() else 1
    N = n if N is None else N
    if N <= 1:
        raise RuntimeError("N must be greater than 1.")
    if x._data.dtype.kind != "f":
        x = x.long()
    from ._functions import cat
    # Running products (not pow): exact for integers, and their gradient is finite at zero.
    powers = x.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)
    return cat([x.new_ones(tuple(x.shape) + (1,)), powers], -1)


# ---- triangular solves and LU ------------------------------------------------------------------------
def _tri_part(g, upper, unitriangular):
    """g projected onto the entries a triangular solve reads: the (strict, when unit) upper or lower triangle."""
    k = int(unitriangular)
    return g.triu(k) if upper else g.tril(-k)


class _SolveTriangular(Function):
    @staticmethod
    def forward(ctx, A, B, upper, left, unitriangular):
        from .backend import lapack

        xp = C.get_xp(A._data)
        if left:
            x = lapack.solve_triangular(xp, A._data, B._data, upper, unitriangular)
        else:  # X A = B is A^T X^T = B^T
            x = _mT(lapack.solve_triangular(xp, _mT(A._data), _mT(B._data), not upper, unitriangular))
        out = C.wrap(x, A._device)
        ctx.flags = (upper, left, unitriangular)
        ctx.b_shape = B.shape
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        upper, left, unit = ctx.flags
        gB = solve_triangular(A.mT, g, upper=not upper, left=left, unitriangular=unit)
        gA = -(gB @ X.mT) if left else -(X.mT @ gB)
        return _tri_part(gA, upper, unit).sum_to_size(A.shape), gB.sum_to_size(ctx.b_shape), None, None, None


_node_name(_SolveTriangular, "LinalgSolveTriangularBackward0")


def _lapack_dtype(A, kernel):
    if A._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(A)}'")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (left) or X A = B for triangular A: only its upper (upper=True) or lower triangle is read,
    its diagonal taken as ones when unitriangular. Batch dims broadcast."""
    _need_tensor(A, "linalg_solve_triangular", "A", 1)
    _need_tensor(B, "linalg_solve_triangular", "B", 2)
    fn = "linalg.solve_triangular"
    _check_matrix(A, fn)
    _check_matrix(B, fn, "B")
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {m} by {n} matrices")
    _check_rhs(fn, A, B, left)
    _lapack_dtype(A, "triangular_solve_cpu")
    B = B.to(A.dtype)  # B takes A's dtype, as in torch
    return _SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


def _unpack(LU, unit=True):
    """L (unit lower, [..., m, k]; without its unit diagonal when not unit) and U ([..., k, n]) from a packed
    LU, differentiably."""
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = LU[..., :, :k].tril(-1)
    return (L + _eye(LU, m)[:, :k] if unit else L), LU[..., :k, :].triu()


class _LuFactor(Function):
    @staticmethod
    def forward(ctx, A):
        from .backend import lapack

        dev = A._device
        lu, piv, info = lapack.lu_factor(C.get_xp(A._data), A._data)
        LU, P, I = C.wrap(lu, dev), C.wrap(piv, dev), C.wrap(info, dev)
        ctx.mark_non_differentiable(P, I)
        ctx.save_for_backward(LU, P)
        return LU, P, I

    @staticmethod
    def backward(ctx, g, gpiv=None, ginfo=None):
        LU, piv = ctx.saved_tensors
        return _lu_backward(*_unpack(LU), piv, *_unpack(g, unit=False))


def _lu_backward(L, U, piv, gL, gU):
    """gA of A = P L U from gL [..., m, k] (strictly lower part read) and gU [..., k, n] (upper part read).

    With k = min(m, n), L = [L1; L2] (rows k:), U = [U1, U2] (columns k:): from
    L1^-1 P^T dA U1^-1 = L1^-1 dL1 + dU1 U1^-1 (strictly lower + upper), with dU2 and dL2 following,
      G = tril_-1(L1^T gL1 - gU2 U2^T) + triu(gU1 U1^T - L2^T gL2)
      P^T gA = [L1^-T [G U1^-T, gU2]; gL2 U1^-T]
    """
    from ._functions import cat

    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    L1, L2, gL1, gL2 = L[..., :k, :], L[..., k:, :], gL[..., :k, :], gL[..., k:, :]
    U1, U2, gU1, gU2 = U[..., :, :k], U[..., :, k:], gU[..., :, :k], gU[..., :, k:]
    G = (L1.mT @ gL1 - gU2 @ U2.mT).tril(-1) + (gU1 @ U1.mT - L2.mT @ gL2).triu()
    top = cat([solve_triangular(U1.mT, G, upper=False, left=False), gU2], -1)
    top = solve_triangular(L1.mT, top, upper=True, unitriangular=True)
    if m > k:
        top = cat([top, solve_triangular(U1.mT, gL2, upper=False, left=False)], -2)
    return _permutation(piv, m, L) @ top


_node_name(_LuFactor, "LinalgLuFactorExBackward0")


def _permutation(pivots, m, like):
    from .backend import lapack

    return C.wrap(lapack.permutation(C.get_xp(pivots._data), pivots._data, m, like._data.dtype), like._device)


_LuFactorResult = collections.namedtuple("linalg_lu_factor", ["LU", "pivots"])
_LuFactorExResult = collections.namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
_LuResult = collections.namedtuple("linalg_lu", ["P", "L", "U"])


def _lu_checks(A, fn, pivot, dims_fn=None):
    _need_tensor(A, fn.replace(".", "_").replace("xptorch_", ""), "A", 1)
    if A._data.ndim < 2:
        raise RuntimeError(f"{dims_fn or fn}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if A._data.size:  # torch factors an empty tensor of any dtype
        _lapack_dtype(A, "lu_cpu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _raise_zero_pivot(info, fn):
    """The error for the first matrix whose U has a zero on its diagonal (one device synchronisation): a plain
    RuntimeError, not a LinAlgError, as torch's."""
    bad = _host(info).reshape(-1)
    i = int(np.flatnonzero(bad)[0])
    k = int(bad[i])
    prefix = _batch_prefix(tuple(info.shape) + (0, 0), i)
    raise RuntimeError(f"{fn}: {prefix}U[{k},{k}] is zero and using it on lu_solve would result in a division by "
                      "zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) "
                      "or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """(LU, pivots, info): LU with partial pivoting packed as LAPACK's getrf gives it (L's unit diagonal left
    out), its 1-based int32 row swaps, and info: 0, or the first k with U[k, k] == 0 (1-based)."""
    _lu_checks(A, "xptorch.linalg.lu_factor_ex", pivot, "xptorch.lu_factor_ex")
    LU, piv, info = _LuFactor.apply(A)
    if check_errors and _host(C.get_xp(info._data).any(info._data)):
        _raise_zero_pivot(info._data, "xptorch.linalg.lu_factor_ex")
    return _LuFactorExResult(LU, piv, info)


def lu_factor(A, *, pivot=True, out=None):
    """(LU, pivots) of lu_factor_ex; RuntimeError where some U has a zero on its diagonal."""
    _lu_checks(A, "xptorch.linalg.lu_factor", pivot, "xptorch.lu_factor")
    LU, piv, info = _LuFactor.apply(A)
    if _host(C.get_xp(info._data).any(info._data)):
        _raise_zero_pivot(info._data, "xptorch.linalg.lu_factor")
    return _LuFactorResult(LU, piv)


class _Lu(Function):
    @staticmethod
    def forward(ctx, A):
        from .backend import lapack

        xp, dev = C.get_xp(A._data), A._device
        m, n = A._data.shape[-2:]
        k = min(m, n)
        lu, piv, _ = lapack.lu_factor(xp, A._data)
        P = C.wrap(lapack.permutation(xp, piv, m, lu.dtype), dev)
        L = C.wrap(xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype), dev)
        U = C.wrap(xp.triu(lu[..., :k, :]), dev)
        ctx.mark_non_differentiable(P)
        ctx.save_for_backward(L, U, C.wrap(piv, dev))
        return P, L, U

    @staticmethod
    def backward(ctx, gP, gL, gU):
        L, U, piv = ctx.saved_tensors
        return _lu_backward(L, U, piv, gL, gU)


_node_name(_Lu, "LinalgLuBackward0")


def lu(A, *, pivot=True, out=None):
    """(P, L, U) with A = P L U: P a permutation, L unit lower triangular [..., m, k], U upper [..., k, n]."""
    _lu_checks(A, "linalg.lu", pivot)
    return _LuResult(*_Lu.apply(A))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (left) or X A = B, A (or A^T when adjoint) given by lu_factor's (LU, pivots)."""
    _need_tensor(LU, "linalg_lu_solve", "LU", 1)
    _need_tensor(pivots, "linalg_lu_solve", "pivots", 2)
    _need_tensor(B, "linalg_lu_solve", "B", 3)
    fn = "linalg.lu_solve"
    _check_matrix(LU, fn, "LU")
    m, n = LU._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"xptorch.{fn}: A must be batches of square matrices, but they are {m} by {n} matrices")
    _check_matrix(B, fn, "B")
    _check_rhs(fn, LU, B, left)
    _same_dtype(fn, LU, B, "LU", "B")
    if pivots._data.dtype != np.int32:
        raise RuntimeError(f"{fn}: pivots should be a Tensor of scalar type xptorch.int32")
    if pivots._data.ndim < 1 or pivots._data.shape[-1] != n:
        raise RuntimeError(f"{fn}: Number of pivots per batch should be same as the dimension of the matrix")
    if pivots._data.shape != LU._data.shape[:-1]:
        raise RuntimeError(f"{fn}: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with "
                           f"shape {list(pivots.shape)} instead")
    _lapack_dtype(LU, "lu_solve_cpu")
    return _LuSolve.apply(LU, pivots, B, bool(left), bool(adjoint))


def _lu_solve_array(xp, lu, P, b, adjoint):
    """A X = B (A^T X = B when adjoint) on arrays, A = P L U packed in lu."""
    from .backend import lapack

    if not adjoint:
        y = lapack.solve_triangular(xp, lu, _mT(P) @ b, False, True)
        return lapack.solve_triangular(xp, lu, y, True, False)
    y = lapack.solve_triangular(xp, _mT(lu), b, False, False)
    return P @ lapack.solve_triangular(xp, _mT(lu), y, True, True)


class _LuSolve(Function):
    @staticmethod
    def forward(ctx, LU, pivots, B, left, adjoint):
        from .backend import lapack

        xp = C.get_xp(LU._data)
        P = lapack.permutation(xp, pivots._data, LU._data.shape[-1], LU._data.dtype)
        if left:
            x = _lu_solve_array(xp, LU._data, P, B._data, adjoint)
        else:  # X A = B is A^T X^T = B^T
            x = _mT(_lu_solve_array(xp, LU._data, P, _mT(B._data), not adjoint))
        out = C.wrap(x, LU._device)
        ctx.flags = (left, adjoint, B.shape)
        ctx.save_for_backward(LU, pivots, out)
        return out

    @staticmethod
    def backward(ctx, g):
        # op(A) X = B (or X op(A) = B), op(A) = A or A^T: gB solves with op(A)^T, gop(A) = -gB X^T (-X^T gB);
        # then gA gives the packed factors' gradient through dA = P (dL U + L dU).
        LU, piv, X = ctx.saved_tensors
        left, adjoint, b_shape = ctx.flags
        gB = lu_solve(LU, piv, g, left=left, adjoint=not adjoint)
        gA = -(gB @ X.mT) if left else -(X.mT @ gB)
        if adjoint:
            gA = gA.mT
        L, U = _unpack(LU)
        PtgA = _permutation(piv, LU.shape[-1], LU).mT @ gA
        gLU = (PtgA @ U.mT).tril(-1) + (L.mT @ PtgA).triu()
        return gLU.sum_to_size(LU.shape), None, gB.sum_to_size(b_shape), None, None


_node_name(_LuSolve, "LinalgLuSolveBackward0")


_SolveExResult = collections.namedtuple("linalg_solve_ex", ["result", "info"])


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(X, info) of solve through LU: info 0, or the first k (1-based) with U[k, k] == 0 (X then holds inf/nan);
    LinAlgError instead when check_errors."""
    _check_square(A, "linalg.solve")
    _check_float(B, "linalg.solve")
    _same_dtype("linalg.solve", A, B, "A", "B")
    vec = _solve_rhs(A, B, left)
    X, info = _SolveEx.apply(A, B, left, vec)
    if check_errors and _host(C.get_xp(info._data).any(info._data)):
        bad = _host(info._data).reshape(-1)
        prefix = _batch_prefix(A.shape, int(np.flatnonzero(bad)[0]))
        raise LinAlgError(f"xptorch.linalg.solve_ex: {prefix}The solver failed because the input matrix is singular.")
    return _SolveExResult(X, info)


class _SolveEx(Function):
    @staticmethod
    def forward(ctx, A, B, left, vec):
        from .backend import lapack

        xp, dev = C.get_xp(A._data), A._device
        lu, piv, info = lapack.lu_factor(xp, A._data)
        P = lapack.permutation(xp, piv, A._data.shape[-1], lu.dtype)
        b = B._data[..., None] if vec else B._data
        if left:
            x = _lu_solve_array(xp, lu, P, b, False)
        else:  # X A = B is A^T X^T = B^T
            x = _mT(_lu_solve_array(xp, lu, P, _mT(b), True))
        X, I = C.wrap(x[..., 0] if vec else x, dev), C.wrap(info, dev)
        ctx.mark_non_differentiable(I)
        ctx.flags = (left, vec, B.shape)
        ctx.save_for_backward(A, X)
        return X, I

    @staticmethod
    def backward(ctx, g, ginfo=None):
        A, X = ctx.saved_tensors
        left, vec, b_shape = ctx.flags
        if vec:
            g, X = g.unsqueeze(-1), X.unsqueeze(-1)
        gB = solve(A.mT, g, left=left)
        gA = -(gB @ X.mT) if left else -(X.mT @ gB)
        if vec:
            gB = gB.squeeze(-1)
        return gA.sum_to_size(A.shape), gB.sum_to_size(b_shape), None, None


_node_name(_SolveEx, "LinalgSolveExBackward0")


# ---- Cholesky with its failure order, the matrix exponential ----------------------------------------
def _cholesky_grad(L, g, upper):
    """PyTorch's formula: gA = L^-T Phi L^-1 with Phi the symmetrised tril(L^T gL)."""
    if upper:
        L, g = L.mT, g.mT
    P = (L.mT @ g).tril()
    P = 0.5 * (P + P.tril(-1).mT)
    Linv = inv(L)
    return Linv.mT @ P @ Linv


class _CholeskyEx(Function):
    @staticmethod
    def forward(ctx, A, upper):
        from .backend import lapack

        # upper=True reads A's upper triangle, as torch
        L, info = lapack.cholesky(C.get_xp(A._data), _mT(A._data) if upper else A._data)
        out = C.wrap(_mT(L).copy() if upper else L, A._device)
        I = C.wrap(info, A._device)
        ctx.mark_non_differentiable(I)
        ctx.upper = upper
        ctx.save_for_backward(out)
        return out, I

    @staticmethod
    def backward(ctx, g, ginfo=None):
        (L,) = ctx.saved_tensors
        return _cholesky_grad(L, g, ctx.upper), None


_node_name(_CholeskyEx, "LinalgCholeskyExBackward0")

_CholeskyExResult = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): the Cholesky factor and 0, or the order of the first leading minor that is not
    positive-definite (L then only partly a factor); LinAlgError instead when check_errors."""
    _check_square(A, "linalg.cholesky")
    L, info = _CholeskyEx.apply(A, bool(upper))
    if check_errors and _host(C.get_xp(info._data).any(info._data)):
        bad = _host(info._data).reshape(-1)
        i = int(np.flatnonzero(bad)[0])
        raise LinAlgError(f"linalg.cholesky_ex: {_batch_prefix(A.shape, i)}The factorization could not be "
                          f"completed because the input is not positive-definite (the leading minor of order "
                          f"{int(bad[i])} is not positive-definite).")
    return _CholeskyExResult(L, info)


class _MatrixExp(Function):
    @staticmethod
    def forward(ctx, A):
        from .backend import lapack

        ctx.save_for_backward(A)
        return C.wrap(lapack.matrix_exp(C.get_xp(A._data), A._data), A._device)

    @staticmethod
    def backward(ctx, g):
        # The gradient is the upper-right block of exp([[A^T, g], [0, A^T]]) (PyTorch's formula).
        from ._functions import cat

        (A,) = ctx.saved_tensors
        n = A.shape[-1]
        At = A.mT
        big = cat([cat([At, g], -1), cat([g * 0, At], -1)], -2)
        return matrix_exp(big)[..., :n, n:]


_node_name(_MatrixExp, "LinalgMatrixExpBackward0")


def matrix_exp(A):
    """exp(A) = sum A^k / k! of each square matrix, by scaling and squaring with a Pade approximant."""
    _need_tensor(A, "linalg_matrix_exp", "A", 1)
    _check_matrix(A, "linalg.matrix_exp")
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they are {m} by {n} "
                           "matrices")
    _check_float(A, "linalg.matrix_exp")
    return _MatrixExp.apply(A)


# ---- tensor forms ------------------------------------------------------------------------------------
def tensorinv(A, ind=2, *, out=None):
    """The inverse of A seen as a matrix of its first ind dims by the rest: shape A.shape[ind:] + A.shape[:ind]."""
    _need_tensor(A, "linalg_tensorinv", "A", 1)
    if not isinstance(ind, int) or ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    r, c = math.prod(rows), math.prod(cols)
    if r != c:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {c} != {r}")
    return inv(A.reshape(r, c)).reshape(cols + rows)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.ndim) = B: A's leading B.ndim dims against B (dims first moved to A's end)."""
    _need_tensor(A, "linalg_tensorsolve", "A", 1)
    _need_tensor(B, "linalg_tensorsolve", "B", 2)
    if dims is not None:
        A = A.movedim(tuple(dims), tuple(range(A.dim() - len(dims), A.dim())))
    cols = tuple(A.shape[B.dim():])
    r, c = B.numel(), math.prod(cols)
    if r != c:  # (the message's right side is B's size, as torch's)
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {c} != {r}")
    return solve(A.reshape(-1, c), B.reshape(-1)).reshape(cols)
