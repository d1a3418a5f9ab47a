"""Tensor factories: tensor, zeros/ones/empty/full(_like), arange, linspace, eye, rand*."""
import math
import numbers

import numpy as np

from . import _dtype, _layout
from ._device import CPU, canonical, default_device, set_default
from ._ops import _common as C
from .backend import array_module, is_device_array, use_device
from ._ops._common import tensor_args
from ._size import Size


def _dev(device):
    return default_device() if device is None else canonical(device)


def _dims(dims, size):
    """Shape from positional dims or the `size=` keyword (`xptorch.rand(size=(2, 4))`), not both."""
    if size is None:
        return dims
    if dims:
        raise TypeError("size was given both positionally and as a keyword")
    return (tuple(size),) if isinstance(size, (tuple, list)) else (size,)


def _size(size, name="empty"):
    """A shape from varargs or one sequence, with PyTorch's errors for bad entries."""
    nested = len(size) == 1 and isinstance(size[0], (tuple, list))
    if nested:
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if isinstance(s, C.Tensor) and s._data.ndim == 0 and s._data.dtype.kind in "iu":
            s = s.item()
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            if len(size) == 1 and not nested:
                raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not {type(s).__name__}")
            raise TypeError(
                f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                f"\"type must be tuple of ints,but got {type(s).__name__}\""
            )
        out.append(int(s))
    for s in out:
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: [{', '.join(map(str, out))}]")
    return tuple(out)


def _finish(arr, dev, requires_grad):
    t = C.wrap(arr, dev)
    if requires_grad:
        if arr.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._rg = True
    return t


def _infer_dtype(data):
    """PyTorch's dtype for Python data: the promotion of its elements' dtypes, where a Python bool,
    int and float count as bool, int64 and the default float dtype, and NumPy scalars and tensors
    bring their own (``[np.float64(1.5)]`` is float64, ``[np.int32(1), 2]`` int64)."""
    found = None
    default = _dtype.get_default_dtype()
    stack = [data]
    while stack:
        x = stack.pop()
        t = type(x)
        # Exact Python types first: nested lists of plain numbers are the common case.
        if t is list or t is tuple:
            stack.extend(x)
            continue
        if t is float:
            d = default
        elif t is int:
            d = _dtype.int64
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        elif isinstance(x, C.Tensor):
            d = x.dtype
        elif isinstance(x, np.generic) and x.dtype.kind in "biuf":
            d = _dtype.from_numpy_dtype(x.dtype)
        elif isinstance(x, bool):
            d = _dtype.bool
        elif isinstance(x, numbers.Integral):
            d = _dtype.int64
        elif isinstance(x, numbers.Real):
            d = default
        elif isinstance(x, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")
        if d is not found:
            found = d if found is None else _dtype.promote_types(found, d)
    return default if found is None else found


def _unwrap_nested(data):
    """Nested lists with their tensors as Python scalars (PyTorch takes only one-element tensors there)."""
    if isinstance(data, C.Tensor):
        if data._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(x) for x in data]
    return data


def _beyond_int64(data):
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, int) and not -2 ** 63 <= x < 2 ** 63:
            return True
    return False


def _ragged_error(data):
    """PyTorch's message for nested lists of unequal lengths."""
    level = [data]
    dim = 0
    while level:
        seqs = [x for x in level if isinstance(x, (list, tuple))]
        if not seqs:
            return
        if len(seqs) != len(level):
            raise TypeError("not a sequence")
        want = len(seqs[0])
        for x in seqs:
            if len(x) != want:
                raise ValueError(f"expected sequence of length {want} at dim {dim} (got {len(x)})")
        level = [y for x in seqs for y in x]
        dim += 1


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of data (nested lists, scalars, arrays or tensors)."""
    dev = _dev(device)
    if isinstance(data, C.Tensor):
        import warnings

        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than xptorch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        arr = data.numpy(force=True)
        dt = _dtype.to_dtype(dtype) if dtype is not None else data.dtype
    elif isinstance(data, np.ndarray) or is_device_array(data):
        host = data if isinstance(data, np.ndarray) else data.get()
        dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.from_numpy_dtype(host.dtype)
        arr = host
    elif isinstance(data, np.generic):
        dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.from_numpy_dtype(data.dtype)
        arr = np.asarray(data)
    else:
        if dtype is not None and not _dtype.is_dtype_arg(dtype):
            raise TypeError(f"tensor(): argument 'dtype' must be xptorch.dtype, not {type(dtype).__name__}")
        dt = _dtype.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
        try:
            arr = np.array(_unwrap_nested(data), dtype=dt.np)
        except ValueError:
            _ragged_error(data)
            raise
        except OverflowError:
            if _beyond_int64(data):
                raise ValueError("Overflow when unpacking long long") from None
            raise RuntimeError(f"value cannot be converted to type {dt.np.name} without overflow") from None
    xp = array_module(dev)
    with use_device(dev):
        out = xp.array(arr, dtype=dt.np, copy=True)
    return _finish(out, dev, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Share memory with data when it already lives on the requested device and dtype."""
    if device is None:
        device = set_default()  # as PyTorch: a set default device is requested even for tensors and arrays
    if isinstance(data, C.Tensor):
        dev = data._device if device is None else canonical(device)
        return data.to(dev, dtype) if dtype is not None else data.to(dev)
    if isinstance(data, np.ndarray) or is_device_array(data):
        t = C.Tensor._from_array(data)
        _dtype.from_numpy_dtype(data.dtype)
        dev = t._device if device is None else canonical(device)
        if dtype is None and dev is t._device:
            return t
        return t.to(dev, dtype) if dtype is not None else t.to(dev)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(arr):
    """Zero-copy: the tensor and the array share memory."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    _dtype.from_numpy_dtype(arr.dtype)
    return C.wrap(arr, CPU)


def _filled(size, fill, dtype, device, requires_grad, default=None, name="empty"):
    dev = _dev(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else (default or _dtype.get_default_dtype())
    xp = array_module(dev)
    shape = _size(size, name)
    if fill is not None and not isinstance(fill, (bool, numbers.Number)):
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not {type(fill).__name__}")
    try:
        with use_device(dev):
            if fill is None:
                arr = xp.empty(shape, dtype=dt.np)
            elif fill == 0:
                arr = xp.zeros(shape, dtype=dt.np)
            else:
                arr = xp.full(shape, fill, dtype=dt.np)
    except MemoryError:
        raise allocation_error(shape, dt.np) from None
    except ValueError:  # NumPy: "array is too big", a byte count past what an index can hold
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{', '.join(map(str, shape))}]") from None
    return _finish(arr, dev, requires_grad)


def allocation_error(shape, np_dtype):
    """PyTorch's RuntimeError for an allocation the machine cannot hold, naming the size in bytes."""
    n = 1
    for s in shape:
        n *= int(s)
    return RuntimeError(
        f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {n * np.dtype(np_dtype).itemsize} bytes."
    )


def zeros(*dims, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of the given size filled with 0."""
    size = _dims(dims, size)
    return _filled(size, 0, dtype, device, requires_grad, name="zeros")


def ones(*dims, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of the given size filled with 1."""
    size = _dims(dims, size)
    return _filled(size, 1, dtype, device, requires_grad, name="ones")


def empty(*dims, size=None, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    """A tensor of the given size with uninitialised values (laid out channels last if asked)."""
    size = _dims(dims, size)
    t = _filled(size, None, dtype, device, requires_grad, name="empty")
    if memory_format is None or memory_format is _layout.contiguous_format:
        return t
    if memory_format is _layout.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the empty operator")
    return t.detach().contiguous(memory_format=memory_format).requires_grad_(requires_grad)


def _fill_dtype(value):
    if isinstance(value, bool):
        return _dtype.bool
    if isinstance(value, numbers.Integral):
        return _dtype.int64
    return _dtype.get_default_dtype()


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of the given size filled with fill_value."""
    if isinstance(fill_value, C.Tensor):
        fill_value = fill_value.item()
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    return _filled((tuple(size),), fill_value, dtype, device, requires_grad, default=_fill_dtype(fill_value),
                   name="full")


def _like(t, dtype, device, name="empty_like"):
    if dtype is not None and not _dtype.is_dtype_arg(dtype):
        raise TypeError(f"{name}(): argument 'dtype' must be xptorch.dtype, not {type(dtype).__name__}")
    return (_dtype.to_dtype(dtype) if dtype is not None else t.dtype), (device if device is not None else t._device)


@tensor_args
def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """zeros with input's shape (and dtype and device unless given)."""
    t = input
    dt, dev = _like(t, dtype, device, "zeros_like")
    return _filled((t._data.shape,), 0, dt, dev, requires_grad)


@tensor_args
def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """ones with input's shape (and dtype and device unless given)."""
    t = input
    dt, dev = _like(t, dtype, device, "ones_like")
    return _filled((t._data.shape,), 1, dt, dev, requires_grad)


@tensor_args
def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    """empty with input's shape (and dtype and device unless given)."""
    t = input
    dt, dev = _like(t, dtype, device, "empty_like")
    return _filled((t._data.shape,), None, dt, dev, requires_grad)


@tensor_args
def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    """full with input's shape (and dtype and device unless given)."""
    t = input
    dt, dev = _like(t, dtype, device, "full_like")
    return _filled((t._data.shape,), fill_value, dt, dev, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from start (default 0) up to, not including, end, in steps of step."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, C.Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if any(isinstance(v, int) and not -2 ** 63 <= v < 2 ** 63 for v in vals):
        raise OverflowError("int too big to convert")  # PyTorch's, reading the Python int
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {_num(start)} -> {_num(end)}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is not None and not _dtype.to_dtype(dtype).is_floating_point and int(step) == 0:
        raise ValueError("step must be nonzero")  # PyTorch casts the step to the integer dtype first
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dt = _dtype.int64 if all(isinstance(v, numbers.Integral) for v in vals) else _dtype.get_default_dtype()
    else:
        dt = _dtype.to_dtype(dtype)
        if dt is _dtype.bool:
            raise NotImplementedError(f"\"arange_{'cuda' if _dev(device).type == 'cuda' else 'cpu'}\" not implemented for 'Bool'")
    n = max(int(np.ceil((end - start) / step)), 0)
    dev = _dev(device)
    xp = array_module(dev)
    try:
        with use_device(dev):
            if dt.np in (np.float32, np.float64):
                arr = _float_range(xp, float(start), float(step), n, dt.np)
            elif dt.is_floating_point:
                arr = (xp.arange(n, dtype=np.float64) * step + start).astype(dt.np)
            elif all(isinstance(v, numbers.Integral) for v in (start, end, step)):
                arr = xp.arange(start, end, step, dtype=dt.np)
            else:
                arr = _int_range(xp, start, end, step, n, dt)
    except ValueError:  # NumPy: a count past what an index can hold
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{n}]") from None
    except MemoryError:
        raise allocation_error((n,), dt.np) from None
    return _finish(arr, dev, requires_grad)


def _int_range(xp, start, end, step, n, dt):
    """PyTorch's integer arange from a float start, end or step: start and step truncated to integers, then
    start + i * step wrapped to the dtype; int64 counts its length from the truncated bounds, the other dtypes
    from the float ones (n). NumPy's and CuPy's arange each compute these values differently."""
    first, delta = int(start), int(step)
    if dt.np == np.int64:
        sgn = (delta > 0) - (delta < 0)
        num = int(end) - first + delta - sgn
        n = max(abs(num) // abs(delta) * (1 if (num < 0) == (delta < 0) else -1), 0)
    return (xp.arange(n, dtype=np.int64) * delta + first).astype(dt.np)


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves


def _fma(a, b, c):
    """a * b + c rounded once (error-free product and sum in float64), as a fused multiply-add gives."""
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    t = _SPLIT * b
    bh = t - (t - b)
    err = ((ah * bh - p) + ah * (b - bh) + (a - ah) * bh) + (a - ah) * (b - bh)
    s = p + c
    bb = s - p
    return s + (((p - (s - bb)) + (c - bb)) + err)


def _float_range(xp, start, step, n, np_dtype):
    """PyTorch's CPU arange values, bit for bit: vectors of W lanes (8 float32, 4 float64), each lane its
    vector's base start + step * i (fused, rounded to the dtype) plus lane * step (fused), in pairs of
    vectors; the elements past the last pair are start + step * i (fused). Plain start + i * step differs in
    the last bit, and at a zero crossing by much more (arange(-8, 8, 0.1)[80] is 4.4409e-16, not 0)."""
    w = 8 if np_dtype == np.float32 else 4
    i = xp.arange(n, dtype=np.float64)
    lane = i % w
    base = _fma(step, i - lane, start)
    if np_dtype == np.float32:
        base = base.astype(np.float32).astype(np.float64)
    vals = _fma(lane, step, base)
    paired = n - n % (2 * w)
    if paired < n:
        vals[paired:] = _fma(step, i[paired:], start)
    return vals.astype(np_dtype, copy=False)


def _num(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """steps values evenly spaced from start to end, both included."""
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(
            "linspace() received an invalid combination of arguments - got "
            f"({type(start).__name__}, {type(end).__name__}, {type(steps).__name__}), but expected one of:\n"
            " * (Number start, Number end, int steps, *, dtype=None, device=None, requires_grad=False)"
        )
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _dev(device)
    xp = array_module(dev)
    try:
        with use_device(dev):
            arr = _linspace(xp, start, end, steps, dt.np)
    except ValueError:  # NumPy: a count past what an index can hold
        raise RuntimeError(f"Storage size calculation overflowed with sizes=[{steps}]") from None
    except MemoryError:
        raise allocation_error((steps,), dt.np) from None
    return _finish(arr, dev, requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    """steps values base ** e for e evenly spaced from start to end, both included."""
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        raise TypeError(
            "logspace() received an invalid combination of arguments - got "
            f"({type(start).__name__}, {type(end).__name__}, {type(steps).__name__}), but expected one of:\n"
            " * (Number start, Number end, int steps, float base = 10.0, *, dtype=None, device=None, "
            "requires_grad=False)"
        )
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _dev(device)
    xp = array_module(dev)
    with use_device(dev):
        exps = _linspace(xp, start, end, steps, np.float64)
        arr = xp.power(np.float64(base), exps)
        arr = (xp.trunc(arr) if dt.np.kind in "iub" else arr).astype(dt.np)
    return _finish(arr, dev, requires_grad)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding the number s, in the default float dtype unless dtype says."""
    if not isinstance(s, (numbers.Number, np.generic)):
        raise TypeError(f"scalar_tensor(): argument 's' (position 1) must be Number, not {type(s).__name__}")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return tensor(s, dtype=dt, device=device, requires_grad=requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """obj as a tensor, sharing memory with a tensor or NumPy array when dtype and device allow
    (copy=True always copies; copy=False refuses to copy, as PyTorch's)."""
    from ._tensor import Tensor

    if isinstance(obj, (Tensor, np.ndarray)):
        t = obj if isinstance(obj, Tensor) else from_numpy(obj)
        dt = _dtype.to_dtype(dtype) if dtype is not None else t.dtype
        dev = _dev(device) if device is not None else t._device
        if copy is False and dt != t.dtype:
            raise ValueError(f"can't alias tensor with dtype '{t.dtype._legacy[:-6]}' into dtype "
                             f"'{dt._legacy[:-6]}'.")
        if copy is False and dev is not t._device:
            raise ValueError(f"can't alias tensor from device '{t._device}' to '{dev}'.")
        out = t.to(device=dev, dtype=dt, copy=bool(copy))
    else:
        out = tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _linspace(xp, start, end, steps, np_dtype):
    """PyTorch's values bit for bit: the first half fused-multiply-adds up from start, the rest down from end."""
    if np.dtype(np_dtype).kind != "f":  # integer output: the ends are truncated first
        start, end = int(start), int(end)
    if steps <= 1:
        return xp.full((steps,), start, dtype=np.float64).astype(np_dtype)
    i = xp.arange(steps, dtype=np.float64)
    if np_dtype == np.float32 or np_dtype == np.float16:
        # A float32 product is exact in float64, so one float64 add rounds like a float32 fma.
        f = np.float32
        step = np.float64((f(end) - f(start)) / f(steps - 1))
        up = (step * i + np.float64(f(start))).astype(f)
        down = (-step * (steps - 1 - i) + np.float64(f(end))).astype(f)
    else:
        step = (float(end) - float(start)) / (steps - 1)
        up = _fma(xp.full(steps, step), i, xp.full(steps, float(start)))
        down = _fma(xp.full(steps, -step), steps - 1 - i, xp.full(steps, float(end)))
    return xp.where(i < steps // 2, up, down).astype(np_dtype)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal and zeros elsewhere (n x m, m = n by default)."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _dev(device)
    xp = array_module(dev)
    with use_device(dev):
        arr = xp.eye(n, m, dtype=dt.np)
    return _finish(arr, dev, requires_grad)


# ---- random --------------------------------------------------------------------------------

def _gen(generator, dev):
    from . import _random

    return generator if generator is not None else _random.default_generator_for(str(dev))


def rand(*dims, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Uniform samples from [0, 1) in a tensor of the given size."""
    size = _dims(dims, size)
    t = _filled(size, None, dtype, device, False, name="rand")
    t.uniform_(0, 1, generator=generator)
    t._rg = bool(requires_grad)
    return t


def randn(*dims, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Standard normal samples in a tensor of the given size."""
    size = _dims(dims, size)
    t = _filled(size, None, dtype, device, False, name="randn")
    t.normal_(0, 1, generator=generator)
    t._rg = bool(requires_grad)
    return t


@tensor_args
def rand_like(input, dtype=None, device=None, requires_grad=False):
    """rand with input's shape (and dtype and device unless given)."""
    t = input
    dt, dev = _like(t, dtype, device, "rand_like")
    return rand(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


@tensor_args
def randn_like(input, dtype=None, device=None, requires_grad=False):
    """randn with input's shape (and dtype and device unless given)."""
    t = input
    dt, dev = _like(t, dtype, device, "randn_like")
    return randn(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


_C_NAMES = {"bool": "bool", "int8": "signed char", "uint8": "unsigned char", "int16": "short", "int32": "int",
            "int64": "long"}


def _randint_bounds(low, high, dt):
    """PyTorch's refusal of a range the integer dtype cannot hold (its words name the C type)."""
    np_dt = np.dtype(dt.np)
    if np_dt.kind not in "biu":
        return
    if not (-2 ** 63 <= low < 2 ** 63 and -2 ** 63 <= high < 2 ** 63):
        raise ValueError("Overflow when unpacking long long")  # PyTorch's argument parser's words
    lo, hi = (0, 1) if np_dt.kind == "b" else (np.iinfo(np_dt).min, np.iinfo(np_dt).max)
    name = _C_NAMES.get(np_dt.name, np_dt.name)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")


@tensor_args
def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """randint with input's shape (and dtype and device unless given): randint_like(x, high) or (x, low, high)."""
    if high is None:
        low, high = 0, low
    dt, dev = _like(input, dtype, device, "randint_like")
    return randint(low, high, tuple(input._data.shape), dtype=dt, device=dev, requires_grad=requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high) (low defaults to 0) in a tensor of the given size."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not {type(size).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dev = _dev(device)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    _randint_bounds(low, high, dt)
    vals = _gen(generator, dev).randint(_size((tuple(size),), "randint"), low, high)
    t = from_numpy(vals.astype(dt.np, copy=False))
    return t.to(dev) if dev is not CPU else t


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dev = _dev(device)
    vals = _gen(generator, dev).permutation(n)
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    t = from_numpy(vals.astype(dt.np, copy=False))
    return t.to(dev) if dev is not CPU else t


_NEW_OVERLOADS = (" * (*, xptorch.device device = None)\n{kw} * (xptorch.Storage storage)\n * (Tensor other)\n"
                  " * (tuple of ints size, *, xptorch.device device = None)\n"
                  " * (object data, *, xptorch.device device = None)\n")
_CPP_DTYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "bool": "bool"}


def _label(v):
    if isinstance(v, (_dtype.dtype, _device_cls())):
        return f"xptorch.{type(v).__name__}"
    return "Tensor" if isinstance(v, C.Tensor) else type(v).__name__


def _device_cls():
    from ._device import device

    return device


def _options(t):
    return (f"TensorOptions(dtype={_CPP_DTYPE.get(t._data.dtype.name, t._data.dtype.name)}, device={t._device}, "
            "layout=Strided, requires_grad=false (default), pinned_memory=false (default), memory_format=(nullopt))")


def legacy_new(self, args, kwargs):
    """Tensor.new: the legacy constructor with self's dtype and device.

    new() is empty; new(2, 3) or new(Size) uninitialised of that size; new(sequence) copies data; new(tensor)
    is an alias of a tensor of the same dtype and device.
    """
    bad = [k for k in kwargs if k not in ("device", "data", "size")]
    if bad:
        got = ", ".join([_label(a) for a in args] + [f"{k}={_label(v)}" for k, v in kwargs.items()])
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        + _NEW_OVERLOADS.format(kw="      didn't match because some of the keywords were incorrect: "
                                                   f"{', '.join(bad)}\n"))
    dev = self._device
    if kwargs.get("device") is not None:
        want = _dev(kwargs["device"])
        if want.type != dev.type:
            raise RuntimeError(f"legacy constructor expects device type: {dev.type} but device type: {want.type} "
                               "was passed")
        dev = want
    if "data" in kwargs:
        args = args + (kwargs["data"],)
    elif "size" in kwargs:
        args = args + (Size(kwargs["size"]),)
    dt = self.dtype
    if not args:
        return empty(0, dtype=dt, device=dev)
    if len(args) == 1:
        a = args[0]
        if isinstance(a, C.Tensor):
            if a._data.dtype != self._data.dtype or a._device != dev:
                raise TypeError(f"expected {_options(self)} (got {_options(a)})")
            from ._ops import shape as _sh

            return _sh._view_result(a, a._data.view(), _sh.AliasBackward0)
        if isinstance(a, Size):
            return empty(tuple(a), dtype=dt, device=dev)
        if isinstance(a, str):
            raise TypeError(f"new(): invalid data type '{type(a).__name__}'")
        if isinstance(a, (list, tuple, range, np.ndarray)):
            return tensor(a, dtype=dt, device=dev)
        if not isinstance(a, bool) and hasattr(a, "__index__"):
            return empty(a.__index__(), dtype=dt, device=dev)
        raise TypeError(f"new(): data must be a sequence (got {type(a).__name__})")
    for i, a in enumerate(args):
        if isinstance(a, bool) or not hasattr(a, "__index__"):
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(a).__name__}\"")
    return empty(*[a.__index__() for a in args], dtype=dt, device=dev)
