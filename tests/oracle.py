"""PyTorch as the oracle: run one op in torch and in xptorch on identical inputs and compare.

`check_op(inputs, torch_fn, xp_fn)` compares, in this order, the output's type, shape, dtype,
values, grad_fn name, and then the gradient of every input after backward from one shared
random upstream gradient. `check_error` compares exception types and messages, `gradcheck`
compares xptorch's gradients with central finite differences in float64.
"""
import re
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

# database=None: examples are not written into the shared checkout; derandomize keeps CI stable.
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# (rtol, atol) per dtype: float32 differs from torch only through summation order.
TOL = {
    "float16": (1e-2, 1e-2),
    "float32": (1e-5, 1e-5),
    "float64": (1e-10, 1e-12),
}

FLOAT_DTYPES = ("float32", "float64")


def broadcastable(n=2, max_dims=3, max_side=4, min_side=0):
    """n mutually broadcastable shapes, 0-d and empty ones included."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=0, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda s: s.input_shapes)


def shapes(max_dims=3, max_side=4, min_dims=0, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


dtypes = st.sampled_from(FLOAT_DTYPES)


def dtype_name(t):
    """'float32' for both torch.float32 and xptorch.float32."""
    return str(t.dtype).split(".")[-1]


def to_numpy(t):
    if isinstance(t, xptorch.Tensor):
        return np.asarray(t.detach().cpu().numpy())
    return t.detach().cpu().numpy()


def make_array(shape, dtype, rng, low=-2.0, high=2.0):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.uniform(low, high, size=shape).astype(dt)
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.integers(int(low) - 3, int(high) + 4, size=shape).astype(dt)


def _inputs(specs, dtype, rng, low, high, requires_grad):
    """Identical torch and xptorch inputs: shapes become random arrays, arrays are copied."""
    t_in, x_in = [], []
    for s in specs:
        if isinstance(s, tuple):
            s = make_array(s, dtype, rng, low, high)
        if isinstance(s, np.ndarray):
            rg = requires_grad and s.dtype.kind == "f"
            t_in.append(torch.tensor(s.copy(), requires_grad=rg))
            x_in.append(xptorch.tensor(s.copy(), requires_grad=rg))
        else:
            t_in.append(s)
            x_in.append(s)
    return t_in, x_in


def _flat(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def assert_same_tensor(x, t, rtol=None, atol=None, what="output"):
    """x (xptorch) against t (torch): type, shape, dtype, then values."""
    if not isinstance(t, torch.Tensor):
        assert not isinstance(x, xptorch.Tensor), f"{what}: xptorch gave a Tensor, torch gave {type(t).__name__}"
        if isinstance(t, float) and np.isnan(t):
            assert np.isnan(x), what
        else:
            assert x == t and type(x) is type(t), f"{what}: {x!r} != {t!r}"
        return
    assert isinstance(x, xptorch.Tensor), f"{what}: expected a Tensor, got {type(x).__name__}"
    assert tuple(x.shape) == tuple(t.shape), f"{what} shape: {tuple(x.shape)} != {tuple(t.shape)}"
    assert dtype_name(x) == dtype_name(t), f"{what} dtype: {x.dtype} != {t.dtype}"
    xa, ta = to_numpy(x), to_numpy(t)
    assert xa.dtype == ta.dtype, f"{what}: array dtype {xa.dtype} != {ta.dtype}"
    if ta.dtype.kind == "f":
        r, a = TOL[ta.dtype.name]
        np.testing.assert_allclose(
            xa, ta, rtol=r if rtol is None else rtol, atol=a if atol is None else atol, equal_nan=True, err_msg=what
        )
    else:
        np.testing.assert_array_equal(xa, ta, err_msg=what)


def grad_fn_name(t):
    fn = t.grad_fn
    if fn is None:
        return None
    return fn.name() if isinstance(t, xptorch.Tensor) else type(fn).__name__


def check_op(inputs, torch_fn, xp_fn, *, dtype="float32", grad=True, rtol=None, atol=None, low=-2.0, high=2.0,
             seed=0, check_grad_fn=True, grad_rtol=None, grad_atol=None):
    """Run torch_fn and xp_fn on identical inputs and compare outputs, then gradients.

    inputs: shapes (tuples, filled with uniform values in [low, high)), NumPy arrays (copied as
    they are) or anything else (passed unchanged, e.g. Python scalars).
    Returns (torch_out, xptorch_out).
    """
    rng = np.random.default_rng(seed)
    t_in, x_in = _inputs(inputs, dtype, rng, low, high, grad)
    try:
        with warnings.catch_warnings(record=True) as t_warn:
            warnings.simplefilter("always")
            t_out = torch_fn(*t_in)
    except Exception as t_exc:  # then xptorch must refuse the same way
        assert_same_error(t_exc, lambda: xp_fn(*x_in))
        return None, None
    with warnings.catch_warnings(record=True) as x_warn:
        warnings.simplefilter("always")
        x_out = xp_fn(*x_in)
    xw, tw = _warning_list(x_warn), _warning_list(t_warn)
    assert xw == tw, f"warnings differ: {xw} != {tw}"
    t_flat, x_flat = _flat(t_out), _flat(x_out)
    assert len(x_flat) == len(t_flat), f"{len(x_flat)} outputs, torch gives {len(t_flat)}"
    for i, (x, t) in enumerate(zip(x_flat, t_flat)):
        assert_same_tensor(x, t, rtol, atol, what=f"output {i}")
        if check_grad_fn and isinstance(t, torch.Tensor):
            assert x.requires_grad == t.requires_grad, f"output {i} requires_grad"
            assert grad_fn_name(x) == grad_fn_name(t), f"output {i} grad_fn {grad_fn_name(x)} != {grad_fn_name(t)}"
    if not grad:
        return t_out, x_out
    outs = [(x, t) for x, t in zip(x_flat, t_flat) if isinstance(t, torch.Tensor) and t.requires_grad]
    if not outs:
        return t_out, x_out
    t_roots, t_grads, x_roots, x_grads = [], [], [], []
    for x, t in outs:
        g = rng.uniform(-1, 1, size=tuple(t.shape)).astype(to_numpy(t).dtype)
        t_roots.append(t)
        t_grads.append(torch.tensor(g))
        x_roots.append(x)
        x_grads.append(xptorch.tensor(g, device=x.device))
    torch.autograd.backward(t_roots, t_grads)
    xptorch.autograd.backward(x_roots, x_grads)
    for i, (x, t) in enumerate(zip(x_in, t_in)):
        if not isinstance(t, torch.Tensor) or not t.requires_grad:
            continue
        if t.grad is None:
            assert x.grad is None, f"grad of input {i}: torch has none"
            continue
        assert x.grad is not None, f"grad of input {i} is None, torch has one"
        assert_same_tensor(x.grad, t.grad, grad_rtol or rtol, grad_atol or atol, what=f"grad of input {i}")
    return t_out, x_out


def xp_message(msg):
    """torch's text with the package renamed (idempotent on xptorch's own text)."""
    return re.sub(r"(?<!xp)torch", "xptorch", msg)


def _builtin_type(exc_type):
    """The first built-in exception class in the MRO (torch's own errors subclass them)."""
    for k in exc_type.__mro__:
        if k.__module__ == "builtins":
            return k
    return exc_type


_TRIGGERED = re.compile(r" \(Triggered internally at .*\)$", re.S)


def _warning_list(records):
    """(category, message) with torch's C++ location and its name stripped."""
    return [(w.category.__name__, xp_message(_TRIGGERED.sub("", str(w.message)))) for w in records]


def on_cpu_terms(text):
    """xptorch's repr or message as it reads on the CPU: where the default device is CUDA (the test runs on
    both), a tensor's device='cuda:0' and the cuda in its type name are the only difference from torch's."""
    if xptorch.get_default_device().type != "cuda":
        return text
    return text.replace(", device='cuda:0'", "").replace("torch.cuda.", "torch.")


def assert_same_error(t_exc, xp_call, exact=True):
    """xp_call() raises what torch raised: same built-in type, same message (name replaced)."""
    with pytest.raises(Exception) as x_exc:
        xp_call()
    t_type = _builtin_type(type(t_exc))
    assert isinstance(x_exc.value, t_type), f"{type(x_exc.value).__name__} is not a {t_type.__name__}: {x_exc.value}"
    t_msg = xp_message(str(t_exc))
    x_msg = on_cpu_terms(str(x_exc.value))
    if not exact:
        t_msg, x_msg = t_msg.split("\n")[0], x_msg.split("\n")[0]
    assert x_msg == t_msg, f"\n{x_msg!r}\n!=\n{t_msg!r}"
    return x_exc.value


def error_of(fn):
    """(exception type, message) that fn() raises, or None: for comparing with the other library's."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001  (the type is compared)
        return type(exc), str(exc)
    return None


def to_xp(obj, device="cpu"):
    """torch tensors in obj (nested dicts and lists, e.g. a state_dict) as xptorch tensors on device."""
    if isinstance(obj, torch.Tensor):
        return xptorch.tensor(obj.numpy(), device=device)
    if isinstance(obj, dict):
        return {k: to_xp(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_xp(v, device) for v in obj]
    return obj


def to_torch(obj):
    """xptorch tensors in obj (nested dicts and lists) as torch CPU tensors."""
    if isinstance(obj, xptorch.Tensor):
        return torch.tensor(obj.numpy(force=True))
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_torch(v) for v in obj]
    return obj


def check_error(torch_fn, xp_fn, *, exact=True):
    """Both calls raise; same exception type; xptorch's message is torch's with the name replaced.

    exact=False compares only the first line (torch sometimes appends hints).
    Returns the xptorch exception.
    """
    with pytest.raises(Exception) as t_exc:
        torch_fn()
    return assert_same_error(t_exc.value, xp_fn, exact)


def gradcheck(fn, arrays, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """xptorch's analytic gradients against central finite differences (float64 inputs)."""
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    xs = [xptorch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    g = rng.uniform(-1, 1, size=tuple(out.shape))
    out.backward(xptorch.tensor(g))
    for k, a in enumerate(arrays):
        base = a.copy()
        num = np.zeros_like(base)
        flat = base.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = to_numpy(fn(*[xptorch.tensor(base if j == k else arrays[j]) for j in range(len(arrays))]))
            flat[i] = old - eps
            minus = to_numpy(fn(*[xptorch.tensor(base if j == k else arrays[j]) for j in range(len(arrays))]))
            flat[i] = old
            num.reshape(-1)[i] = np.sum((plus - minus) * g) / (2 * eps)
        got = to_numpy(xs[k].grad) if xs[k].grad is not None else np.zeros_like(base)
        np.testing.assert_allclose(got, num, rtol=rtol, atol=atol, err_msg=f"input {k}")


def same_repr(fn):
    """fn(lib) on torch and on xptorch: equal reprs (after renaming), or the same error; returns ours."""
    try:
        t = fn(torch)
    except Exception as e:
        return assert_same_error(e, lambda: fn(xptorch))
    x = fn(xptorch)
    assert on_cpu_terms(repr(x)) == xp_message(repr(t))
    return x
