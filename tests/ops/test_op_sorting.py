"""sort, argsort, topk, kthvalue against torch: values, indices (stable order of ties), gradients,
errors, return types, on cpu and cuda."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402
from oracle import check_error  # noqa: E402

TIES = np.array([[3, 1, 2, 1, 3, 0], [2, 2, 2, 1, 1, 1]], np.float32)
NANS = np.array([1.0, np.nan, 0.0, np.nan, -np.inf, np.inf], np.float32)


@pytest.mark.parametrize("shape_or_array", [(5,), (3, 4), (2, 3, 4), (), (0, 3), TIES, NANS])
@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(device, shape_or_array, dim, descending):
    check(device, [shape_or_array], lambda x: torch.sort(x, dim, descending),
          lambda x: xptorch.sort(x, dim, descending))
    check(device, [shape_or_array], lambda x: x.argsort(dim=dim, descending=descending),
          lambda x: x.argsort(dim=dim, descending=descending))


def test_sort_integer_and_bool(device):
    ints = np.array([3, 1, 2, 1, -7], np.int64)
    check(device, [ints], lambda x: torch.sort(x, descending=True), lambda x: xptorch.sort(x, descending=True))
    check(device, [np.array([True, False, True])], torch.sort, xptorch.sort)
    check(device, [ints], lambda x: torch.argsort(x, stable=True), lambda x: xptorch.argsort(x, stable=True))


def test_sort_large_with_ties(device):
    rng = np.random.default_rng(0)
    big = rng.integers(0, 50, size=10000).astype(np.float32)  # many ties
    for desc in (False, True):
        check(device, [big], lambda x: torch.sort(x, descending=desc, stable=True),
              lambda x: xptorch.sort(x, descending=desc, stable=True))
    # Unstable sort: torch's order of ties is its own; the values and what the indices point at agree.
    t = torch.sort(torch.tensor(big), descending=True)
    x = xptorch.sort(xptorch.tensor(big, device=device), descending=True)
    np.testing.assert_array_equal(x.values.cpu().numpy(), t.values.numpy())
    np.testing.assert_array_equal(big[x.indices.cpu().numpy()], t.values.numpy())
    distinct = rng.permutation(10000).astype(np.float64)
    check(device, [distinct], torch.sort, xptorch.sort, dtype="float64")


def test_return_types_repr_and_fields():
    t = torch.sort(torch.tensor([2, 1]))
    x = xptorch.sort(xptorch.tensor([2, 1]))
    assert repr(x) == repr(t).replace("torch", "xptorch")
    assert type(x).__name__ == "sort" and type(x).__module__ == "xptorch.return_types"
    values, indices = x
    assert values is x.values and indices is x.indices and x[0] is x.values and len(x) == 2
    assert repr(xptorch.max(xptorch.tensor([[2, 1]]), 1)) == repr(torch.max(torch.tensor([[2, 1]]), 1)).replace(
        "torch", "xptorch")


@pytest.mark.parametrize("k,dim,largest", [(2, -1, True), (1, 0, False), (3, 1, False), (0, -1, True), (4, -1, True)])
def test_topk(device, k, dim, largest):
    check(device, [(3, 4)], lambda x: torch.topk(x, k, dim, largest), lambda x: xptorch.topk(x, k, dim, largest))
    check(device, [(3, 4)], lambda x: x.topk(k, dim=dim, largest=largest),
          lambda x: x.topk(k, dim=dim, largest=largest))


@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (2, 0, True), (4, 1, False), (3, -1, True)])
def test_kthvalue(device, k, dim, keepdim):
    check(device, [(3, 4)], lambda x: torch.kthvalue(x, k, dim, keepdim), lambda x: xptorch.kthvalue(x, k, dim, keepdim))


def test_zero_dim(device):
    check(device, [()], lambda x: torch.topk(x, 1), lambda x: xptorch.topk(x, 1))
    check(device, [()], lambda x: torch.kthvalue(x, 1), lambda x: xptorch.kthvalue(x, 1))


ERRORS = [
    ("sort bad dim", lambda m, x: m.sort(x, 2)),
    ("argsort bad dim", lambda m, x: m.argsort(x, -3)),
    ("topk k too big", lambda m, x: m.topk(x, 5)),
    ("topk negative k", lambda m, x: m.topk(x, -1)),
    ("kthvalue 0", lambda m, x: m.kthvalue(x, 0)),
    ("kthvalue too big", lambda m, x: m.kthvalue(x, 4, 0)),
    ("topk bad dim", lambda m, x: m.topk(x, 1, 3)),
]


@pytest.mark.parametrize("what,fn", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(device, what, fn):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = xptorch.tensor(a).to(device)
    check_error(lambda: fn(torch, torch.tensor(a)), lambda: fn(xptorch, x))
    np.testing.assert_array_equal(x.cpu().numpy(), a)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int32", "int8", "uint8", "bool", "int64"])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_special_values_every_dtype(device, dtype, descending):
    if dtype in ("float32", "float16", "float64"):
        vals = np.array([0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1.0, 1.0, -2.5, 0.0], dtype)
    elif dtype == "bool":
        vals = np.array([True, False, True, True, False])
    else:
        info = np.iinfo(dtype)
        vals = np.array([info.max, info.min, 0, 1, 1, info.min, 3], dtype)
    check(device, [vals], lambda x: torch.sort(x, descending=descending, stable=True),
          lambda x: xptorch.sort(x, descending=descending, stable=True), grad=False)
    check(device, [np.stack([vals, vals[::-1]])], lambda x: torch.sort(x, dim=1, descending=descending, stable=True),
          lambda x: xptorch.sort(x, dim=1, descending=descending, stable=True), grad=False)
