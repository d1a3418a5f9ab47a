"""Tensor attributes, conversions, memory-sharing views, in-place ops and errors, against torch 2.13."""
import operator
import os

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from oracle import (SETTINGS, assert_same_tensor, broadcastable, check_error, check_op, on_cpu_terms,  # noqa: E402
                    shapes, xp_message)

DTYPES = ["float16", "float32", "float64", "int32", "int64", "bool"]


def shares_memory(a, b):
    """Whether two tensors' elements overlap (on CUDA: whether they start at one address)."""
    if a.device.type == "cpu":
        return np.shares_memory(a.detach().numpy(), b.detach().numpy())
    return a.data_ptr() == b.data_ptr()


def pair(arr, **kw):
    arr = np.asarray(arr)
    return torch.tensor(arr.copy(), **kw), xptorch.tensor(arr.copy(), **kw)


# ---- attributes and conversions ----------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_attributes(shape, dtype):
    arr = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
    t, x = pair(arr)
    assert repr(x.shape) == xp_message(repr(t.shape)) and tuple(x.shape) == tuple(t.shape)
    assert x.size() == t.size() and x.dim() == t.dim() == x.ndim and x.numel() == t.numel()
    for d in range(-len(shape), len(shape)):
        assert x.size(d) == t.size(d)
    assert str(x.dtype) == xp_message(str(t.dtype))
    assert x.is_floating_point() == t.is_floating_point()
    assert x.element_size() == t.element_size()
    assert x.tolist() == t.tolist()
    assert x.is_leaf and x.grad is None and x.grad_fn is None and not x.requires_grad
    dev = xptorch.get_default_device()
    assert x.device == dev and (dev.type != "cpu" or str(x.device) == str(t.device) == "cpu")
    if x.numel() == 1:
        assert x.item() == t.item() and type(x.item()) is type(t.item())
    np.testing.assert_array_equal(x.cpu().numpy(), t.cpu().numpy())
    assert x.cpu().numpy().dtype == t.cpu().numpy().dtype


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "half"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_casts(method, dtype):
    arr = np.array([0, 1, 2, -3]).astype(dtype)
    check_op([arr], lambda a: getattr(a, method)(), lambda a: getattr(a, method)(), grad=False)


def test_cast_keeps_identity_when_dtype_matches():
    x = xptorch.ones(2)
    assert x.float() is x and x.to(xptorch.float32) is x and x.contiguous() is x
    assert x.device.type != "cpu" or x.cpu() is x
    assert x.to(xptorch.float32, copy=True) is not x


def test_to_and_grad_through_casts():
    check_op([(2, 3)], lambda a: a.to(torch.float64) * 2, lambda a: a.to(xptorch.float64) * 2)
    check_op([(2, 3)], lambda a: a.double().float().sum(), lambda a: a.double().float().sum())
    check_op([(2, 3)], lambda a: a.to("cpu", torch.float64), lambda a: a.to("cpu", xptorch.float64))
    check_op([(2, 3), (1,)], lambda a, b: a.to(b), lambda a, b: a.to(b), dtype="float64")


def test_item_errors_and_python_scalars():
    t, x = pair([1.0, 2.0])
    check_error(t.item, x.item)
    check_error(lambda: bool(t), lambda: bool(x))
    check_error(lambda: len(torch.tensor(1.0)), lambda: len(xptorch.tensor(1.0)))
    t1, x1 = pair([2.5])
    assert float(x1) == float(t1) and int(x1) == int(t1) and bool(x1) == bool(t1)
    assert f"{xptorch.tensor(1.23456):.2f}" == f"{torch.tensor(1.23456):.2f}"


def test_numpy_shares_memory_and_refuses_grad():
    arr = np.zeros(3, dtype=np.float32)
    x = xptorch.from_numpy(arr)
    x.add_(1)
    np.testing.assert_array_equal(arr, [1, 1, 1])
    x.numpy()[0] = 7
    assert x[0].item() == 7.0
    t, xr = pair([1.0], requires_grad=True)
    check_error(t.numpy, xr.numpy)
    assert xr.detach().numpy().tolist() == [1.0]


def test_clone_detach_contiguous():
    t, x = pair(np.arange(6.0).reshape(2, 3), requires_grad=True)
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not shares_memory(c, x)
    d = x.detach()
    assert shares_memory(d, x) and not d.requires_grad
    check_op([(2, 3)], lambda a: a.t().contiguous(), lambda a: a.t().contiguous())
    xt = x.t()
    assert not xt.is_contiguous() and xt.contiguous().is_contiguous()
    assert xt.stride() == t.t().stride()


def test_requires_grad_and_is_leaf():
    x = xptorch.ones(2)
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    y = x * 2
    assert not y.is_leaf and y.requires_grad
    with xptorch.no_grad():
        z = x * 2
    assert z.is_leaf and not z.requires_grad
    x.requires_grad = False
    assert not x.requires_grad


def test_data_property():
    w = xptorch.ones(2, 2, requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.is_leaf
    w.data[0, 0] = 42
    assert w[0, 0].item() == 42.0
    w.data[:] += 1
    np.testing.assert_array_equal(w.detach().cpu().numpy(), [[43, 2], [2, 2]])
    w.data *= w.data.abs() >= 5
    np.testing.assert_array_equal(w.detach().cpu().numpy(), [[43, 0], [0, 0]])
    w.data = xptorch.zeros(3)
    assert w.shape == (3,) and w.requires_grad


def test_seed_notebook_init_pattern():
    """`tensor *= (tensor.abs() >= 5).float()` under no_grad, then `w.data *= mask`."""
    t, x = pair(np.linspace(-10, 10, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    with torch.no_grad():
        t *= (t.abs() >= 5).float()
    with xptorch.no_grad():
        x *= (x.abs() >= 5).float()
    assert_same_tensor(x.detach(), t.detach())
    t.data *= t.data.abs() >= 8
    x.data *= x.data.abs() >= 8
    assert_same_tensor(x.detach(), t.detach())
    assert x.requires_grad and x.is_leaf and x.grad_fn is None


# ---- views share memory ---------------------------------------------------------------------

VIEWS = {
    "view": lambda a: a.view(3, 4),
    "reshape": lambda a: a.reshape(2, 6),
    "flatten": lambda a: a.flatten(),
    "t": lambda a: a.t(),
    "transpose": lambda a: a.transpose(0, 1),
    "permute": lambda a: a.permute(1, 0),
    "unsqueeze": lambda a: a.unsqueeze(1),
    "squeeze": lambda a: a.unsqueeze(0).squeeze(0),
    "expand": lambda a: a[:1].expand(3, 3),
    "select": lambda a: a[1],
    "slice": lambda a: a[1:3, ::2],
    "ellipsis": lambda a: a[..., 1],
    "detach": lambda a: a.detach(),
    "data": lambda a: a.data,
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_share_memory_both_ways(name):
    f = VIEWS[name]
    base_t, base_x = pair(np.arange(12.0).reshape(4, 3))
    vt, vx = f(base_t), f(base_x)
    # Writing through the view changes the base, and the reverse.
    if name != "expand":  # an expanded view's elements overlap
        vt[(0,) * vt.dim()] = -1.0
        vx[(0,) * vx.dim()] = -1.0
    base_t.add_(100)
    base_x.add_(100)
    assert_same_tensor(vx, vt)
    assert_same_tensor(base_x, base_t)


def test_reshape_copies_only_when_needed():
    x = xptorch.arange(6.0).view(2, 3)
    assert shares_memory(x.reshape(3, 2), x)
    xt = x.t()
    assert not shares_memory(xt.reshape(6), x)
    check_error(lambda: torch.arange(6.0).view(2, 3).t().view(6), lambda: xt.view(6))


def test_views_share_version_counter():
    x = xptorch.ones(3)
    v = x[1:]
    v.add_(1)
    assert x._version == v._version == 1
    x.mul_(2)
    assert v._version == 2


def test_setitem_forms_match_torch():
    base = np.arange(12.0).reshape(4, 3)
    cases = [
        ((0, 0), 42.0), ((slice(None),), 1.0), ((1,), np.array([7.0, 8.0, 9.0])), ((slice(1, 3), 1), -5.0),
        (([0, 2],), 3.0), ((np.array([True, False, True, False]),), 0.5), ((Ellipsis, 0), np.array([1.0])),
        ((slice(None), [0, 2]), np.array([[1.0, 2.0]])),
    ]
    for idx, value in cases:
        t, x = pair(base)
        tv = torch.tensor(value) if isinstance(value, np.ndarray) else value
        xv = xptorch.tensor(value) if isinstance(value, np.ndarray) else value
        ti = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
        xi = tuple(xptorch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
        t[ti] = tv
        x[xi] = xv
        assert_same_tensor(x, t)
    t, x = pair(base)
    t[t > 5] = 0.0
    x[x > 5] = 0.0
    assert_same_tensor(x, t)


@pytest.mark.parametrize("idx,value", [
    ((0,), np.ones(4)), (([0, 1],), np.ones(4)), ((7,), 1.0), ((0, 5), 1.0), ((slice(None), 0), np.ones(3)),
])
def test_setitem_errors_leave_tensor_unchanged(idx, value):
    t, x = pair(np.arange(12.0).reshape(4, 3))
    before = x.cpu().numpy().copy()
    tv = torch.tensor(value) if isinstance(value, np.ndarray) else value
    xv = xptorch.tensor(value) if isinstance(value, np.ndarray) else value

    def tset():
        t[idx] = tv

    def xset():
        x[idx] = xv

    check_error(tset, xset)
    assert x.cpu().numpy().tobytes() == before.tobytes() and x._version == 0


@pytest.mark.parametrize("idx", [5, -5, (0, 3), (0, 0, 0), 1.5, [0, 4], (slice(None), [3]), "mask", "float_tensor",
                                 "mask_shape", "neg_step"])
def test_getitem_errors(idx):
    t, x = pair(np.arange(12.0).reshape(4, 3))
    if idx == "mask":
        ti, xi = torch.tensor([True, False]), xptorch.tensor([True, False])
    elif idx == "float_tensor":
        ti, xi = torch.tensor([1.0]), xptorch.tensor([1.0])
    elif idx == "mask_shape":
        ti, xi = (slice(None), torch.tensor([True, False, True, True])), (slice(None), xptorch.tensor([True, False, True, True]))
    elif idx == "neg_step":
        ti = xi = slice(None, None, -1)
    else:
        ti = xi = idx
    if x.device.type == "cuda" and idx in ([0, 4], (slice(None), [3])):
        pytest.skip("an index out of range is a deferred device-side check on CUDA (tests/test_cuda_rules.py)")
    check_error(lambda: t[ti], lambda: x[xi])


@pytest.mark.parametrize("idx", [0, slice(None), (0, 0), (None, 1)])
def test_zero_dim_getitem_errors(idx):
    t, x = pair(np.array(1.5))
    check_error(lambda: t[idx], lambda: x[idx])


# ---- in-place ops -----------------------------------------------------------------------------

INPLACE = {
    "add_": lambda a, b: a.add_(b),
    "add_alpha": lambda a, b: a.add_(b, alpha=-0.5),
    "sub_": lambda a, b: a.sub_(b),
    "mul_": lambda a, b: a.mul_(b),
    "div_": lambda a, b: a.div_(b),
    "iadd": operator.iadd,
    "isub": operator.isub,
    "imul": operator.imul,
    "itruediv": operator.itruediv,
    "copy_": lambda a, b: a.copy_(b),
    "clamp_t": lambda a, b: a.clamp_(min=b),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@SETTINGS
@given(shps=broadcastable(2), da=st.sampled_from(DTYPES), db=st.sampled_from(DTYPES))
def test_inplace_binary_matches_torch_or_fails_cleanly(name, shps, da, db):
    """Same values and dtype as torch, or torch's error with the tensor bitwise unchanged."""
    f = INPLACE[name]
    rng = np.random.default_rng(0)
    a = (rng.uniform(1, 3, size=shps[0]) * 2).astype(da)
    b = (rng.uniform(1, 3, size=shps[1]) * 2).astype(db)
    ta, xa = pair(a)
    tb, xb = pair(b)
    before = xa.cpu().numpy().tobytes()
    try:
        tout = f(ta, tb)
    except Exception as exc:
        from oracle import assert_same_error

        assert_same_error(exc, lambda: f(xa, xb))
        assert xa.cpu().numpy().tobytes() == before and xa._version == 0
        return
    xout = f(xa, xb)
    assert xout is xa and tout is ta
    assert_same_tensor(xa, ta, rtol=1e-3 if "float16" in (da, db) else None)
    assert xa._version == 1


@pytest.mark.parametrize("scalar", [2, 2.5, True, -1])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_", "fill_", "clamp_"])
def test_inplace_scalar(scalar, dtype, name):
    a = np.array([1, 2, 3]).astype(dtype)
    ta, xa = pair(a)
    before = xa.cpu().numpy().tobytes()

    def f(x):
        return x.clamp_(max=scalar) if name == "clamp_" else getattr(x, name)(scalar)

    try:
        f(ta)
    except Exception as exc:
        from oracle import assert_same_error

        assert_same_error(exc, lambda: f(xa))
        assert xa.cpu().numpy().tobytes() == before
        return
    f(xa)
    assert_same_tensor(xa, ta)


def test_zero_fill_copy_random_inplace():
    x = xptorch.ones(2, 3)
    assert x.zero_() is x and x.sum().item() == 0
    assert x.fill_(2.5) is x and x.mean().item() == 2.5
    assert x.fill_(xptorch.tensor(1.5)).max().item() == 1.5
    assert x.copy_(xptorch.tensor([1, 2, 3])) is x and x.dtype == xptorch.float32
    assert x.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    xptorch.manual_seed(0)
    u = xptorch.empty(1000).uniform_(-2, 3)
    assert u.min().item() >= -2 and u.max().item() < 3 and abs(u.mean().item() - 0.5) < 0.15
    n = xptorch.empty(2000).normal_(1.0, 0.5)
    assert abs(n.mean().item() - 1.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    for t in (u, n):
        assert t._version == 1


@pytest.mark.parametrize("case", ["fill_dim", "uniform_bounds", "normal_std", "uniform_int", "normal_int", "copy_shape",
                                  "copy_grow", "div_int", "add_float_to_int", "bool_sub"])
def test_inplace_errors_leave_tensor_unchanged(case):
    def run(lib, x):
        if case == "fill_dim":
            x.fill_(lib.ones(2))
        elif case == "uniform_bounds":
            x.uniform_(2, 1)
        elif case == "normal_std":
            x.normal_(0, -1)
        elif case == "uniform_int":
            x.long().uniform_()
        elif case == "normal_int":
            x.long().normal_()
        elif case == "copy_shape":
            x.copy_(lib.ones(5))
        elif case == "copy_grow":
            x.copy_(lib.ones(2, 3))
        elif case == "div_int":
            x.long().div_(2)
        elif case == "add_float_to_int":
            x.long().add_(1.5)
        else:
            x.bool().sub_(True)

    t, x = pair([1.0, 2.0, 3.0])
    before = x.cpu().numpy().tobytes()
    check_error(lambda: run(torch, t), lambda: run(xptorch, x))
    assert x.cpu().numpy().tobytes() == before and x._version == 0


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb", [((2, 5), (4, 8)), ((3, 2, 5), (4, 8)), ((5,), (4,)), ((5,), (4, 2)), ((2, 5), (4,)),
                                   ((2, 2, 5), (3, 5, 8)), ((2, 2, 5), (2, 4, 8)), ((2, 5), (3, 4, 2)),
                                   ((3, 2, 5), (4,)), ((), (3,))])
def test_matmul_errors(sa, sb):
    check_error(lambda: torch.ones(sa) @ torch.ones(sb), lambda: xptorch.ones(sa) @ xptorch.ones(sb))


def test_mm_bmm_errors():
    check_error(lambda: torch.ones(2, 5).mm(torch.ones(4, 8)), lambda: xptorch.ones(2, 5).mm(xptorch.ones(4, 8)))
    check_error(lambda: torch.ones(2, 5, 2).mm(torch.ones(2, 4)), lambda: xptorch.ones(2, 5, 2).mm(xptorch.ones(2, 4)))
    check_error(lambda: torch.ones(2, 5).mm(torch.ones(5)), lambda: xptorch.ones(2, 5).mm(xptorch.ones(5)))
    check_error(lambda: torch.ones(2, 5).bmm(torch.ones(2, 5, 2)), lambda: xptorch.ones(2, 5).bmm(xptorch.ones(2, 5, 2)))
    check_error(lambda: torch.ones(2, 2, 5).bmm(torch.ones(2, 4, 8)),
                lambda: xptorch.ones(2, 2, 5).bmm(xptorch.ones(2, 4, 8)))
    check_error(lambda: torch.ones(2, 5).mm(torch.ones(5, 2, dtype=torch.float64)),
                lambda: xptorch.ones(2, 5).mm(xptorch.ones(5, 2, dtype=xptorch.float64)))
    check_error(lambda: torch.ones(2, 2, 5).bmm(torch.ones(2, 5, 2, dtype=torch.float64)),
                lambda: xptorch.ones(2, 2, 5).bmm(xptorch.ones(2, 5, 2, dtype=xptorch.float64)))
    check_error(lambda: torch.ones(5) @ torch.ones(5, dtype=torch.float64),
                lambda: xptorch.ones(5) @ xptorch.ones(5, dtype=xptorch.float64))


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 3)), ((2, 3), (3, 2)), ((2, 3, 4), (5, 4)), ((3,), (4,))])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "maximum", "lt", "where", "add_"])
def test_broadcast_errors(sa, sb, op):
    def run(lib):
        a, b = lib.ones(sa), lib.ones(sb)
        if op == "where":
            return lib.where(a > 0, a, b)
        if op == "add_":
            return a.add_(b)
        return getattr(lib, op)(a, b)

    check_error(lambda: run(torch), lambda: run(xptorch))


SHAPE_ERRORS = {
    "view": lambda lib: lib.ones(2, 3).view(4, 2),
    "view_two_inferred": lambda lib: lib.ones(2, 3).view(-1, -1),
    "reshape": lambda lib: lib.ones(2, 3).reshape(4, -1),
    "permute_len": lambda lib: lib.ones(2, 3).permute(0),
    "permute_dup": lambda lib: lib.ones(2, 3).permute(0, 0),
    "transpose": lambda lib: lib.ones(2, 3).transpose(0, 2),
    "unsqueeze": lambda lib: lib.ones(2, 3).unsqueeze(3),
    "squeeze": lambda lib: lib.ones(2, 3).squeeze(2),
    "expand": lambda lib: lib.ones(2, 3).expand(3, 3),
    "expand_fewer": lambda lib: lib.ones(2, 3, dtype=lib.float64).expand(3),
    "flatten": lambda lib: lib.ones(2, 3, 4).flatten(2, 0),
    "t_3d": lambda lib: lib.ones(2, 3, 4).t(),
    "sum_dim": lambda lib: lib.ones(2, 3).sum(2),
    "mean_dim": lambda lib: lib.ones(2, 3).mean(-3),
    "sum_dup": lambda lib: lib.ones(2, 3).sum((0, 0)),
    "max_empty": lambda lib: lib.ones(0, 3).max(),
    "max_empty_dim": lambda lib: lib.ones(0, 3).max(0),
    "argmax_bool": lambda lib: lib.ones(3, dtype=lib.bool).argmax(),
    "mean_int": lambda lib: lib.ones(3, dtype=lib.int64).mean(),
    "var_int": lambda lib: lib.ones(3, dtype=lib.int32).var(),
    "cat_dims": lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3)]),
    "cat_sizes": lambda lib: lib.cat([lib.ones(2, 3), lib.ones(3, 2)]),
    "cat_empty": lambda lib: lib.cat([]),
    "cat_0d": lambda lib: lib.cat([lib.ones(()), lib.ones(())]),
    "stack": lambda lib: lib.stack([lib.ones(2, 3), lib.ones(3, 2)]),
    "neg_bool": lambda lib: -lib.ones(2, dtype=lib.bool),
    "abs_bool": lambda lib: lib.ones(2, dtype=lib.bool).abs(),
    "int_neg_pow": lambda lib: lib.ones(2, dtype=lib.int64) ** -1,
    "clamp_none": lambda lib: lib.ones(2).clamp(),
    "alpha_int": lambda lib: lib.ones(2, dtype=lib.int64).add(lib.ones(2, dtype=lib.int64), alpha=0.5),
    "where_cond": lambda lib: lib.where(lib.ones(2), lib.ones(2), lib.ones(2)),
    "relu_bool": lambda lib: lib.relu(lib.ones(2, dtype=lib.bool)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_ERRORS))
def test_op_errors(name):
    f = SHAPE_ERRORS[name]
    check_error(lambda: f(torch), lambda: f(xptorch))


# ---- devices (simulated CUDA) ------------------------------------------------------------------

@pytest.fixture
def fake_cuda(simulated_cuda):
    yield


MIXED = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "matmul": lambda a, b: a @ b,
    "mm": lambda a, b: a.mm(b),
    "maximum": lambda a, b: xptorch.maximum(a, b),
    "cat": lambda a, b: xptorch.cat([a, b]),
    "stack": lambda a, b: xptorch.stack([a, b]),
    "add_": lambda a, b: a.add_(b),
    "copy_ok": None,
}


@pytest.mark.parametrize("name", sorted(k for k, v in MIXED.items() if v is not None))
def test_mixing_devices_raises_torchs_message(fake_cuda, name):
    a = xptorch.ones(2, 2)
    b = xptorch.ones(2, 2, device="cuda")
    with pytest.raises(RuntimeError) as exc:
        MIXED[name](a, b)
    assert str(exc.value) == (
        "Expected all tensors to be on the same device, but found at least two devices, cpu and cuda:0!"
    )
    assert a.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_device_moves_and_scalars(fake_cuda):
    a = xptorch.ones(2, 2, requires_grad=True)
    c = a.cuda()
    assert c.device == xptorch.device("cuda", 0) and c.is_cuda and c.grad_fn.name() == "ToCopyBackward0"
    assert (c + xptorch.tensor(2.0)).device == c.device  # a 0-d CPU tensor joins any device
    out = (c * 3).sum()
    out.backward()
    assert a.grad.device == xptorch.device("cpu") and a.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert c.to("cpu").device.type == "cpu" and c.cpu().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        c.detach().numpy()
    d = xptorch.zeros(2, 2, device="cuda")
    d.copy_(xptorch.ones(2, 2))
    assert d.device.type == "cuda" and d.sum().item() == 4.0


# ---- printing ---------------------------------------------------------------------------------

def test_reprs_end_to_end():
    cases = [
        lambda lib: lib.tensor([1.0, 2.0, 3.0]),
        lambda lib: lib.tensor([[1.5, -2.25]], dtype=lib.float64),
        lambda lib: lib.tensor([1, 2]),
        lambda lib: lib.tensor([1, 2], dtype=lib.int32),
        lambda lib: lib.tensor([True, False]),
        lambda lib: lib.tensor(42.0),
        lambda lib: lib.tensor([0.5, 1.5], requires_grad=True),
        lambda lib: lib.tensor([0.5, 1.5], requires_grad=True) * 2,
        lambda lib: lib.tensor([[0.5, 1.5]], requires_grad=True).sum(),
        lambda lib: lib.tensor([[0.5, 1.5]], requires_grad=True)[0, 1:],
        lambda lib: lib.tensor([[0.5, 1.5]], dtype=lib.float64, requires_grad=True).t(),
        lambda lib: lib.zeros(0, 3),
        lambda lib: lib.ones(2, 3).shape,
        lambda lib: lib.ones(2, 3).dtype,
    ]
    for f in cases:
        assert on_cpu_terms(repr(f(xptorch))) == xp_message(repr(f(torch)))


def test_linear_like_repr_and_grad():
    tw, xw = pair(np.array([[0.1, -0.2, 0.3, 0.4], [0.5, 0.6, -0.7, 0.8]], dtype=np.float32), requires_grad=True)
    tb, xb = pair(np.array([0.1, -0.1], dtype=np.float32), requires_grad=True)
    tx, xx = pair(np.arange(8, dtype=np.float32).reshape(2, 4) / 8)
    import torch.nn.functional as F

    ty = F.linear(tx, tw, tb)
    xy = xptorch._ops.linalg.linear(xx, xw, xb)
    assert on_cpu_terms(repr(xy)) == xp_message(repr(ty))
    ty.relu().sum().backward()
    xy.relu().sum().backward()
    assert_same_tensor(xw.grad, tw.grad)
    assert_same_tensor(xb.grad, tb.grad)


@SETTINGS
@given(shp=shapes(max_dims=2))
def test_repr_of_random_values(shp):
    arr = np.random.default_rng(0).normal(size=shp).astype(np.float32)
    assert on_cpu_terms(repr(xptorch.tensor(arr))) == xp_message(repr(torch.tensor(arr)))


def test_deepcopy_of_a_leaf_copies_values_and_grad_but_not_memory():
    import copy

    t = xptorch.tensor([1.0, 2.0], requires_grad=True)
    (t * 3).sum().backward()
    c = copy.deepcopy(t)
    assert c is not t and c.requires_grad and c.is_leaf
    np.testing.assert_array_equal(c.grad.cpu().numpy(), [3.0, 3.0])
    c.data[0] = 9
    assert float(t[0]) == 1.0
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(t * 2)


def test_type_names_cuda_tensors(simulated_cuda):
    assert xptorch.zeros(2).type() == "xptorch.FloatTensor"
    assert xptorch.zeros(2, device="cuda").type() == "xptorch.cuda.FloatTensor"


def test_implicit_softmax_dim_warns_like_torch():
    import warnings

    import xptorch.nn.functional as F

    torch = pytest.importorskip("torch")
    for name in ("softmax", "log_softmax"):
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            getattr(F, name)(xptorch.rand(2, 3))
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            getattr(torch.nn.functional, name)(torch.rand(2, 3))
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_hook_handles_have_ids():
    from xptorch import nn

    lin = nn.Linear(1, 1)
    a = lin.register_forward_hook(lambda *args: None)
    b = lin.register_forward_hook(lambda *args: None)
    assert isinstance(a.id, int) and a.id != b.id


def test_legacy_constructor_matches_torch():
    torch = pytest.importorskip("torch")
    for args in [(2, 3), ([1, 2],), ((1.5, 2),), ()]:
        ours, theirs = xptorch.Tensor(*args), torch.Tensor(*args)
        assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == xptorch.float32
        if args and not isinstance(args[0], int):
            np.testing.assert_array_equal(ours.cpu().numpy(), theirs.cpu().numpy())
    assert tuple(xptorch.Tensor(xptorch.Size([4])).shape) == (4,)
    with pytest.raises(TypeError, match="data must be a sequence"):
        xptorch.Tensor(2.5)


_FLOAT_OF_GRAD = """
import warnings, sys
lib = __import__(sys.argv[1])
t = lib.tensor(2.0, requires_grad=True)
out = []
for v in (t.detach(), t * 3, t, t):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out.append(float(v))
    out.append([(x.category.__name__, str(x.message).split(" (Triggered")[0], x.filename) for x in w])
print(out)
"""


def test_float_of_a_tensor_requiring_grad_warns_once_per_process():
    import subprocess
    import sys

    def run(lib):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        return subprocess.run([sys.executable, "-c", _FLOAT_OF_GRAD, lib], capture_output=True, text=True,
                              env=env, check=True).stdout

    assert run("xptorch") == xp_message(run("torch"))
