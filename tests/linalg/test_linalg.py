"""xptorch.linalg against torch 2.13 in float64: values, gradients and errors, on CPU and the strict 'cuda'."""
import math

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def arrays(*shapes, seed=0, spd=(), sym=()):
    rng = np.random.default_rng(seed)
    out = []
    for i, s in enumerate(shapes):
        a = rng.standard_normal(s)
        if i in spd:
            a = a @ np.swapaxes(a, -1, -2) + s[-1] * np.eye(s[-1])
        if i in sym:
            a = a + np.swapaxes(a, -1, -2)
        out.append(a)
    return out


def flat(out):
    return list(out) if isinstance(out, tuple) else [out]


def compare(fn, arrs, device="cpu", grad=True, tol=1e-7, loss=None):
    """fn(lib, *tensors) on both libraries: outputs equal, then gradients of loss(lib, outputs)."""
    ts = [torch.tensor(a, requires_grad=grad) for a in arrs]
    xs = [xptorch.tensor(a, device=device, requires_grad=grad) for a in arrs]
    t_out, x_out = fn(torch, *ts), fn(xptorch, *xs)
    assert type(x_out).__name__ == type(t_out).__name__
    for t, x in zip(flat(t_out), flat(x_out)):
        assert str(x.dtype)[8:] == str(t.dtype)[6:]
        assert tuple(x.shape) == tuple(t.shape)
        if loss is None:
            np.testing.assert_allclose(x.numpy(force=True), t.detach().numpy(), rtol=tol, atol=tol)
        assert x.device.type == device
        if device == "cpu" and t.grad_fn is not None:
            assert x.grad_fn is not None
    if not grad:
        return
    rng = np.random.default_rng(1)
    if loss is None:
        outs = [(t, x) for t, x in zip(flat(t_out), flat(x_out)) if t.requires_grad]
        ws = [rng.standard_normal(tuple(t.shape)) for t, _ in outs]
        t_loss = sum((t * torch.tensor(w)).sum() for (t, _), w in zip(outs, ws))
        x_loss = sum((x * xptorch.tensor(w, device=device)).sum() for (_, x), w in zip(outs, ws))
    else:
        t_loss, x_loss = loss(torch, t_out), loss(xptorch, x_out)
        np.testing.assert_allclose(x_loss.item(), t_loss.item(), rtol=tol, atol=tol)
    t_loss.backward()
    x_loss.backward()
    for t, x in zip(ts, xs):
        if t.grad is None:  # torch leaves it undefined (vector_norm with ord=0): zero or none here
            assert x.grad is None or not x.grad.numpy(force=True).any()
            continue
        np.testing.assert_allclose(x.grad.numpy(force=True), t.grad.numpy(), rtol=1e-6, atol=1e-6)


def sign_free(lib, out):
    """A loss that does not depend on the signs of singular / eigen vectors."""
    return sum((o.abs() ** 1.5).sum() for o in flat(out) if o.dtype.is_floating_point and o.numel())


CASES = {
    "inv": (lambda lib, a: lib.linalg.inv(a), [(3, 3)]),
    "inv_batched": (lambda lib, a: lib.linalg.inv(a), [(2, 4, 4)]),
    "inverse": (lambda lib, a: lib.inverse(a), [(3, 3)]),
    "Tensor.inverse": (lambda lib, a: a.inverse(), [(2, 3, 3)]),
    "det": (lambda lib, a: lib.linalg.det(a), [(3, 3)]),
    "det_batched": (lambda lib, a: lib.det(a), [(2, 3, 3)]),
    "det_1x1": (lambda lib, a: a.det(), [(1, 1)]),
    "slogdet": (lambda lib, a: lib.linalg.slogdet(a), [(4, 4)]),
    "slogdet_top": (lambda lib, a: lib.slogdet(a), [(2, 3, 3)]),
    "logdet": (lambda lib, a: lib.logdet(a), [(3, 3)], (0,)),
    "solve_vec": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3,)]),
    "solve_mat": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve_batched_broadcast": (lambda lib, a, b: lib.linalg.solve(a, b), [(2, 3, 3), (3, 4)]),
    "solve_right": (lambda lib, a, b: lib.linalg.solve(a, b, left=False), [(3, 3), (2, 3)]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(a), [(4, 4)], (0,)),
    "cholesky_upper": (lambda lib, a: lib.linalg.cholesky(a, upper=True), [(2, 3, 3)], (0,)),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(a), [(4, 4)], (), (0,)),
    "eigvalsh_U": (lambda lib, a: lib.linalg.eigvalsh(a, UPLO="U"), [(2, 3, 3)], (), (0,)),
    "svdvals": (lambda lib, a: lib.linalg.svdvals(a), [(4, 3)]),
    "svdvals_wide": (lambda lib, a: lib.linalg.svdvals(a), [(2, 3, 5)]),
    "pinv": (lambda lib, a: lib.linalg.pinv(a), [(4, 3)]),
    "pinv_wide": (lambda lib, a: lib.linalg.pinv(a), [(2, 3, 5)]),
    "pinverse": (lambda lib, a: lib.pinverse(a), [(3, 4)]),
    "lstsq": (lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)]),
    "vector_norm": (lambda lib, a: lib.linalg.vector_norm(a), [(3, 4)]),
    "vector_norm_ord": (lambda lib, a: lib.linalg.vector_norm(a, 3, dim=1, keepdim=True), [(3, 4)]),
    "vector_norm_inf": (lambda lib, a: lib.linalg.vector_norm(a, float("inf"), dim=(0, 2)), [(2, 3, 4)]),
    "vector_norm_1": (lambda lib, a: lib.linalg.vector_norm(a, 1, dim=-1), [(2, 5)]),
    "vector_norm_0": (lambda lib, a: lib.linalg.vector_norm(a, 0), [(2, 5)]),
    "matrix_norm_fro": (lambda lib, a: lib.linalg.matrix_norm(a), [(2, 3, 4)]),
    "matrix_norm_nuc": (lambda lib, a: lib.linalg.matrix_norm(a, "nuc"), [(3, 4)]),
    "matrix_norm_2": (lambda lib, a: lib.linalg.matrix_norm(a, 2), [(2, 4, 3)]),
    "matrix_norm_-2": (lambda lib, a: lib.linalg.matrix_norm(a, -2, keepdim=True), [(3, 3)]),
    "matrix_norm_1": (lambda lib, a: lib.linalg.matrix_norm(a, 1), [(2, 3, 4)]),
    "matrix_norm_inf": (lambda lib, a: lib.linalg.matrix_norm(a, float("inf"), dim=(0, 2)), [(3, 2, 4)]),
    "matrix_norm_-1": (lambda lib, a: lib.linalg.matrix_norm(a, -1, keepdim=True), [(3, 4)]),
    "norm_default": (lambda lib, a: lib.linalg.norm(a), [(2, 3, 4)]),
    "norm_ord_matrix": (lambda lib, a: lib.linalg.norm(a, "nuc"), [(3, 4)]),
    "norm_ord_vector": (lambda lib, a: lib.linalg.norm(a, 3), [(5,)]),
    "norm_dims": (lambda lib, a: lib.linalg.norm(a, dim=(1, 2)), [(2, 3, 4)]),
    "cond": (lambda lib, a: lib.linalg.cond(a), [(3, 3)]),
    "multi_dot": (lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [(3,), (3, 4), (4, 2)]),
    "multi_dot_vec": (lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [(2, 3), (3, 4), (4,)]),
    "matrix_power_3": (lambda lib, a: lib.linalg.matrix_power(a, 3), [(2, 3, 3)]),
    "matrix_power_-2": (lambda lib, a: lib.matrix_power(a, -2), [(3, 3)]),
    "matrix_power_0": (lambda lib, a: a.matrix_power(0), [(3, 3)]),
    "matrix_power_1": (lambda lib, a: lib.linalg.matrix_power(a, 1), [(3, 3)]),
    "cross": (lambda lib, a, b: lib.linalg.cross(a, b), [(4, 3), (4, 3)]),
    "cross_dim_broadcast": (lambda lib, a, b: lib.linalg.cross(a, b, dim=0), [(3, 1, 2), (3, 4, 1)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_grads_match_torch(name, device):
    fn, shapes, *rest = CASES[name]
    spd = rest[0] if rest else ()
    sym = rest[1] if len(rest) > 1 else ()
    compare(fn, arrays(*shapes, spd=spd, sym=sym), device)


SIGN_FREE = {
    "svd_reduced": (lambda lib, a: lib.linalg.svd(a, full_matrices=False), [(4, 3)]),
    "svd_wide": (lambda lib, a: lib.linalg.svd(a, full_matrices=False), [(2, 3, 5)]),
    "svd_full": (lambda lib, a: lib.linalg.svd(a), [(3, 3)]),
    "eigh": (lambda lib, a: lib.linalg.eigh(a), [(4, 4)], (0,)),
    "qr": (lambda lib, a: lib.linalg.qr(a), [(4, 3)]),
    "qr_square": (lambda lib, a: lib.linalg.qr(a), [(2, 3, 3)]),
}


@pytest.mark.parametrize("name", sorted(SIGN_FREE))
def test_decompositions_match_torch_up_to_signs(name, device):
    """Factors are compared through sign-free functions of them, and through their product."""
    fn, shapes, *sym = SIGN_FREE[name]
    arrs = arrays(*shapes, sym=sym[0] if sym else ())
    compare(fn, arrs, device, loss=sign_free)
    x = xptorch.tensor(arrs[0], device=device)
    out = fn(xptorch, x)
    if name.startswith("svd"):
        U, S, Vh = out
        k = S.shape[-1]
        rebuilt = (U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]
    elif name == "eigh":
        rebuilt = (out.eigenvectors * out.eigenvalues.unsqueeze(-2)) @ out.eigenvectors.mT
    else:
        rebuilt = out.Q @ out.R
        R = out.R.numpy(force=True)
        assert np.allclose(R, np.triu(R))
    np.testing.assert_allclose(rebuilt.numpy(force=True), arrs[0], atol=1e-10)


def test_matrix_rank_and_qr_r_mode_match_torch():
    a = arrays((4, 4), (2, 5, 3))
    a[0][:, 3] = a[0][:, 0] + a[0][:, 1]
    for arr in a:
        assert xptorch.linalg.matrix_rank(xptorch.tensor(arr)).tolist() == torch.linalg.matrix_rank(
            torch.tensor(arr)).tolist()
    assert xptorch.linalg.matrix_rank(xptorch.tensor(a[0]), atol=1.0, rtol=0.0).item() == \
        torch.linalg.matrix_rank(torch.tensor(a[0]), atol=1.0, rtol=0.0).item()
    Q, R = xptorch.linalg.qr(xptorch.tensor(a[1]), mode="r")
    assert tuple(Q.shape) == (0,)
    np.testing.assert_allclose(np.abs(R.numpy()), np.abs(torch.linalg.qr(torch.tensor(a[1]), mode="r").R.numpy()),
                               atol=1e-10)


SING = np.array([[1.0, 2.0], [2.0, 4.0]])
ERRORS = [
    (lambda lib: lib.linalg.inv(lib.tensor(SING)), True),
    (lambda lib: lib.inverse(lib.tensor(np.stack([np.eye(2), SING]))), True),
    (lambda lib: lib.linalg.inv(lib.ones(2, 3)), False),
    (lambda lib: lib.linalg.inv(lib.ones(3)), False),
    (lambda lib: lib.linalg.inv(lib.ones(2, 2, dtype=lib.int64)), False),
    (lambda lib: lib.linalg.det(lib.ones(2, 3)), False),
    (lambda lib: lib.linalg.det(lib.eye(2, dtype=lib.int64)), False),
    (lambda lib: lib.linalg.slogdet(lib.ones(2, 3)), False),
    (lambda lib: lib.linalg.solve(lib.tensor(SING), lib.ones(2, dtype=lib.float64)), True),
    (lambda lib: lib.linalg.solve(lib.tensor(np.stack([np.eye(2), SING])), lib.ones(2, 2, dtype=lib.float64)), True),
    (lambda lib: lib.linalg.solve(lib.ones(2, 3), lib.ones(2)), False),
    (lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(3)), False),
    (lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(2, 3), left=False), False),
    (lambda lib: lib.linalg.solve(lib.eye(1), lib.ones(1), left=False), False),
    (lambda lib: lib.linalg.cholesky(lib.tensor([[1.0, 2.0], [2.0, 1.0]])), True),
    (lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2), -lib.eye(2)])), True),
    (lambda lib: lib.linalg.cholesky(lib.ones(2, 3)), False),
    (lambda lib: lib.linalg.eigh(lib.ones(2, 3)), False),
    (lambda lib: lib.linalg.eigh(lib.eye(2), UPLO="X"), False),
    (lambda lib: lib.linalg.svd(lib.eye(2, dtype=lib.int64)), False),
    (lambda lib: lib.linalg.svd(lib.ones(3)), False),
    (lambda lib: lib.linalg.qr(lib.ones(2, 3), mode="x"), False),
    (lambda lib: lib.linalg.qr(lib.ones(3)), False),
    # Backward refused: a tall 'complete' Q is not determined by A; mode 'r' has no Q.
    (lambda lib: (lambda r: (r.Q.sum() + r.R.sum()).backward())(lib.linalg.qr(lib.eye(3, 2).requires_grad_(),
                                                                             mode="complete")), False),
    (lambda lib: lib.linalg.qr(lib.eye(2, 3).requires_grad_(), mode="r").R.sum().backward(), False),
    (lambda lib: lib.linalg.matrix_power(lib.ones(2, 3), 2), False),
    (lambda lib: lib.linalg.matrix_power(lib.tensor(SING), -1), True),
    (lambda lib: lib.linalg.multi_dot([lib.ones(2, 2)]), False),
    (lambda lib: lib.linalg.multi_dot([lib.ones(2, 3), lib.ones(2, 2)]), False),
    (lambda lib: lib.linalg.vector_norm(lib.ones(2, dtype=lib.int64)), False),
    (lambda lib: lib.linalg.matrix_norm(lib.ones(3)), False),
    (lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2), ord=3), False),
    (lambda lib: lib.linalg.norm(lib.ones(2, 2, 2), ord=2), False),
    (lambda lib: lib.linalg.lstsq(lib.ones(3, 2), lib.ones(2, 2)), False),
    (lambda lib: lib.linalg.pinv(lib.eye(2, dtype=lib.int64)), False),
    (lambda lib: lib.linalg.matrix_rank(lib.ones(3)), False),
    (lambda lib: lib.linalg.cross(lib.ones(2, 2), lib.ones(2, 2)), False),
    (lambda lib: lib.linalg.cross(lib.ones(2, 3), lib.ones(1, 2)), False),
    (lambda lib: lib.linalg.cross(lib.ones(3), lib.ones(3, dtype=lib.float64)), False),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    call, linalg_error = ERRORS[i]
    with pytest.raises(RuntimeError) as et:
        call(torch)
    with pytest.raises(RuntimeError) as ex:
        call(xptorch)
    assert str(ex.value) == str(et.value)
    assert isinstance(ex.value, xptorch.linalg.LinAlgError) == linalg_error
    assert isinstance(et.value, torch.linalg.LinAlgError) == linalg_error


def test_singular_input_on_the_strict_device_raises_too(simulated_cuda):
    if not xptorch.backend._simulated:
        pytest.skip("CuPy does not report singular input")
    with pytest.raises(xptorch.linalg.LinAlgError, match="input matrix is singular"):
        xptorch.linalg.inv(xptorch.tensor(SING, device=simulated_cuda))


def test_det_gradient_of_a_singular_matrix_matches_torch():
    # Rank n - 2 or less: every cofactor, hence the gradient, is zero.
    compare(lambda lib, a: lib.linalg.det(a), [np.zeros((3, 3))])
    compare(lambda lib, a: lib.linalg.det(a), [np.outer([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])])


def test_cond_with_a_matrix_norm_matches_torch():
    compare(lambda lib, a: lib.linalg.cond(a, "fro"), arrays((3, 3)), grad=False)
    compare(lambda lib, a: lib.linalg.cond(a, 1), arrays((2, 3, 3)), grad=False)


SECOND = {
    "inv": (lambda lib, a: lib.linalg.inv(a), (3, 3), ()),
    "det": (lambda lib, a: lib.linalg.det(a), (3, 3), ()),
    "solve": (lambda lib, a: lib.linalg.solve(a, a[:, :1] * 2 + 1), (3, 3), ()),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(a), (3, 3), (0,)),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(a), (3, 3), ()),
    "svdvals": (lambda lib, a: lib.linalg.svdvals(a), (4, 3), ()),
    "qr_R_abs": (lambda lib, a: lib.linalg.qr(a).R.abs(), (4, 3), ()),
    "pinv": (lambda lib, a: lib.linalg.pinv(a), (3, 4), ()),
    "solve_triangular": (lambda lib, a: lib.linalg.solve_triangular(a + 3 * lib.eye(3, dtype=a.dtype), a[:, :2],
                                                                     upper=True), (3, 3), ()),
    "lu_factor_wide": (lambda lib, a: lib.linalg.lu_factor(a).LU, (3, 4), ()),
    "lu_solve": (lambda lib, a: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), a[:, 1:]), (3, 3), ()),
    "matrix_exp": (lambda lib, a: lib.linalg.matrix_exp(a), (3, 3), ()),
    "cholesky_ex": (lambda lib, a: lib.linalg.cholesky_ex(a).L, (3, 3), (0,)),
    "lu_tall": (lambda lib, a: lib.linalg.lu(a[:, :2]).L + lib.linalg.lu(a[:, :2]).U.sum(), (3, 3), ()),
    "solve_ex_right": (lambda lib, a: lib.linalg.solve_ex(a, a[:2] * 2 + 1, left=False).result, (3, 3), ()),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivatives_match_torch(name):
    fn, shape, spd = SECOND[name]
    (a,) = arrays(shape, spd=spd, sym=(0,) if name == "eigvalsh" else ())
    res = []
    for lib in (torch, xptorch):
        x = lib.tensor(a, requires_grad=True)
        out = fn(lib, x)
        w = lib.tensor(np.random.default_rng(2).standard_normal(tuple(out.shape)))
        (g,) = lib.autograd.grad((out * w).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", ["vector_norm", "norm"])
@pytest.mark.parametrize("ord", [2, 3, 1, math.inf])
def test_vector_norm_gradient_at_zero_is_zero_as_torch(fn, ord):
    """The same node as Tensor.norm: zero gradient where the norm is zero (a composed sqrt gave NaN)."""
    grads, names = [], []
    for lib in (xptorch, torch):
        x = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        y = getattr(lib.linalg, fn)(x, ord)
        y.backward()
        grads.append(x.grad.numpy())
        names.append(y.grad_fn.name())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert names[0] == names[1]


EMPTY_INF_NORMS = [((0,), -math.inf, None), ((2, 0), math.inf, ()), ((2, 0), math.inf, [1, 0]),
                   ((2, 0), math.inf, 1), ((2, 0, 3), math.inf, (0, 2)), ((0, 3), math.inf, -2),
                   ((), math.inf, None), ((2, 0), -math.inf, 0)]


@pytest.mark.parametrize("shape,ord,dim", EMPTY_INF_NORMS)
def test_inf_norms_of_empty_tensors_as_torch(shape, ord, dim):
    """Refused only where a reduced dim is empty, with torch's message; otherwise an empty result."""
    def run(lib):
        return lib.linalg.vector_norm(lib.zeros(shape), ord, dim)

    try:
        want = run(torch)
    except RuntimeError as e:
        with pytest.raises(RuntimeError) as got:
            run(xptorch)
        assert str(got.value) == str(e)
        return
    assert tuple(run(xptorch).shape) == tuple(want.shape)


SING3 = np.array([[[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                  [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
                  np.zeros((3, 3))])
NOT_PD = np.array([[[4.0, 2.0, 0.0], [2.0, 5.0, 1.0], [0.0, 1.0, 3.0]],
                   [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                   np.diag([1.0, 2.0, -1.0])])
EX_CALLS = {
    "lu_factor_ex": (lambda lib, a: lib.linalg.lu_factor_ex(a), SING3),
    "lu_factor_ex_tall": (lambda lib, a: lib.linalg.lu_factor_ex(a[..., :2].mT), SING3),
    "solve_ex": (lambda lib, a: lib.linalg.solve_ex(a, lib.ones(3, dtype=a.dtype, device=a.device)).info, SING3),
    "cholesky_ex": (lambda lib, a: lib.linalg.cholesky_ex(a), NOT_PD),
    "cholesky_ex_upper": (lambda lib, a: lib.linalg.cholesky_ex(a, upper=True), NOT_PD),
    # more columns than one panel of the blocked factorisation, a zero column in the second
    "lu_factor_ex_blocked": (lambda lib, a: lib.linalg.lu_factor_ex(a), np.concatenate(
        [arrays((2, 50, 49), seed=3)[0], np.zeros((2, 50, 1)), arrays((2, 50, 3))[0]], -1)),
}


@pytest.mark.parametrize("name", sorted(EX_CALLS))
def test_ex_variants_give_torchs_info_pivots_and_factors(name, device):
    """info and pivots exactly, factors too (a failing Cholesky's partial factor as LAPACK leaves it)."""
    fn, a = EX_CALLS[name]
    want, got = fn(torch, torch.tensor(a)), fn(xptorch, xptorch.tensor(a, device=device))
    for w, g in zip(flat(want), flat(got)):
        assert str(g.dtype)[8:] == str(w.dtype)[6:]
        np.testing.assert_allclose(g.numpy(force=True), w.numpy(), rtol=1e-10, atol=1e-10)


EX_ERRORS = [  # (call, whether torch raises a LinAlgError rather than a plain RuntimeError)
    (lambda lib, d: lib.linalg.lu_factor(lib.tensor(SING3, device=d)), False),
    (lambda lib, d: lib.linalg.lu_factor_ex(lib.tensor(SING3[1], device=d), check_errors=True), False),
    (lambda lib, d: lib.linalg.solve_ex(lib.tensor(SING3, device=d), lib.ones(3, 1, dtype=lib.float64, device=d),
                                        check_errors=True), True),
    (lambda lib, d: lib.linalg.cholesky_ex(lib.tensor(NOT_PD, device=d), check_errors=True), True),
    (lambda lib, d: lib.linalg.cholesky_ex(lib.tensor(NOT_PD[2], device=d), upper=True, check_errors=True), True),
]


@pytest.mark.parametrize("fn", ["cholesky", "cholesky_ex"])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_reads_the_triangle_torch_reads(fn, upper):
    a = arrays((2, 3, 3), spd=(0,))[0] + np.triu(np.ones((3, 3)), 1)  # not symmetric: the triangles differ
    out = [getattr(lib.linalg, fn)(lib.tensor(a), upper=upper) for lib in (torch, xptorch)]
    for t, x in zip(flat(out[0]), flat(out[1])):
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("i", range(len(EX_ERRORS)))
def test_check_errors_raise_as_torch(i, device):
    from oracle import xp_message

    call, linalg_error = EX_ERRORS[i]
    with pytest.raises(RuntimeError) as et:
        call(torch, "cpu")
    with pytest.raises(RuntimeError) as ex:
        call(xptorch, device)
    assert str(ex.value) == xp_message(str(et.value))
    assert isinstance(et.value, torch.linalg.LinAlgError) == linalg_error
    assert isinstance(ex.value, xptorch.linalg.LinAlgError) == linalg_error


def test_lu_factor_ex_and_triangular_solves_stay_on_the_device(strict_cuda):
    """No device-to-host copy in the factorisation, the solves or their gradients (only check_errors syncs)."""
    a = xptorch.tensor(arrays((2, 4, 4))[0], device="cuda", requires_grad=True)
    b = xptorch.ones(4, 2, dtype=xptorch.float64, device="cuda")
    before = strict_cuda.sync_count()
    LU, piv, info = xptorch.linalg.lu_factor_ex(a)
    x = xptorch.linalg.lu_solve(LU, piv, b)
    c = xptorch.linalg.cholesky_ex(a @ a.mT).L
    (x.sum() + c.sum()).backward()
    assert strict_cuda.sync_count() == before
    assert a.grad.device.type == "cuda"


NAMED = {
    "lu_factor": lambda lib, a, b: lib.linalg.lu_factor(a).LU,
    "lu": lambda lib, a, b: lib.linalg.lu(a).U,
    "lu_solve": lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b, left=False),
    "solve_ex": lambda lib, a, b: lib.linalg.solve_ex(a, b).result,
    "cholesky_ex": lambda lib, a, b: lib.linalg.cholesky_ex(a @ a.mT).L,
    "matrix_exp": lambda lib, a, b: lib.linalg.matrix_exp(a),
    "solve_triangular": lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False),
    "vander": lambda lib, a, b: lib.linalg.vander(b[0]),
}


def test_new_functions_grad_fn_names_match_torch():
    a, b = arrays((3, 3), (3, 3))
    a = a + 4 * np.eye(3)
    for name, fn in NAMED.items():
        want = fn(torch, torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)).grad_fn.name()
        got = fn(xptorch, xptorch.tensor(a, requires_grad=True), xptorch.tensor(b, requires_grad=True)).grad_fn.name()
        assert got == want, name
