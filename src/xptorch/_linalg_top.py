"""PyTorch's older top-level linear algebra (torch.lu, torch.svd, torch.cholesky_solve, ...) on xptorch.linalg.

Each is a composition of linalg functions, so its gradient comes from theirs. The deprecated names warn
once per process with PyTorch's note, as its kernels do.
"""
import collections
import contextlib
import warnings

from ._ops import _common as C
from ._ops._common import tensor_args
from ._settings import first_warning
from .autograd.grad_mode import is_grad_enabled as _grad_enabled



def _linalg():
    from . import linalg  # loaded on first use, as xptorch.linalg itself

    return linalg


_TriangularSolve = collections.namedtuple("triangular_solve", ["solution", "cloned_coefficient"])
_Qr = collections.namedtuple("qr", ["Q", "R"])
_Svd = collections.namedtuple("svd", ["U", "S", "V"])
_LuWithInfo = collections.namedtuple("_lu_with_info", ["LU", "pivots", "info"])

_DEPRECATED = {
    "lu_solve": (
        "xptorch.lu_solve is deprecated in favor of xptorch.linalg.lu_solveand will be removed in a future PyTorch "
        "release.\nNote that xptorch.linalg.lu_solve has its arguments reversed.\nX = xptorch.lu_solve(B, LU, pivots)\n"
        "should be replaced with\nX = xptorch.linalg.lu_solve(LU, pivots, B)"
    ),
    "triangular_solve": (
        "xptorch.triangular_solve is deprecated in favor of xptorch.linalg.solve_triangularand will be removed in a "
        "future PyTorch release.\nxptorch.linalg.solve_triangular has its arguments reversed and does not return a "
        "copy of one of the inputs.\nX = xptorch.triangular_solve(B, A).solution\nshould be replaced with\n"
        "X = xptorch.linalg.solve_triangular(A, B)."
    ),
    "cholesky": (
        "xptorch.cholesky is deprecated in favor of xptorch.linalg.cholesky and will be removed in a future PyTorch "
        "release.\nL = xptorch.cholesky(A)\nshould be replaced with\nL = xptorch.linalg.cholesky(A)\nand\n"
        "U = xptorch.cholesky(A, upper=True)\nshould be replaced with\nU = xptorch.linalg.cholesky(A).mH\n"
        "This transform will produce equivalent results for all valid (symmetric positive definite) inputs."
    ),
    "qr": (
        "xptorch.qr is deprecated in favor of xptorch.linalg.qr and will be removed in a future PyTorch release.\n"
        "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
        "Q, R = xptorch.qr(A, some)\nshould be replaced with\n"
        "Q, R = xptorch.linalg.qr(A, 'reduced' if some else 'complete')"
    ),
    "lu": (
        "xptorch.lu is deprecated in favor of xptorch.linalg.lu_factor / xptorch.linalg.lu_factor_ex and will be "
        "removed in a future PyTorch release.\nLU, pivots = xptorch.lu(A, compute_pivots)\nshould be replaced with\n"
        "LU, pivots = xptorch.linalg.lu_factor(A, compute_pivots)\nand\n"
        "LU, pivots, info = xptorch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
        "LU, pivots, info = xptorch.linalg.lu_factor_ex(A, compute_pivots)"
    ),
}
_warned = {name: [] for name in _DEPRECATED}


def _deprecated(name):
    if first_warning(_warned[name]):
        warnings.warn(_DEPRECATED[name], UserWarning, stacklevel=4)


@tensor_args
def matrix_exp(input):
    """The matrix exponential of each square matrix (linalg.matrix_exp)."""
    return _linalg().matrix_exp(input)


@tensor_args
def lu_solve(input, LU_data, LU_pivots, *, out=None):
    """X with A X = input, A given by lu's (LU_data, LU_pivots): linalg.lu_solve with its arguments reversed."""
    _deprecated("lu_solve")
    return _linalg().lu_solve(LU_data, LU_pivots, input)


def _name(t):
    """PyTorch's scalar-type name of t's dtype, as its error messages give it."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(t._data.dtype.name, t._data.dtype.name)


def _solve_checks(b, A, fn):
    """PyTorch's argument checks for triangular_solve and cholesky_solve, in its order."""
    if b._data.ndim < 2:
        lead = "torch.triangular_solve: Expected b to have at least 2 dimensions, but it has" if fn == "triangular_solve" \
            else "b should have at least 2 dimensions, but has"
        raise RuntimeError(f"{lead.replace('torch.', 'xptorch.')} {b._data.ndim} dimensions instead")
    if A._data.ndim < 2:
        lead = "torch.triangular_solve: Expected A to have at least 2 dimensions, but it has" if fn == "triangular_solve" \
            else "u should have at least 2 dimensions, but has"  # PyTorch's name for the factor here
        raise RuntimeError(f"{lead.replace('torch.', 'xptorch.')} {A._data.ndim} dimensions instead")
    if b._data.dtype != A._data.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {_name(b)} and A of type "
                           f"{_name(A)} instead.")
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"A must be batches of square matrices, but they are {m} by {n} matrices")
    if b._data.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {fn}: each A matrix is {m} by {n} but each b matrix is "
                           f"{b._data.shape[-2]} by {b._data.shape[-1]}")


def _broadcast_batches(b, A):
    """b and A expanded to their common batch shape, with PyTorch's error where the batches do not broadcast."""
    sb, sa = tuple(b.shape[:-2]), tuple(A.shape[:-2])
    batch = []
    for i in range(1, max(len(sb), len(sa)) + 1):
        x = sb[-i] if i <= len(sb) else 1
        y = sa[-i] if i <= len(sa) else 1
        if x != y and x != 1 and y != 1:
            C.broadcast_error(sb, sa)
        batch.insert(0, y if x == 1 else x)
    batch = tuple(batch)
    return b.expand(batch + tuple(b.shape[-2:])), A.expand(batch + tuple(A.shape[-2:]))


@tensor_args
def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(solution, cloned_coefficient): X with op(A) X = input for triangular A (its upper or lower triangle;
    op(A) = A^T when transpose; a unit diagonal assumed when unitriangular), and a copy of A broadcast to the
    batch shape."""
    _deprecated("triangular_solve")
    _solve_checks(input, A, "triangular_solve")
    b, A = _broadcast_batches(input, A)
    X = _linalg().solve_triangular(A.mT if transpose else A, b, upper=bool(upper) != bool(transpose),
                                unitriangular=bool(unitriangular))
    return _TriangularSolve(X, A.clone())


def _gram(L, upper):
    """A = L L^T (or U^T U) from the triangle of L, with the gradient of the full L as PyTorch's formulas give it."""
    part = L.triu() if upper else L.tril()
    Lt = L - (L - part).detach()
    return Lt.mT @ Lt if upper else Lt @ Lt.mT


@tensor_args
def cholesky_solve(input, input2, upper=False, *, out=None):
    """X with A X = input, where A = L L^T (or U^T U when upper) and input2 is that Cholesky factor."""
    _solve_checks(input, input2, "cholesky_solve")
    b, L = _broadcast_batches(input, input2)
    _lapack_float(L, "cholesky_solve")
    return _linalg().solve(_gram(L, upper), b)


def _lapack_float(A, fn):
    """PyTorch's error for a dtype its LAPACK kernel fn has no version for."""
    if A._data.dtype.kind != "f" or A._data.dtype.itemsize < 4:
        raise NotImplementedError(f'"{fn}_{"cpu" if A.device.type == "cpu" else "cuda"}" not implemented for '
                                  f"'{_name(A)}'")


@tensor_args
def cholesky_inverse(input, upper=False, *, out=None):
    """The inverse of A = L L^T (or U^T U when upper) from its Cholesky factor L (or U)."""
    if input._data.ndim < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    m, n = input._data.shape[-2:]
    if m != n:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are {m} by {n} matrices")
    _lapack_float(input, "cholesky_inverse_out")
    return _linalg().inv(_gram(input, upper))


@contextlib.contextmanager
def _reported_as(old, new):
    """Errors xptorch.linalg raises under its own name, raised under the name PyTorch's older function gives."""
    try:
        yield
    except RuntimeError as e:
        msg = str(e)
        if not msg.startswith(old):
            raise
        raise type(e)(new + msg[len(old):]) from None


@tensor_args
def cholesky(input, upper=False, *, out=None):
    """The lower (or, when upper, upper) Cholesky factor of each symmetric positive-definite matrix."""
    _deprecated("cholesky")
    if input._data.ndim >= 2 and input._data.size:
        _lapack_float(input, "cholesky")
    with _reported_as("linalg.cholesky:", "cholesky:"):
        return _linalg().cholesky(input, upper=bool(upper))


@tensor_args
def qr(input, some=True, *, out=None):
    """(Q, R) of each matrix: linalg.qr in mode 'reduced' (some=True) or 'complete'."""
    _deprecated("qr")
    return _Qr(*_linalg().qr(input, "reduced" if some else "complete"))


@tensor_args
def svd(input, some=True, compute_uv=True, *, out=None):
    """(U, S, V) with input = U diag(S) V^T: V, not linalg.svd's Vh; reduced unless some=False. With
    compute_uv=False, S alone is computed and U, V are zero-filled square matrices."""
    if input._data.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has {input._data.ndim} "
                           "dimensions instead")
    if compute_uv:
        U, S, Vh = _linalg().svd(input, full_matrices=not some)
        return _Svd(U, S, Vh.mT)
    with _reported_as("linalg.svdvals:", "linalg.svd:"):
        S = _linalg().svdvals(input)
    m, n = input.shape[-2:]
    batch = tuple(input.shape[:-2])
    xp = C.get_xp(input._data)
    dt = input._data.dtype
    U = C.wrap(xp.zeros(batch + (m, m), dt), input._device)
    V = C.wrap(xp.zeros(batch + (n, n), dt), input._device)
    return _Svd(U, S, V)


@tensor_args
def lu(input, pivot=True, get_infos=False, out=None):
    """(LU, pivots), and info when get_infos: linalg.lu_factor_ex's packed factors; singular matrices are
    reported in info, never raised."""
    _deprecated("lu")
    with _reported_as("xptorch.lu_factor_ex:", "xptorch.lu_factor:"):
        LU, pivots, info = _linalg().lu_factor_ex(input, pivot=pivot)
    return _LuWithInfo(LU, pivots, info) if get_infos else (LU, pivots)


_LuUnpack = collections.namedtuple("lu_unpack", ["P", "L", "U"])


@tensor_args
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) from lu_factor's packed (LU_data, LU_pivots): P [..., m, m] a permutation, L unit lower
    triangular [..., m, k], U upper triangular [..., k, n] with k = min(m, n), A = P L U. A part not unpacked is
    an empty tensor. The gradient reaches LU_data through L's strict lower part and U's upper part."""
    import numpy as np

    from .backend import lapack

    if LU_data._data.ndim < 2 and LU_data.requires_grad and _grad_enabled():
        # torch's gradient-recording path reads dims -1 and -2 before its own check
        raise IndexError("Dimension specified as -1 but tensor has no dimensions" if LU_data._data.ndim == 0 else
                         "Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    if LU_data._data.ndim < 2:
        raise RuntimeError(f"xptorch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(LU_data.shape)} instead")
    if LU_pivots._data.dtype != np.int32:
        raise RuntimeError("xptorch.lu_unpack: LU_pivots is expected to be a contiguous tensor of xptorch.int32 "
                           "dtype.\nNote: this function is intended to be used with the output produced by "
                           "xptorch.linalg.lu_factor")
    m = LU_data.shape[-2]
    empty = lambda: LU_data.new_empty((0,))  # noqa: E731
    if unpack_pivots:
        xp = C.get_xp(LU_pivots._data)
        piv = LU_pivots._data
        count = piv.shape[-1] if piv.ndim else 1
        if count > m:  # torch reads such a vector unchecked
            raise RuntimeError(f"xptorch.lu_unpack: LU_pivots has {count} entries in its last dim, more than the "
                               f"{m} rows of LU_data of size {list(LU_data.shape)}. Did you properly pass the "
                               "result of lu_factor?")
        if piv.size and bool(((piv < 1) | (piv > m)).any()):
            raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you "
                               "properly pass the result of lu_factor?")
        piv = xp.broadcast_to(piv, tuple(LU_data.shape[:-2]) + piv.shape[-1:]) if piv.ndim else piv[None]
        P = C.wrap(lapack.permutation(xp, piv, m, LU_data._data.dtype), LU_data._device)
    else:
        P = empty()
    if unpack_data:
        L, U = _linalg()._unpack(LU_data)
    else:
        L = U = LU_data.reshape(-1)[:0]  # empty, but in the graph as torch's
    return _LuUnpack(P, L, U)
