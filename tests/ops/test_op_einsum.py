"""einsum, mv, outer, dot against torch: values, every gradient, errors, on cpu and cuda."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402
from oracle import check_error, gradcheck  # noqa: E402

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ba", [(2, 3)]),
    ("Ba,b", [(2, 3), (4,)]),
    ("...ij,...jk", [(5, 1, 2, 3), (4, 3, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("ijk,k->", [(2, 3, 4), (4,)]),
    ("ab,cd->", [(2, 3), (4, 5)]),
]


@pytest.mark.parametrize("eq,shapes", EQUATIONS, ids=[e[0] for e in EQUATIONS])
def test_einsum(device, eq, shapes):
    check(device, shapes, lambda *a: torch.einsum(eq, *a), lambda *a: xptorch.einsum(eq, *a),
          check_grad_fn=False, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("eq,shapes", EQUATIONS[:8] + EQUATIONS[13:], ids=[e[0] for e in EQUATIONS[:8] + EQUATIONS[13:]])
def test_einsum_gradients_finite_differences(eq, shapes):
    rng = np.random.default_rng(0)
    gradcheck(lambda *a: xptorch.einsum(eq, *a), [rng.standard_normal(s) for s in shapes])


def test_einsum_list_of_operands_and_integers(device):
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    check(device, [a, b], lambda x, y: torch.einsum("ij,jk", [x, y]), lambda x, y: xptorch.einsum("ij,jk", [x, y]))


def test_einsum_grad_fn_names_of_common_forms():
    for eq, shapes in [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij->ji", [(2, 3)]), ("i,i->", [(3,), (3,)])]:
        t = torch.einsum(eq, *[torch.ones(s, requires_grad=True) for s in shapes])
        x = xptorch.einsum(eq, *[xptorch.ones(s, requires_grad=True) for s in shapes])
        assert x.grad_fn.name() == type(t.grad_fn).__name__


EINSUM_ERRORS = [
    ("ij,jk", [(2, 3)]),
    ("ij", [(2, 3), (3, 4)]),
    ("ijk", [(2, 3)]),
    ("ijk...", [(2, 3)]),
    ("ij,ij", [(2, 3), (3, 4)]),
    ("ij->ii", [(2, 3)]),
    ("ij->k", [(2, 3)]),
    ("i1", [(2, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS, ids=[e[0] for e in EINSUM_ERRORS])
def test_einsum_errors(eq, shapes):
    check_error(lambda: torch.einsum(eq, *[torch.ones(s) for s in shapes]),
                lambda: xptorch.einsum(eq, *[xptorch.ones(s) for s in shapes]))


def test_einsum_dtype_mismatch():
    check_error(lambda: torch.einsum("i,i", torch.ones(2), torch.ones(2, dtype=torch.float64)),
                lambda: xptorch.einsum("i,i", xptorch.ones(2), xptorch.ones(2, dtype=xptorch.float64)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mv(device, dtype):
    check(device, [(2, 3), (3,)], torch.mv, xptorch.mv, dtype=dtype)
    check(device, [(2, 3), (3,)], lambda a, v: a.mv(v), lambda a, v: a.mv(v), dtype=dtype)
    check(device, [(0, 3), (3,)], torch.mv, xptorch.mv, dtype=dtype)


@pytest.mark.parametrize("shapes,dtypes", [([(2, 3), (2,)], None), ([(3,), (3,)], None), ([(2, 3, 2), (3,)], None),
                                           ([(2, 3), (3, 1)], None), ([(2, 3), (3,)], ("float64", "float32")),
                                           ([(2, 3), (3,)], ("float32", "int64"))])
def test_mv_errors(shapes, dtypes):
    dtypes = dtypes or ("float32", "float32")
    check_error(lambda: torch.mv(*[torch.ones(s, dtype=getattr(torch, d)) for s, d in zip(shapes, dtypes)]),
                lambda: xptorch.mv(*[xptorch.ones(s, dtype=getattr(xptorch, d)) for s, d in zip(shapes, dtypes)]))


def test_outer(device):
    check(device, [(3,), (4,)], torch.outer, xptorch.outer)
    check(device, [(3,), (4,)], lambda a, b: a.outer(b), lambda a, b: a.outer(b))
    check(device, [(3,), np.arange(4)], torch.outer, xptorch.outer)  # promotes like a product
    check_error(lambda: torch.outer(torch.ones(2, 2), torch.ones(3)), lambda: xptorch.outer(xptorch.ones(2, 2), xptorch.ones(3)))
    check_error(lambda: torch.outer(torch.ones(2), torch.ones(3, 1)), lambda: xptorch.outer(xptorch.ones(2), xptorch.ones(3, 1)))


def test_dot_function(device):
    check(device, [(4,), (4,)], torch.dot, xptorch.dot)


DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
DTYPE_EQUATIONS = [
    ("ij->", [(2, 3)]), ("ij->i", [(2, 3)]), ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]),
    ("ij,jk->ik", [(2, 3), (3, 2)]), ("ij,jk->", [(2, 3), (3, 2)]), ("ij,kl->i", [(2, 3), (3, 2)]),
    ("ij,jk->ij", [(2, 3), (3, 2)]), ("ij,jk->ijk", [(2, 3), (3, 2)]), ("ij,ij->j", [(2, 3), (1, 3)]),
    ("ij,ij->i", [(2, 3), (1, 3)]), ("ij,i->j", [(2, 3), (2,)]), ("ij,k->ik", [(2, 3), (2,)]),
    ("ij,jk,k->", [(2, 3), (3, 2), (2,)]), ("ij,jk,k->i", [(2, 3), (3, 2), (2,)]),
    ("ij->j", [(1, 3)]), ("ij,jk->ik", [(2, 1), (1, 2)]), ("ij,ij->j", [(1, 3), (1, 3)]),
    ("ij,jk->", [(2, 1), (1, 2)]), ("ij,jk->k", [(2, 1), (1, 2)]), ("ij,k->ik", [(2, 1), (2,)]),
    ("ij,jk->ik", [(2, 3), (1, 2)]), ("ij,jk,kl->", [(1, 3), (3, 1), (1, 1)]),
]


def _filled(lib, shape, dtype, seed):
    # 100 for integers: a sum of 6 or 12 of them overflows int8 and uint8, as a narrow sum would
    data = np.random.default_rng(seed).integers(0, 2, size=shape) * (100 if "int" in dtype else 1)
    return lib.tensor(data.tolist(), dtype=getattr(lib, dtype))


@pytest.mark.parametrize("eq,shapes", DTYPE_EQUATIONS)
@pytest.mark.parametrize("dtypes", [(d, d) for d in DTYPES] + [("int32", "int64"), ("int64", "int32"),
                                                                ("bool", "int64"), ("int32", "float32"),
                                                                ("float32", "float64")])
def test_einsum_result_dtype_and_refusals_as_torch(eq, shapes, dtypes):
    """Summed subscripts add up in int64 for bool/integer operands (PyTorch's sum), a contraction
    (bmm) refuses bool and mixed dtypes, a plain product promotes: value, dtype and error as torch."""
    dts = [dtypes[min(k, 1)] for k in range(len(shapes))]

    def run(lib):
        return lib.einsum(eq, *[_filled(lib, s, d, k) for k, (s, d) in enumerate(zip(shapes, dts))])

    try:
        want = run(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)) as got:
            run(xptorch)
        assert str(got.value) == str(e)
        return
    got = run(xptorch)
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=1e-3)
