"""Every op against torch 2.13 through one helper: shape, dtype, values, grad_fn, gradients; on the CPU and on
CUDA (the strict CuPy stand-in without a GPU), inputs moved there and results compared on the CPU."""
import operator

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from devices import check, on  # noqa: E402
from oracle import SETTINGS, broadcastable, dtypes, gradcheck, shapes  # noqa: E402

# ---- binary ops with broadcasting ------------------------------------------------------------

BINARY = {
    "add": (torch.add, xptorch.add),
    "add_op": (operator.add, operator.add),
    "add_alpha": (lambda a, b: torch.add(a, b, alpha=2.5), lambda a, b: xptorch.add(a, b, alpha=2.5)),
    "sub": (torch.sub, xptorch.sub),
    "sub_op": (operator.sub, operator.sub),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=3), lambda a, b: a.sub(b, alpha=3)),
    "mul": (operator.mul, operator.mul),
    "div": (operator.truediv, operator.truediv),
    "maximum": (torch.maximum, xptorch.maximum),
    "minimum": (torch.minimum, xptorch.minimum),
    "eq": (operator.eq, operator.eq),
    "ne": (operator.ne, operator.ne),
    "lt": (operator.lt, operator.lt),
    "le": (operator.le, operator.le),
    "gt": (operator.gt, operator.gt),
    "ge": (operator.ge, operator.ge),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shps=broadcastable(2), dtype=dtypes)
def test_binary_broadcast(device, name, shps, dtype):
    tf, xf = BINARY[name]
    check(device, list(shps), tf, xf, dtype=dtype)


@SETTINGS
@given(shps=broadcastable(2), dtype=dtypes)
def test_pow_tensor_exponent(device, shps, dtype):
    check(device, list(shps), torch.pow, xptorch.pow, dtype=dtype, low=0.5, high=2.0)


@SETTINGS
@given(shps=broadcastable(3), dtype=dtypes)
def test_where_broadcast(device, shps, dtype):
    cond = np.random.default_rng(1).integers(0, 2, size=shps[0]).astype(bool)
    check(device, [cond, shps[1], shps[2]], torch.where, xptorch.where, dtype=dtype)


SCALAR = {
    "add": (lambda a: a + 2.5, lambda a: a + 2.5),
    "radd": (lambda a: 2.5 + a, lambda a: 2.5 + a),
    "sub": (lambda a: a - 2, lambda a: a - 2),
    "rsub": (lambda a: 2.0 - a, lambda a: 2.0 - a),
    "mul": (lambda a: a * 3, lambda a: a * 3),
    "rmul": (lambda a: 0.5 * a, lambda a: 0.5 * a),
    "div": (lambda a: a / 4, lambda a: a / 4),
    "rdiv": (lambda a: 2 / a, lambda a: 2 / a),
    "pow2": (lambda a: a ** 2, lambda a: a ** 2),
    "pow3": (lambda a: a ** 3, lambda a: a ** 3),
    "pow_half": (lambda a: a.abs() ** 0.5, lambda a: a.abs() ** 0.5),
    "pow_neg": (lambda a: a ** -1, lambda a: a ** -1),
    "pow0": (lambda a: a ** 0, lambda a: a ** 0),
    "rpow": (lambda a: 2 ** a, lambda a: 2 ** a),
    "rpow_float": (lambda a: 1.5 ** a, lambda a: 1.5 ** a),
    "neg": (operator.neg, operator.neg),
    "abs": (torch.abs, xptorch.abs),
    "exp": (torch.exp, xptorch.exp),
    "sigmoid": (torch.sigmoid, xptorch.sigmoid),
    "tanh": (torch.tanh, xptorch.tanh),
    "relu": (torch.relu, xptorch.relu),
    "clamp_min": (lambda a: a.clamp(min=-0.5), lambda a: a.clamp(min=-0.5)),
    "clamp_max": (lambda a: a.clamp(max=0.5), lambda a: a.clamp(max=0.5)),
    "clamp_both": (lambda a: torch.clamp(a, -0.5, 0.5), lambda a: xptorch.clamp(a, -0.5, 0.5)),
    "square": (lambda a: a.square(), lambda a: a.square()),
    "reciprocal": (lambda a: a.reciprocal(), lambda a: a.reciprocal()),
    "eq_scalar": (lambda a: a == 0.5, lambda a: a == 0.5),
    "gt_scalar": (lambda a: a > 0, lambda a: a > 0),
}


@pytest.mark.parametrize("name", sorted(SCALAR))
@SETTINGS
@given(shp=shapes(), dtype=dtypes)
def test_unary_and_scalar(device, name, shp, dtype):
    tf, xf = SCALAR[name]
    check(device, [shp], tf, xf, dtype=dtype)


@pytest.mark.parametrize("name", ["log", "sqrt", "rsqrt"])
@SETTINGS
@given(shp=shapes(), dtype=dtypes)
def test_positive_domain(device, name, shp, dtype):
    check(device, [shp], getattr(torch.Tensor, name), getattr(xptorch.Tensor, name), dtype=dtype, low=0.1, high=3.0)


def test_activation_extremes(device):
    big = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0], dtype=np.float32)
    for name in ("sigmoid", "tanh", "exp", "relu", "abs"):
        check(device, [big], getattr(torch, name), getattr(xptorch, name))


def test_ties_split_gradient(device):
    a = np.array([1.0, 2.0, 3.0, 2.0])
    b = np.array([1.0, 1.0, 3.0, 5.0])
    check(device, [a, b], torch.maximum, xptorch.maximum, dtype="float64")
    check(device, [a, b], torch.minimum, xptorch.minimum, dtype="float64")
    check(device, [a], lambda x: x.clamp(1.0, 2.0), lambda x: x.clamp(1.0, 2.0), dtype="float64")
    check(device, [a], torch.relu, xptorch.relu)
    check(device, [np.array([0.0, -1.0, 2.0])], torch.abs, xptorch.abs)
    check(device, [np.array([0.0, 1.0, 2.0])], lambda x: x ** 2.0, lambda x: x ** 2.0)
    check(device, [np.array([[1.0, 3.0], [3.0, 2.0]])], torch.max, xptorch.max)
    check(device, [np.array([[1.0, 3.0], [3.0, 2.0]])], torch.min, xptorch.min)


# ---- type promotion ------------------------------------------------------------------------

DT = ["float16", "float32", "float64", "int32", "int64", "bool"]
PROMO_OPS = {"add": operator.add, "mul": operator.mul, "div": operator.truediv, "sub": operator.sub,
             "lt": operator.lt, "maximum": None}


def _promotion_tensors(device, op, da, db, dims):
    rng = np.random.default_rng(0)
    a = rng.integers(1, 4, size=(3,) * dims[0]).astype(da)
    b = rng.integers(1, 4, size=(3,) * dims[1]).astype(db)
    f = PROMO_OPS[op]
    if f is None:
        check(device, [a, b], torch.maximum, xptorch.maximum, grad=False)
    else:
        check(device, [a, b], f, f, grad=False)


def _promotion_scalars(device, da, scalar, op):
    a = np.array([1, 2, 3]).astype(da)
    f = (lambda x: getattr(x, f"__{op}__")(scalar))
    check(device, [a], f, f, grad=False)


PROMO_DIMS = [(1, 1), (0, 1), (1, 0), (0, 0)]
SCALAR_OPS = ["add", "mul", "truediv", "sub", "rsub", "radd", "rtruediv", "pow", "lt"]


@pytest.mark.parametrize("op", sorted(PROMO_OPS))
@pytest.mark.parametrize("da", DT)
@pytest.mark.parametrize("db", DT)
@pytest.mark.parametrize("dims", PROMO_DIMS)
def test_type_promotion_tensors(op, da, db, dims):
    _promotion_tensors("cpu", op, da, db, dims)


@pytest.mark.parametrize("da", DT)
@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("op", SCALAR_OPS)
def test_type_promotion_scalars(da, scalar, op):
    _promotion_scalars("cpu", da, scalar, op)


def test_type_promotion_on_cuda(simulated_cuda):
    """The same grids on CUDA, in one test (a thousand near-identical tests would cost more than they tell)."""
    for op in sorted(PROMO_OPS):
        for da in DT:
            for db in DT:
                for dims in PROMO_DIMS:
                    _promotion_tensors("cuda", op, da, db, dims)
    for da in DT:
        for scalar in (2, 2.5, True):
            for op in SCALAR_OPS:
                _promotion_scalars("cuda", da, scalar, op)


def test_documented_promotions(device):
    """The promotion cases users meet most often."""
    check(device, [np.array([1, 2], dtype=np.int64)], lambda x: x + 1.5, lambda x: x + 1.5, grad=False)
    check(device, [np.array([1, 2], dtype=np.int64), np.array([2, 4], dtype=np.int64)],
             operator.truediv, operator.truediv, grad=False)
    check(device, [np.array([1.0, 2.0], dtype=np.float32), np.array([True, False])], operator.mul, operator.mul)
    check(device, [np.array([1.0, 2.0], dtype=np.float32), np.array(3.0, dtype=np.float64)], operator.add, operator.add)
    check(device, [np.array([1, 2], dtype=np.int32), np.array(3.5, dtype=np.float64)], operator.add, operator.add,
             grad=False)


# ---- reductions ----------------------------------------------------------------------------

REDUCTIONS = ["sum", "mean", "prod", "var", "std", "max", "min", "argmax", "argmin", "amax", "amin"]


def _dims(shp):
    return st.one_of(st.none(), st.integers(-max(len(shp), 1), max(len(shp), 1) - 1))


@pytest.mark.parametrize("name", REDUCTIONS)
@SETTINGS
@given(data=st.data(), dtype=dtypes)
def test_reduction_dim(device, name, data, dtype):
    shp = data.draw(shapes(min_side=1))
    dim = data.draw(_dims(shp))
    keepdim = data.draw(st.booleans())
    if dim is None:
        tf = lambda x: getattr(x, name)()  # noqa: E731
    else:
        tf = lambda x: getattr(x, name)(dim, keepdim=keepdim)  # noqa: E731
    check(device, [shp], tf, tf, dtype=dtype, low=0.5, high=1.5)


@pytest.mark.parametrize("name", ["sum", "mean"])
@SETTINGS
@given(shp=shapes(min_dims=2), dtype=dtypes, keepdim=st.booleans())
def test_reduction_dim_tuple(device, name, shp, dtype, keepdim):
    f = lambda x: getattr(x, name)((0, -1), keepdim=keepdim)  # noqa: E731
    check(device, [shp], f, f, dtype=dtype)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "var", "std"])
@SETTINGS
@given(shp=shapes(min_side=0), dtype=dtypes)
def test_reduction_empty_and_scalar(device, name, shp, dtype):
    f = lambda x: getattr(x, name)()  # noqa: E731
    check(device, [shp], f, f, dtype=dtype)


@pytest.mark.parametrize("unbiased", [True, False])
def test_var_std_unbiased(device, unbiased):
    for name in ("var", "std"):
        f = lambda x: getattr(x, name)(1, unbiased=unbiased)  # noqa: E731
        check(device, [(3, 4)], f, f)
        g = lambda x: getattr(x, name)(dim=0, correction=0, keepdim=True)  # noqa: E731
        check(device, [(3, 4)], g, g)


def test_prod_with_zeros(device):
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]])
    for f in (lambda x: x.prod(), lambda x: x.prod(1), lambda x: x.prod(0, keepdim=True)):
        check(device, [a], f, f, dtype="float64")


def test_integer_reductions(device):
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    for f in (lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.prod(1), lambda x: x.max(), lambda x: x.argmax(1),
              lambda x: x.max(1)):
        check(device, [a], f, f)
    b = np.array([True, False, True])
    check(device, [b], lambda x: x.sum(), lambda x: x.sum())


@SETTINGS
@given(shp=shapes(min_dims=1, min_side=1), dtype=dtypes)
def test_softmax_logsumexp(device, shp, dtype):
    check(device, [shp], lambda x: x.softmax(-1), lambda x: x.softmax(-1), dtype=dtype)
    check(device, [shp], lambda x: x.log_softmax(0), lambda x: x.log_softmax(0), dtype=dtype)
    check(device, [shp], lambda x: x.logsumexp(-1), lambda x: x.logsumexp(-1), dtype=dtype, check_grad_fn=False)


# ---- matrix products -----------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((2, 1, 2, 3), (5, 3, 2)),
    ((4,), (2, 4, 3)), ((2, 2, 4), (4,)), ((0, 3), (3, 2)), ((2, 0), (0, 3)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul(device, sa, sb, dtype):
    check(device, [sa, sb], torch.matmul, xptorch.matmul, dtype=dtype)
    check(device, [sa, sb], operator.matmul, operator.matmul, dtype=dtype)


@SETTINGS
@given(n=st.integers(0, 4), k=st.integers(0, 4), m=st.integers(0, 4), b=st.integers(1, 3), dtype=dtypes)
def test_mm_bmm(device, n, k, m, b, dtype):
    check(device, [(n, k), (k, m)], torch.mm, xptorch.mm, dtype=dtype)
    check(device, [(b, n, k), (b, k, m)], torch.bmm, xptorch.bmm, dtype=dtype)


def test_linear_addmm_name(device):
    import torch.nn.functional as F

    check(device, [(2, 4), (3, 4), (3,)], F.linear, xptorch._ops.linalg.linear)
    check(device, [(5, 2, 4), (3, 4), (3,)], F.linear, xptorch._ops.linalg.linear)
    check(device, [(2, 4), (3, 4)], F.linear, xptorch._ops.linalg.linear)


# ---- joining -------------------------------------------------------------------------------

@SETTINGS
@given(shp=shapes(min_dims=1), dtype=dtypes, data=st.data())
def test_cat_stack(device, shp, dtype, data):
    dim = data.draw(st.integers(-len(shp), len(shp) - 1))
    other = list(shp)
    other[dim] = data.draw(st.integers(0, 3))
    check(device, [shp, tuple(other)], lambda a, b: torch.cat([a, b], dim), lambda a, b: xptorch.cat([a, b], dim),
             dtype=dtype)
    sdim = data.draw(st.integers(-len(shp) - 1, len(shp)))
    check(device, [shp, shp, shp], lambda *t: torch.stack(t, sdim), lambda *t: xptorch.stack(t, sdim), dtype=dtype)


def test_cat_mixed_dtype_and_grad_subset(device):
    a = np.ones((2, 2), dtype=np.float32)
    b = np.arange(4).reshape(2, 2)
    check(device, [a, b], lambda x, y: torch.cat((x, y)), lambda x, y: xptorch.cat((x, y)))
    check(device, [a, b], lambda x, y: torch.stack((x, y), 1), lambda x, y: xptorch.stack((x, y), 1))


# ---- views and indexing ----------------------------------------------------------------------

VIEWS = {
    "view": (lambda x: x.view(3, 4), lambda x: x.view(3, 4)),
    "view_infer": (lambda x: x.view(-1, 2), lambda x: x.view(-1, 2)),
    "reshape": (lambda x: x.reshape(2, 2, 3), lambda x: x.reshape(2, 2, 3)),
    "reshape_t": (lambda x: x.t().reshape(-1), lambda x: x.t().reshape(-1)),
    "flatten": (lambda x: x.flatten(), lambda x: x.flatten()),
    "t": (lambda x: x.t(), lambda x: x.t()),
    "T": (lambda x: x.T, lambda x: x.T),
    "transpose": (lambda x: x.transpose(0, 1), lambda x: x.transpose(0, 1)),
    "permute": (lambda x: x.permute(1, 0), lambda x: x.permute(1, 0)),
    "unsqueeze0": (lambda x: x.unsqueeze(0), lambda x: x.unsqueeze(0)),
    "unsqueeze_neg": (lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1)),
    "squeeze": (lambda x: x.view(1, 4, 1, 3).squeeze(), lambda x: x.view(1, 4, 1, 3).squeeze()),
    "squeeze_dim": (lambda x: x.view(1, 4, 1, 3).squeeze(2), lambda x: x.view(1, 4, 1, 3).squeeze(2)),
    "squeeze_noop": (lambda x: x.squeeze(0), lambda x: x.squeeze(0)),
    "expand": (lambda x: x[:1].expand(5, 3), lambda x: x[:1].expand(5, 3)),
    "expand_new": (lambda x: x.expand(2, 4, 3), lambda x: x.expand(2, 4, 3)),
    "expand_keep": (lambda x: x[:, :1].expand(-1, 6), lambda x: x[:, :1].expand(-1, 6)),
    "int": (lambda x: x[1], lambda x: x[1]),
    "int_neg": (lambda x: x[-1, -2], lambda x: x[-1, -2]),
    "slice": (lambda x: x[1:3], lambda x: x[1:3]),
    "slice_step": (lambda x: x[::2, 1:], lambda x: x[::2, 1:]),
    "slice_col": (lambda x: x[:, 1], lambda x: x[:, 1]),
    "ellipsis": (lambda x: x[..., 0], lambda x: x[..., 0]),
    "none": (lambda x: x[None, 1:], lambda x: x[None, 1:]),
    "list": (lambda x: x[[0, 2, 0]], lambda x: x[[0, 2, 0]]),
    "long_tensor": (lambda x: x[torch.tensor([3, 1, 1])], lambda x: x[xptorch.tensor([3, 1, 1])]),
    "bool_mask": (lambda x: x[x > 0], lambda x: x[x > 0]),
    "row_mask": (lambda x: x[torch.tensor([True, False, True, False])],
                 lambda x: x[xptorch.tensor([True, False, True, False])]),
    "two_lists": (lambda x: x[[0, 1], [2, 0]], lambda x: x[[0, 1], [2, 0]]),
    "mixed": (lambda x: x[1:, [0, 2]], lambda x: x[1:, [0, 2]]),
    "zero_d_index": (lambda x: x[torch.tensor(1)], lambda x: x[xptorch.tensor(1)]),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_views_and_indexing(device, name, dtype):
    tf, xf = VIEWS[name]
    check(device, [(4, 3)], tf, xf, dtype=dtype)


@SETTINGS
@given(shp=shapes(min_dims=1), data=st.data())
def test_shape_ops_random(device, shp, data):
    n = len(shp)
    perm = data.draw(st.permutations(range(n)))
    check(device, [shp], lambda x: x.permute(*perm), lambda x: x.permute(*perm))
    d0, d1 = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    check(device, [shp], lambda x: x.transpose(d0, d1), lambda x: x.transpose(d0, d1))
    u = data.draw(st.integers(-n - 1, n))
    check(device, [shp], lambda x: x.unsqueeze(u), lambda x: x.unsqueeze(u))
    check(device, [shp], lambda x: x.reshape(-1), lambda x: x.reshape(-1))
    s = data.draw(st.integers(0, n - 1))
    check(device, [shp], lambda x: x.flatten(s), lambda x: x.flatten(s))


@SETTINGS
@given(shp=shapes(min_dims=1, min_side=1), data=st.data())
def test_basic_indexing_random(device, shp, data):
    idx = []
    for s in shp:
        kind = data.draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            idx.append(data.draw(st.integers(-s, s - 1)))
        elif kind == "slice":
            a = data.draw(st.integers(-s, s))
            b = data.draw(st.integers(-s, s))
            step = data.draw(st.integers(1, 2))
            idx.append(slice(a, b, step))
        else:
            idx.append(slice(None))
    idx = tuple(idx)
    check(device, [shp], lambda x: x[idx], lambda x: x[idx])


# ---- finite differences in float64 ------------------------------------------------------------

FD = {
    "mul_div": (lambda a, b: a * b / (b * b + 1), [(2, 3), (3,)]),
    "pow_tensor": (lambda a, b: (a.abs() + 0.5) ** b, [(2, 3), (2, 3)]),
    "exp_log": (lambda a: (a.exp() + 1).log(), [(4,)]),
    "sigmoid_tanh": (lambda a: a.sigmoid() * a.tanh(), [(3, 2)]),
    "sqrt": (lambda a: (a * a + 1).sqrt(), [(3,)]),
    "var_std": (lambda a: a.var(0) + a.std(1, keepdim=True), [(3, 4)]),
    "prod_mean": (lambda a: a.prod(1) * a.mean(), [(2, 3)]),
    "matmul": (lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    "bmm": (lambda a, b: xptorch.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    "index_views": (lambda a: a[[0, 1, 1]].t()[1:] * a.permute(1, 0)[1:, [0, 1, 2]], [(3, 3)]),
    "cat_stack": (lambda a, b: xptorch.stack([xptorch.cat([a, b]), xptorch.cat([b, a])]), [(2, 2), (1, 2)]),
    "softmax": (lambda a: a.softmax(1) * a, [(2, 4)]),
    "where_max": (lambda a, b: xptorch.where(a > b, a * 2, b).max(0).values, [(3, 3), (3,)]),
    "expand_sum": (lambda a: a.expand(3, 2, 3).sum((0, 2)), [(2, 1)]),
}


@pytest.mark.parametrize("name", sorted(FD))
def test_finite_differences(device, name):
    fn, shps = FD[name]
    rng = np.random.default_rng(3)
    gradcheck(on(device, fn), [rng.uniform(-1.5, 1.5, size=s) for s in shps])


# ---- special values: no NumPy warnings, PyTorch's inf/nan ---------------------------------------

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30], dtype=np.float32)
SPECIAL_OPS = {
    "div_self": lambda a: a / a,
    "div_zero": lambda a: a / 0.0,
    "rdiv": lambda a: 1.0 / a,
    "log": lambda a: a.log(),
    "sqrt": lambda a: a.sqrt(),
    "rsqrt": lambda a: a.rsqrt(),
    "exp": lambda a: a.exp(),
    "pow_half": lambda a: a ** 0.5,
    "pow_neg": lambda a: a ** -2,
    "rpow": lambda a: 2.0 ** a,
    "mul_self": lambda a: a * a.clamp(-1, 1),
    "sigmoid": lambda a: a.sigmoid(),
    "tanh": lambda a: a.tanh(),
    "relu": lambda a: a.relu(),
    "abs": lambda a: a.abs(),
    "clamp": lambda a: a.clamp(-1, 1),
    "reciprocal": lambda a: a.reciprocal(),
    "softmax": lambda a: a.softmax(0),
    "mean": lambda a: a.mean(),
    "std": lambda a: a.std(),
    "sum": lambda a: a.sum(),
    "amax": lambda a: a.amax(),
}


@pytest.mark.parametrize("name", sorted(SPECIAL_OPS))
def test_special_values(device, name):
    f = SPECIAL_OPS[name]
    check(device, [SPECIAL], f, f)


@pytest.mark.parametrize("name", ["pow_tensor", "maximum", "div", "where"])
def test_special_values_binary(device, name):
    a = np.array([0.0, 0.0, 2.0, -1.0, np.inf, np.nan, 1.0], dtype=np.float32)
    b = np.array([0.0, 2.0, 0.0, 0.5, 0.0, 1.0, np.nan], dtype=np.float32)
    f = {"pow_tensor": lambda x, y: x ** y, "maximum": torch.maximum, "div": lambda x, y: x / y,
         "where": lambda x, y: (torch if isinstance(x, torch.Tensor) else xptorch).where(x > y, x, y)}[name]
    g = f if name not in ("maximum",) else xptorch.maximum
    check(device, [a, b], f, g if name == "maximum" else f)


WHERE_SCALARS = {
    "tensor_scalar": (lambda c, x: torch.where(c, x, 0.0), lambda c, x: xptorch.where(c, x, 0.0)),
    "scalar_tensor": (lambda c, x: torch.where(c, 2.5, x), lambda c, x: xptorch.where(c, 2.5, x)),
    "int_scalar": (lambda c, x: torch.where(c, x, 1), lambda c, x: xptorch.where(c, x, 1)),
    "scalars_float": (lambda c, x: torch.where(c, 1.0, 0.0), lambda c, x: xptorch.where(c, 1.0, 0.0)),
    "scalars_int": (lambda c, x: torch.where(c, 1, 0), lambda c, x: xptorch.where(c, 1, 0)),
    "method": (lambda c, x: x.where(c, -x), lambda c, x: x.where(c, -x)),
}


@pytest.mark.parametrize("name", sorted(WHERE_SCALARS))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_where_with_scalars(device, name, dtype):
    cond = np.array([[True, False, True], [False, False, True]])
    tf, xf = WHERE_SCALARS[name]
    check(device, [cond, (2, 3)], tf, xf, dtype=dtype)


def test_clamp_with_tensor_bounds(device):
    lo = np.array([-0.5, 0.0, 0.5], dtype=np.float32)
    check(device, [(4, 3), lo], lambda x, m: x.clamp(min=m), lambda x, m: x.clamp(min=m))
    check(device, [(4, 3), lo], lambda x, m: torch.clamp(x, m, m + 1), lambda x, m: xptorch.clamp(x, m, m + 1))
    check(device, [(4, 3)], lambda x: x.clamp_min(0.1), lambda x: x.clamp_min(0.1))
    check(device, [(4, 3)], lambda x: x.clamp_max(0.1), lambda x: x.clamp_max(0.1))
    check(device, [np.array([1, 5, 9])], lambda x: x.clamp(2, 6), lambda x: x.clamp(2, 6))
    check(device, [np.array([1, 5, 9])], lambda x: x.clamp(2.5), lambda x: x.clamp(2.5))
    check(device, [np.array([True, False])], lambda x: x.clamp(max=2), lambda x: x.clamp(max=2))


def test_inplace_ops_in_graph_against_torch(device):
    """In-place ops on a non-leaf: same values, grad_fn names and gradients as torch."""
    def f(lib):
        def run(x, w):
            h = x * 1
            h.add_(w, alpha=0.5)
            h.sub_(0.25)
            h.mul_(w)
            h.div_(w + 2)
            h.clamp_(-1, 1)
            h.pow_(2)
            h.exp_()
            return h.sigmoid()
        return run

    check(device, [(3, 4), (4,)], f(torch), f(xptorch))


@pytest.mark.parametrize("xs", [(4,), (2, 4), (5, 2, 4), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_shapes(device, xs, bias):
    import torch.nn.functional as F

    shapes_in = [xs, (3, 4)] + ([(3,)] if bias else [])
    check(device, shapes_in, F.linear, xptorch._ops.linalg.linear)


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_trigonometric_values_and_gradients(device, name):
    torch = pytest.importorskip("torch")
    x = np.linspace(-7, 7, 29).reshape(29)
    for dtype in (np.float32, np.float64):
        xt = xptorch.tensor(x.astype(dtype), requires_grad=True, device=device)
        tt = torch.tensor(x.astype(dtype), requires_grad=True)
        yx, yt = getattr(xptorch, name)(xt), getattr(torch, name)(tt)
        np.testing.assert_allclose(yx.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
        assert yx.grad_fn.name() == yt.grad_fn.name()
        (yx * yx).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(xt.grad.cpu().numpy(), tt.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert getattr(xptorch.tensor([1, 2], device=device), name)().dtype == xptorch.float32
