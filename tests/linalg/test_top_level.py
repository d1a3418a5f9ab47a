"""PyTorch's older top-level linear algebra beyond the op table: deprecation notes, result types, copies."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")

_A = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]
_L = [[2.0, 0.0, 0.0], [0.5, 1.5, 0.0], [0.25, 0.1, 1.2]]


def _calls(lib, device):
    dev = "cpu" if lib is torch else device
    A, L, b = lib.tensor(_A, device=dev), lib.tensor(_L, device=dev), lib.ones(3, 2, device=dev)
    LU, piv = lib.linalg.lu_factor(A)
    return {
        "lu_solve": lambda: lib.lu_solve(b, LU, piv),
        "Tensor.lu_solve": lambda: b.lu_solve(LU, piv),
        "triangular_solve": lambda: lib.triangular_solve(b, L, upper=False),
        "Tensor.triangular_solve": lambda: b.triangular_solve(L, upper=False),
        "cholesky": lambda: lib.cholesky(A),
        "Tensor.cholesky": lambda: A.cholesky(upper=True),
        "qr": lambda: lib.qr(A),
        "Tensor.qr": lambda: A.qr(some=False),
        "lu": lambda: lib.lu(A),
        "svd": lambda: lib.svd(A),
        "cholesky_solve": lambda: lib.cholesky_solve(b, L),
        "cholesky_inverse": lambda: lib.cholesky_inverse(L),
        "matrix_exp": lambda: lib.matrix_exp(A),
    }


def _notes(call):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = call()
    return out, [str(w.message).split(" (Triggered internally")[0] for w in seen if w.category is UserWarning]


def test_deprecation_notes_are_torchs_and_come_once(device):
    theirs, ours = _calls(torch, device), _calls(xptorch, device)
    torch.set_warn_always(True)
    xptorch.set_warn_always(True)
    try:
        for name in theirs:
            t_out, t_notes = _notes(theirs[name])
            x_out, x_notes = _notes(ours[name])
            assert x_notes == [n.replace("torch.", "xptorch.") for n in t_notes], name
            assert type(x_out).__name__ == type(t_out).__name__, name
            if isinstance(t_out, tuple):
                assert len(x_out) == len(t_out), name
                for x, t in zip(x_out, t_out):
                    assert tuple(x.shape) == tuple(t.shape), name
    finally:
        torch.set_warn_always(False)
        xptorch.set_warn_always(False)
    for name in ("lu_solve", "triangular_solve", "cholesky", "qr", "lu"):
        # once per process, in both: each spends its turn here (set_warn_always left it unspent)
        assert _notes(ours[name])[1] == [n.replace("torch.", "xptorch.") for n in _notes(theirs[name])[1]], name
        assert _notes(ours[name])[1] == [] == _notes(theirs[name])[1], name


def test_result_fields_match_torch(device):
    theirs, ours = _calls(torch, device), _calls(xptorch, device)
    for name, fields in (("triangular_solve", ("solution", "cloned_coefficient")), ("qr", ("Q", "R")),
                         ("svd", ("U", "S", "V"))):
        t, x = _notes(theirs[name])[0], _notes(ours[name])[0]
        for f in fields:
            np.testing.assert_allclose(getattr(x, f).numpy(force=True), getattr(t, f).numpy(), rtol=1e-5, atol=1e-6)


def test_cloned_coefficient_is_a_broadcast_copy(device):
    A = xptorch.tensor(_L, device=device)
    sol, coef = _notes(lambda: xptorch.triangular_solve(xptorch.ones(2, 3, 1, device=device), A, upper=False))[0]
    t_sol, t_coef = _notes(lambda: torch.triangular_solve(torch.ones(2, 3, 1), torch.tensor(_L), upper=False))[0]
    assert tuple(coef.shape) == tuple(t_coef.shape) == (2, 3, 3)
    coef.zero_()
    assert A.abs().sum().item() > 0
    np.testing.assert_allclose(sol.numpy(force=True), t_sol.numpy(), rtol=1e-5)


def test_lu_infos_report_singular_matrices_instead_of_raising(device):
    sing = [[1.0, 2.0], [2.0, 4.0]]
    t = _notes(lambda: torch.lu(torch.tensor(sing), get_infos=True))[0]
    x = _notes(lambda: xptorch.lu(xptorch.tensor(sing, device=device), get_infos=True))[0]
    assert type(x).__name__ == type(t).__name__ == "_lu_with_info"
    assert x.info.item() == t.info.item() and x.pivots.tolist() == t.pivots.tolist()


def test_lu_unpack_refuses_more_pivots_than_rows_and_a_0d_factor():
    """torch reads a pivot vector longer than LU's rows unchecked; ours names both sizes. A factor of fewer than 2
    dims fails as torch's: RuntimeError, or IndexError on its last dims when it requires grad."""
    lu = xptorch.ones(3, 3)
    piv = xptorch.tensor([1, 2, 3, 1, 2], dtype=xptorch.int32)
    with pytest.raises(RuntimeError, match=r"LU_pivots has 5 entries in its last dim, more than the 3 rows of "
                                           r"LU_data of size \[3, 3\]"):
        xptorch.lu_unpack(lu, piv)
    assert lu.tolist() == [[1.0] * 3] * 3 and piv.tolist() == [1, 2, 3, 1, 2]
    for shape in ((), (3,)):
        for rg in (False, True):
            with pytest.raises((RuntimeError, IndexError)) as theirs:
                torch.lu_unpack(torch.ones(shape, requires_grad=rg), torch.tensor([1, 2, 3], dtype=torch.int32))
            with pytest.raises((RuntimeError, IndexError)) as ours:
                xptorch.lu_unpack(xptorch.ones(shape, requires_grad=rg), xptorch.tensor([1, 2, 3], dtype=xptorch.int32))
            assert type(ours.value) is type(theirs.value)
            assert str(ours.value) == str(theirs.value).replace("torch.", "xptorch.")
