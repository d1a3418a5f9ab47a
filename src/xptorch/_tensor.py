"""Tensor: one backend array plus autograd metadata."""
import math
import threading as _threading

import numpy as np

from . import _dtype, _layout, _tensor_str
from ._device import CPU, canonical
from ._size import Size
from ._ops import _common as C
from .backend import is_device_array
from .backend.device_assert import raise_pending as _device_checks
from ._ops import inplace as _inplace
from ._ops import inplace_view as _ipview
from ._ops import strided as _strided
from ._ops import resize as _resize
from ._ops import linalg as _la
from ._ops import pointwise as _pw
from ._ops import reduce as _red
from ._ops import shape as _sh
from ._ops import compare as _cmp
from ._ops import hyperbolic as _hyp
from ._ops import special as _special
from ._ops import gamma as _gamma
from ._ops import elementwise_math as _em
from ._ops import combine as _comb
from ._ops import diagonal as _diagm
from ._ops import search as _search
from ._ops import stats as _stats
from ._ops import indexing as _idx
from ._ops import index_put as _iput
from ._ops import float_parts as _fparts
from ._ops import correlation as _corr
from ._ops import scatter_reduce as _sred
from ._ops import movement as _movement
from ._ops import scan as _scan
from ._ops import sorting as _sort
import xptorch.autograd as _autograd
from .autograd import engine as _engine
from .autograd.grad_mode import state as _grad_state

_BY_NP = _dtype._BY_NP


_GRAD_LOCK = _threading.Lock()
_grad_lock_acquire, _grad_lock_release = _GRAD_LOCK.acquire, _GRAD_LOCK.release  # half the cost of `with`


_scalar_of_grad_warned = []


def _warn_scalar_of_grad():
    """PyTorch's once-per-process warning for float() of a tensor that requires grad."""
    from ._settings import first_warning

    if first_warning(_scalar_of_grad_warned):
        import warnings

        warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                      "Consider using tensor.detach() first.", UserWarning, stacklevel=3)


class Tensor:
    """A multi-dimensional array on a device, recording the ops applied to it for autograd."""

    __module__ = "xptorch"  # printed as <class 'xptorch.Tensor'>, where users find it

    __slots__ = ("_data", "_device", "_rg", "grad_fn", "__dict__", "__weakref__")
    _grad = None
    _vc = None
    _base = None
    _views = None  # weak references to views of this tensor taken while it was in the graph
    _multi_out = None  # (output index, op name or None): a view from split/chunk/unbind in the graph
    # (kind, output index) for a view that grad mode may not edit in place, nor use once its memory has been
    # edited since _cm_v, the version it was made at (None once it requires grad as a leaf of its own): kind
    # "no_grad" / "inference" (made while grad mode was off), "custom" (returned by a custom Function) or
    # "multi" (returned with others by one call: split, chunk, unbind, a custom Function; see _multi_out)
    _cm = None
    _cm_v = 0
    _leaf_hooks = None
    _post_acc_hooks = None
    _is_param = False

    def __new__(cls, *args, device=None):
        """The legacy constructor: Tensor(2, 3) is uninitialised float32, Tensor([1, 2]) copies data."""
        from ._factories import empty, tensor

        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            if isinstance(data, Tensor):
                return data
            if isinstance(data, Size):
                return empty(tuple(data), device=device)
            if not isinstance(data, (list, tuple, np.ndarray)):
                raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
            return tensor(data, dtype=_dtype.get_default_dtype(), device=device)
        if not all(isinstance(a, int) for a in args):
            raise TypeError("new() received an invalid combination of arguments")
        return empty(*args, device=device) if args else empty(0, device=device)

    # ---- construction -------------------------------------------------------------------------
    @staticmethod
    def _from_array(arr, dev=None):
        """Wrap an array; the device is inferred from the array when not given."""
        if dev is None:
            dev = CPU
            if is_device_array(arr):
                from ._device import device

                dev = device("cuda", arr.device.id)
        return C.wrap(arr, dev)

    # ---- basic attributes -----------------------------------------------------------------------
    @property
    def data(self):
        """A detached alias: shares memory, not tracked by autograd, with its own version counter."""
        return C.wrap(self._data, self._device)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if self._cm is not None and self.grad_fn is None:  # a view made under no_grad
            if not requires_grad and self._base._rg:
                return self  # as torch, it goes on requiring grad while its base does
            if requires_grad and not self._rg:
                self._cm_v = None  # a leaf of its own from now on: gradients accumulate into it
        self._rg = bool(requires_grad)
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value._device is not self._device:
                raise RuntimeError("assigned grad has data located on a different device than the tensor")
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '[{', '.join(map(str, value._data.shape))}]' to a "
                    f"tensor of size '[{', '.join(map(str, self._data.shape))}]'. Please ensure that the gradient "
                    "and the tensor are the same size"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_la._tn(value)}' to a tensor with grad_dtype "
                    f"'{self.dtype._legacy[:-6]}'. The gradient must match the tensor's grad_dtype (defaults to the "
                    "tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, or None "
                    "to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match."
                )
        if value is None:
            self.__dict__.pop("_grad", None)  # absent, not None: the next backward's first gradient goes in lock-free
        else:
            self._grad = value

    def _accumulate_grad(self, g):
        """Add a backward's gradient into .grad, keeping dtype and shape."""
        if g.dtype != self._data.dtype:
            g = g.astype(self._data.dtype)
        if g.shape != self._data.shape:
            g = C.get_xp(g).broadcast_to(g, self._data.shape)
        # Backward in several threads into one leaf loses no update (as in PyTorch). The first gradient of a
        # leaf without .grad needs no lock: dict.setdefault stores it atomically, and only the thread whose
        # array went in returns here; every other case (adding into .grad) takes the lock.
        d = self.__dict__
        if d.get("_grad") is None:
            # A view (a broadcast included) or the data itself is copied; CuPy's flags have no 'writeable'.
            if g.base is not None or g is self._data or (type(g) is np.ndarray and not g.flags.writeable):
                g = g.copy()
            w = C.wrap(g, self._device)
            if d.setdefault("_grad", w) is w:
                return
        _grad_lock_acquire()
        try:
            cur = self._grad
            if cur is None:
                # A view (a broadcast included) or the data itself is copied; CuPy's flags have no 'writeable'.
                if g.base is not None or g is self._data or (type(g) is np.ndarray and not g.flags.writeable):
                    g = g.copy()
                self._grad = C.wrap(g, self._device)
            else:
                cur._data += g
                _inplace.bump(cur)
        finally:
            _grad_lock_release()

    def _set_grad_array(self, g):
        self._grad = C.wrap(g.copy(), self._device)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        return self._data.shape[_red.norm_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self):
        return _BY_NP[self._data.dtype]

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def T(self):
        n = self._data.ndim
        if n != 2:
            import warnings

            warnings.warn(
                "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases." if n == 0 else
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
                "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                "`x.permute(*xptorch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                UserWarning,
                stacklevel=2,
            )
        return self.permute(*range(n - 1, -1, -1))

    @property
    def mT(self):
        n = self._data.ndim
        if n < 2:
            if n == 1:
                raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
            import warnings

            warnings.warn(
                "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
                UserWarning,
                stacklevel=2,
            )
            return self.view(())
        return self.transpose(-2, -1)

    def element_size(self):
        return self._data.dtype.itemsize

    @property
    def itemsize(self):
        """Bytes per element."""
        return self._data.dtype.itemsize

    @property
    def nbytes(self):
        """Bytes of the elements (numel * itemsize)."""
        return self._data.size * self._data.dtype.itemsize

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    def get_device(self):
        """The CUDA ordinal of a GPU tensor, -1 for a CPU tensor."""
        return -1 if self._device.type == "cpu" else self._device.index

    def is_signed(self):
        """Whether the dtype holds negative values (false for uint8 and bool)."""
        return self._data.dtype.kind not in "ub"

    def is_same_size(self, other):
        """Whether other has exactly this tensor's shape."""
        C.need_tensor(other, "is_same_size", "other", 1)
        return self._data.shape == other._data.shape

    def is_conj(self):
        """False: xptorch has no complex dtypes, so no lazily conjugated tensors."""
        return False

    def is_neg(self):
        """False: xptorch has no lazily negated tensors."""
        return False

    def conj(self):
        """The complex conjugate: the tensor itself for real dtypes, as PyTorch."""
        return self

    def resolve_conj(self):
        """The tensor itself (real dtypes carry no conjugation bit)."""
        return self

    def resolve_neg(self):
        """The tensor itself (no negation bit)."""
        return self

    @property
    def real(self):
        """The real part: the tensor itself for real dtypes."""
        return self

    @property
    def imag(self):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    @property
    def mH(self):
        """The conjugate transpose of the last two dims (mT for real tensors)."""
        return self.mT

    @property
    def H(self):
        """The conjugate transpose of a matrix."""
        n = self._data.ndim
        if n not in (0, 2):
            more = " For batches of matrices, consider using tensor.mH" if n > 2 else ""
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor.{more}")
        return self.T if n else self

    def angle(self):
        """The argument of each element: pi for negative numbers, else 0 (NaN stays NaN), in a float dtype."""
        x = self if self.is_floating_point() else self.to(_dtype.get_default_dtype())
        return _pw.where(x < 0, math.pi, 0.0 * x)

    def vdot(self, other):
        """The dot product of two 1-D tensors (the first conjugated, which changes nothing for real ones)."""
        return self.dot(other)

    def split_with_sizes(self, split_sizes, dim=0):
        """Pieces of the given sizes along dim (they must add up to its size)."""
        return self.split(list(split_sizes), dim)

    def unsafe_split(self, split_size, dim=0):
        """split() whose pieces may be edited in place (xptorch's pieces are always safe to use)."""
        return _editable(self.split(split_size, dim))

    def unsafe_chunk(self, chunks, dim=0):
        """chunk() whose pieces may be edited in place (xptorch's pieces are always safe to use)."""
        return _editable(self.chunk(chunks, dim))

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        """split_with_sizes() whose pieces may be edited in place (xptorch's pieces are always safe to use)."""
        return _editable(self.split(list(split_sizes), dim))

    def sum_to_size(self, *size):
        """Summed down to size (which self must broadcast to), as a gradient is reduced to its input's shape."""
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        shape = self._data.shape
        if len(size) > len(shape) or any(s not in (1, n) for s, n in zip(size[::-1], shape[::-1])):
            raise RuntimeError(f"size {{[{', '.join(map(str, size))}]}} is not expandable to size "
                               f"{{[{', '.join(map(str, shape))}]}}.")
        lead = len(shape) - len(size)
        dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1)
        out = self.sum(dims, keepdim=True) if dims else self
        return out.reshape(size) if lead else out

    def unfold(self, dimension, size, step):
        """Every window of `size` elements along dimension, `step` apart, as a new last dim (a copy here,
        where PyTorch returns a view: values and gradients are the same)."""
        nd = self._data.ndim
        d = _red.norm_dim(dimension, max(nd, 1))
        length = self._data.shape[d] if nd else 1
        if size > length:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is {size}")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if not nd:
            return self.reshape(1)
        n = (length - size) // step + 1
        xp = C.get_xp(self._data)
        idx = (xp.arange(n)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        picked = self.index_select(d, C.wrap(idx.astype(np.int64), self._device))
        shape = self._data.shape[:d] + (n, size) + self._data.shape[d + 1:]
        return picked.reshape(shape).movedim(d + 1, -1)

    def cumsum_(self, dim, *, dtype=None):
        """Running sums along dim, written into this tensor; returns self."""
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"cumsum_out_cpu\" not implemented for 'Bool'")
        return _inplace.apply(self, lambda a: a.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim, *, dtype=None):
        """Running products along dim, written into this tensor; returns self."""
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"cumprod_out_cpu\" not implemented for 'Bool'")
        return _inplace.apply(self, lambda a: a.cumprod(dim, dtype=dtype))

    def char(self):
        """A copy cast to int8."""
        return self._cast(_dtype.int8)

    def short(self):
        """A copy cast to int16."""
        return self._cast(_dtype.int16)

    def share_memory_(self):
        """Nothing to move: a DataLoader worker sends large CPU arrays through shared memory itself."""
        return self

    def storage_offset(self):
        """Elements between the start of the memory this tensor views and its first element."""
        base = self._data
        while getattr(base, "base", None) is not None:
            base = base.base
        start = self.data_ptr() - (base.ctypes.data if isinstance(base, np.ndarray) else base.data.ptr)
        return start // self._data.dtype.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        """Always False: xptorch has no complex dtypes."""
        return False

    def inverse(self):
        """See xptorch.inverse(); the tensor itself is the input."""
        from ._functions import inverse

        return inverse(self)

    def det(self):
        """See xptorch.det(); the tensor itself is the input."""
        from ._functions import det

        return det(self)

    def slogdet(self):
        """See xptorch.slogdet(); the tensor itself is the input."""
        from ._functions import slogdet

        return slogdet(self)

    def logdet(self):
        """See xptorch.logdet(); the tensor itself is the input."""
        from ._functions import logdet

        return logdet(self)

    def pinverse(self, rcond=1e-15):
        """See xptorch.pinverse(); the tensor itself is the input."""
        from ._functions import pinverse

        return pinverse(self, rcond)

    def matrix_power(self, n):
        """See xptorch.matrix_power(); the tensor itself is the input."""
        from ._functions import matrix_power

        return matrix_power(self, n)

    def matrix_exp(self):
        """See xptorch.matrix_exp(); the tensor itself is the input."""
        from ._linalg_top import matrix_exp

        return matrix_exp(self)

    def lu_solve(self, LU_data, LU_pivots):
        """See xptorch.lu_solve(); the tensor itself is the right-hand side."""
        from ._linalg_top import lu_solve

        return lu_solve(self, LU_data, LU_pivots)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        """See xptorch.triangular_solve(); the tensor itself is the right-hand side."""
        from ._linalg_top import triangular_solve

        return triangular_solve(self, A, upper, transpose, unitriangular)

    def cholesky_solve(self, input2, upper=False):
        """See xptorch.cholesky_solve(); the tensor itself is the right-hand side."""
        from ._linalg_top import cholesky_solve

        return cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        """See xptorch.cholesky_inverse(); the tensor itself is the Cholesky factor."""
        from ._linalg_top import cholesky_inverse

        return cholesky_inverse(self, upper)

    def cholesky(self, upper=False):
        """See xptorch.cholesky(); the tensor itself is the input."""
        from ._linalg_top import cholesky

        return cholesky(self, upper)

    def qr(self, some=True):
        """See xptorch.qr(); the tensor itself is the input."""
        from ._linalg_top import qr

        return qr(self, some)

    def svd(self, some=True, compute_uv=True):
        """See xptorch.svd(); the tensor itself is the input."""
        from ._linalg_top import svd

        return svd(self, some, compute_uv)

    def lu(self, pivot=True, get_infos=False):
        """See xptorch.lu(); the tensor itself is the input."""
        from ._linalg_top import lu

        return lu(self, pivot, get_infos)

    def is_contiguous(self, memory_format=None):
        if memory_format is None:  # the common question first: no format to check
            return bool(self._data.flags.c_contiguous)
        fmt = _layout_fmt(memory_format, "is_contiguous", _layout.contiguous_format)
        if fmt in (_layout.contiguous_format, _layout.preserve_format):
            return bool(self._data.flags.c_contiguous)
        return _layout.is_dense_in(self._data.shape, self.stride(), fmt)

    def stride(self, dim=None):
        st = tuple(s // self._data.dtype.itemsize for s in self._data.strides)
        return st if dim is None else st[_red.norm_dim(dim, self._data.ndim)]

    def data_ptr(self):
        d = self._data
        return d.ctypes.data if isinstance(d, np.ndarray) else d.data.ptr

    def untyped_storage_ptr(self):
        base = self._data
        while getattr(base, "base", None) is not None:
            base = base.base
        return base.ctypes.data if isinstance(base, np.ndarray) else base.data.ptr

    @property
    def _version(self):
        vc = self._vc
        return 0 if vc is None else vc[0]

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # Identity hashing (in C): tensors key dicts and sets by object, never by value.
    __hash__ = object.__hash__

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reversed__(self):
        # As PyTorch: reversed(t) is t flipped along dim 0 (a 0-d tensor is returned as is).
        return self if self._data.ndim == 0 else self.flip(0)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size > 1 else "Boolean value of Tensor with no values is ambiguous"
            )
        d = self._data
        if isinstance(d, np.ndarray):
            return bool(d.reshape(()))
        v = bool(d.reshape(()))
        _device_checks()
        return v

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._rg and _grad_state.enabled:  # PyTorch stays quiet under no_grad
            _warn_scalar_of_grad()
        return float(self.item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy(force=True)
        return arr if dtype is None else arr.astype(dtype)

    # ---- conversion -------------------------------------------------------------------------
    def item(self):
        d = self._data
        if d.size != 1:
            raise RuntimeError(
                f"a Tensor with {d.size} elements cannot be converted to Scalar"
            )
        if isinstance(d, np.ndarray):
            return d.reshape(()).item()
        v = d.reshape(()).get().item()
        _device_checks()
        return v

    def tolist(self):
        return self.numpy(force=True).tolist()

    def numpy(self, *, force=False):
        if not force:
            if self._rg:
                raise RuntimeError(
                    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
                )
            if self._device.type != "cpu":
                raise TypeError(
                    f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."
                )
        d = self._data
        if isinstance(d, np.ndarray):
            return d
        host = d.get()
        _device_checks()
        return host

    def detach(self):
        t = C.wrap(self._data, self._device)
        t._vc = C.vcounter(self)
        return t

    def detach_(self):
        if self._base is not None and self._rg:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    def clone(self, memory_format=None):
        """A copy with its own memory; a channels-last input stays channels last unless memory_format says."""
        if memory_format is None and (self._data.ndim != 4 or self._data.flags.c_contiguous):
            return _sh.clone(self)
        fmt = _layout_fmt(memory_format, "clone", _layout.preserve_format)
        if fmt is _layout.preserve_format:
            fmt = _layout.channels_last if self._channels_last() else _layout.contiguous_format
        _layout.rank_error(fmt, self._data.ndim)
        return _sh.clone(self, None if fmt is _layout.contiguous_format else fmt)

    def contiguous(self, memory_format=None):
        if memory_format is None:
            return self if self._data.flags.c_contiguous else _sh.clone(self)
        fmt = _layout_fmt(memory_format, "contiguous", _layout.contiguous_format)
        if fmt is _layout.preserve_format:
            fmt = _layout.contiguous_format
        _layout.rank_error(fmt, self._data.ndim)
        if self.is_contiguous(fmt):
            return self
        return _sh.clone(self, None if fmt is _layout.contiguous_format else fmt)

    def _channels_last(self):
        d = self._data
        return d.ndim == 4 and not d.flags.c_contiguous and _layout.is_dense_in(d.shape, self.stride(),
                                                                                _layout.channels_last)

    @property
    def layout(self):
        return _layout.strided

    def to(self, *args, **kwargs):
        fmt = kwargs.pop("memory_format", None) if kwargs else None
        dev, dt, copy = _parse_to(self, args, kwargs)
        if fmt is not None:
            fmt = _layout_fmt(fmt, "to", _layout.preserve_format)
            if fmt is not _layout.preserve_format:
                _layout.rank_error(fmt, self._data.ndim)
        out = _sh.to_copy(self, dt.np if dt is not None else self._data.dtype, dev, copy)
        if fmt is None or fmt is _layout.preserve_format:  # only a channels-last input notices preserving
            if out is not self and self._data.ndim == 4 and self._channels_last() and not out._channels_last():
                out = out.contiguous(memory_format=_layout.channels_last)
            return out
        return out.contiguous(memory_format=fmt)

    def cpu(self):
        return _sh.to_copy(self, self._data.dtype, CPU)

    def cuda(self, device=None, non_blocking=False):
        from ._device import device as _dev

        d = canonical(_dev("cuda") if device is None else _dev(device if not isinstance(device, int) else _dev("cuda", device)))
        return _sh.to_copy(self, self._data.dtype, d)

    def pin_memory(self, device=None):
        """A copy in page-locked host memory (faster, asynchronous copies to the GPU)."""
        from . import backend

        if self._device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
        ok, _ = backend.cuda_status()
        if not ok:
            raise RuntimeError("Cannot access accelerator device when none is available.")
        out = C.wrap(backend.pinned_copy(self._data), CPU)
        out._pinned = True
        return out

    def is_pinned(self, device=None):
        """Whether this tensor lives in page-locked host memory (made by pin_memory())."""
        return bool(self.__dict__.get("_pinned", False))

    def type(self, dtype=None):
        if dtype is None:
            return f"xptorch.{'cuda.' if self._device.type == 'cuda' else ''}{self.dtype._legacy}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            found = next((d for d in _dtype.ALL if d._legacy == name), None)
            if found is None:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = found
        return self.to(dtype)

    def _cast(self, dt):
        return _sh.to_copy(self, dt.np, self._device)

    def float(self):
        return self._cast(_dtype.float32)

    def double(self):
        return self._cast(_dtype.float64)

    def half(self):
        return self._cast(_dtype.float16)

    def long(self):
        return self._cast(_dtype.int64)

    def int(self):
        return self._cast(_dtype.int32)

    def bool(self):
        return self._cast(_dtype.bool)

    def byte(self):
        return self._cast(_dtype.uint8)

    def type_as(self, other):
        C.need_tensor(other, "type_as", "other", 1)
        return self._cast(other.dtype)

    def new(self, *args, **kwargs):
        """The legacy constructor with this tensor's dtype and device: new(2, 3) or new(Size) uninitialised,
        new(sequence) a copy of the data, new(tensor) an alias of a tensor of the same dtype and device."""
        from ._factories import legacy_new

        return legacy_new(self, args, kwargs)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._factories import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        from ._factories import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        from ._factories import ones

        return ones(*size, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        from ._factories import empty

        return empty(*size, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        from ._factories import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)

    # ---- autograd ----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        from collections import OrderedDict

        from .utils.hooks import RemovableHandle

        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(hook)
        hooks = self._leaf_hooks
        if hooks is None:
            hooks = self._leaf_hooks = OrderedDict()
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor) runs right after this leaf's .grad is updated in a backward pass."""
        from collections import OrderedDict

        from .utils.hooks import RemovableHandle

        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self._post_acc_hooks
        if hooks is None:
            hooks = self._post_acc_hooks = OrderedDict()
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def retain_grad(self):
        import weakref

        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retain = weakref.ref(self)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retain is not None

    # ---- printing ----------------------------------------------------------------------------
    def __repr__(self, *, tensor_contents=None):
        d = self._data
        host = d if isinstance(d, np.ndarray) else d.get()
        if host is not d:
            _device_checks()
        fn = self.grad_fn
        return _tensor_str.format_tensor(
            host,
            dtype_name=d.dtype.name,
            device=None if self._device is CPU else str(self._device),
            grad_fn_name=fn.name() if fn is not None else None,
            requires_grad=self._rg,
        )

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    # ---- arithmetic --------------------------------------------------------------------------
    def __add__(self, other):
        return _pw.add(self, other)

    def __radd__(self, other):
        return _pw.add(self, other)

    def __sub__(self, other):
        return _pw.sub(self, other)

    def __rsub__(self, other):
        return _pw.rsub(self, other)

    def __mul__(self, other):
        return _pw.mul(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return _pw.div(self, other)

    def __rtruediv__(self, other):
        return _pw.rdiv(self, other)

    def __floordiv__(self, other):
        return _pw._div_rounded(self, other, "floor", "NotImplemented")

    def __mod__(self, other):
        return _pw.remainder(self, other)

    def __pow__(self, e):
        return _pw.pow(self, e)

    def __rpow__(self, base):
        return _pw.rpow(self, base)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(other, self)

    def __neg__(self):
        return _pw.neg(self)

    def __pos__(self):
        if self._data.dtype.kind == "b":
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def __abs__(self):
        return _pw.abs(self)

    def __invert__(self):
        d = self._data
        if d.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        return C.wrap(~d, self._device)

    def __and__(self, other):
        return _pw.bitwise(self, other, lambda a, b: a & b, "bitwise_and")

    def __or__(self, other):
        return _pw.bitwise(self, other, lambda a, b: a | b, "bitwise_or")

    def __xor__(self, other):
        return _pw.bitwise(self, other, lambda a, b: a ^ b, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __eq__(self, other):
        return _pw.compare(self, other, _eq)

    def __ne__(self, other):
        return _pw.compare(self, other, _ne)

    def __lt__(self, other):
        return _pw.compare(self, other, _lt)

    def __le__(self, other):
        return _pw.compare(self, other, _le)

    def __gt__(self, other):
        return _pw.compare(self, other, _gt)

    def __ge__(self, other):
        return _pw.compare(self, other, _ge)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other):
        return self._data.shape == other._data.shape and bool((self._data == other._data).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _cmp.allclose(self, other, rtol, atol, equal_nan)

    def isnan(self):
        return C.wrap(C.get_xp(self._data).isnan(self._data), self._device)

    def isfinite(self):
        return C.wrap(C.get_xp(self._data).isfinite(self._data), self._device)

    def logical_not(self):
        return C.wrap(~(self._data.astype(bool)), self._device)

    def logical_and(self, other):
        if not isinstance(other, (bool, int, float)):  # Python scalars too, beyond torch
            C.need_tensor(other, "logical_and", "other", 1)
        return _pw.logical(self, other, lambda a, b: C.get_xp(a).logical_and(a, b))

    def logical_or(self, other):
        if not isinstance(other, (bool, int, float)):  # Python scalars too, beyond torch
            C.need_tensor(other, "logical_or", "other", 1)
        return _pw.logical(self, other, lambda a, b: C.get_xp(a).logical_or(a, b))

    def add(self, other, *, alpha=1):
        return _pw.add(self, other, alpha)

    def sub(self, other, *, alpha=1):
        return _pw.sub(self, other, alpha)

    subtract = sub

    def mul(self, other):
        return _pw.mul(self, other)

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        return _pw.div(self, other, rounding_mode)

    divide = true_divide = div

    def pow(self, e):
        return _pw.pow(self, e)

    def neg(self):
        return _pw.neg(self)

    negative = neg

    def abs(self):
        return _pw.abs(self)

    absolute = abs

    def exp(self):
        return _pw.exp(self)

    def log(self):
        return _pw.log(self)

    def sin(self):
        return _pw.sin(self)

    def cos(self):
        return _pw.cos(self)

    def sinh(self):
        return _hyp.sinh(self)

    def cosh(self):
        return _hyp.cosh(self)

    def erf(self):
        return _special.erf(self)

    def erfinv(self):
        return _special.erfinv(self)

    def lgamma(self):
        return _gamma.lgamma(self)

    def digamma(self):
        return _gamma.digamma(self)

    def polygamma(self, n):
        return _gamma.polygamma(n, self)

    def mvlgamma(self, p):
        return _gamma.mvlgamma(self, p)

    def i0(self):
        return _gamma.i0(self)

    def sqrt(self):
        return _pw.sqrt(self)

    def rsqrt(self):
        return _pw.rsqrt(self)

    def reciprocal(self):
        return _pw.reciprocal(self)

    def square(self):
        return _pw.pow(self, 2)

    def sigmoid(self):
        return _pw.sigmoid(self)

    def tanh(self):
        return _pw.tanh(self)

    def relu(self):
        return _pw.relu(self)

    def clamp(self, min=None, max=None):
        return _pw.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        return _pw.clamp(self, min, None, "min")

    def clamp_max(self, max):
        return _pw.clamp(self, None, max, "max")

    def maximum(self, other):
        return _pw.maximum(self, other)

    def minimum(self, other):
        return _pw.minimum(self, other)

    def sign(self):
        return _pw.sign(self)

    def floor(self):
        C.no_kernel(self, "floor_vml_cpu", ints=True)
        return _pw.rounding(self, lambda xp, d: xp.floor(d), "FloorBackward0")

    def ceil(self):
        C.no_kernel(self, "ceil_vml_cpu", ints=True)
        return _pw.rounding(self, lambda xp, d: xp.ceil(d), "CeilBackward0")

    def round(self, decimals=0):
        if decimals:
            C.no_kernel(self, "round_cpu")
        else:
            C.no_kernel(self, "round_vml_cpu", ints=True)
        return _pw.rounding(self, lambda xp, d: xp.round(d, decimals), "RoundBackward1" if decimals else "RoundBackward0")

    def where(self, condition, other):
        return _pw.where(condition, self, other)

    def lerp(self, end, weight):
        _pw.check_lerp(self, end)
        return self + (end - self) * weight

    # ---- more elementwise math (elementwise_math.py) ------------------------------------------
    def asin(self):
        return _em.asin(self)

    def acos(self):
        return _em.acos(self)

    def atan(self):
        return _em.atan(self)

    arcsin, arccos, arctan = asin, acos, atan

    def tan(self):
        return _em.tan(self)

    def asinh(self):
        return _em.asinh(self)

    def acosh(self):
        return _em.acosh(self)

    def atanh(self):
        return _em.atanh(self)

    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def log10(self):
        return _em.log10(self)

    def log2(self):
        return _em.log2(self)

    def log1p(self):
        return _em.log1p(self)

    def expm1(self):
        return _em.expm1(self)

    def exp2(self):
        return _em.exp2(self)

    def erfc(self):
        return _em.erfc(self)

    def sinc(self):
        return _em.sinc(self)

    def deg2rad(self):
        return _em.deg2rad(self)

    def rad2deg(self):
        return _em.rad2deg(self)

    def trunc(self):
        return _em.trunc(self)

    fix = trunc

    def frac(self):
        return _em.frac(self)

    def sgn(self):
        return _em.sgn(self)

    def signbit(self):
        return _em.signbit(self)

    def negative_(self):
        return self.neg_()

    def positive(self):
        return self.__pos__()

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _em.nan_to_num(self, nan, posinf, neginf)

    def isinf(self):
        return _em.isinf(self)

    def isposinf(self):
        return _em.isposinf(self)

    def isneginf(self):
        return _em.isneginf(self)

    def isreal(self):
        return _em.isreal(self)

    def atan2(self, other):
        C.need_tensor(other, "atan2", "other", 1)
        return _em.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        C.need_tensor(other, "hypot", "other", 1)
        return _em.hypot(self, other)

    def logaddexp(self, other):
        C.need_tensor(other, "logaddexp", "other", 1)
        return _em.logaddexp(self, other)

    def logaddexp2(self, other):
        C.need_tensor(other, "logaddexp2", "other", 1)
        return _em.logaddexp2(self, other)

    def xlogy(self, other):
        return _em.xlogy(self, other)

    def logit(self, eps=None):
        return _em.logit(self, eps)

    def fmod(self, other):
        return _em.fmod(self, other)

    def remainder(self, other):
        return _pw.remainder(self, other)

    def copysign(self, other):
        return _em.copysign(self, other)

    def float_power(self, exponent):
        return _em.float_power(self, exponent)

    def heaviside(self, values):
        C.need_tensor(values, "heaviside", "values", 1)
        return _em.heaviside(self, values)

    def fmax(self, other):
        return _em.fmax(self, _em.need_other(other, "fmax"))

    def fmin(self, other):
        return _em.fmin(self, _em.need_other(other, "fmin"))

    def gcd(self, other):
        return _em.gcd(self, _em.need_other(other, "gcd"))

    def lcm(self, other):
        return _em.lcm(self, _em.need_other(other, "lcm"))

    def nextafter(self, other):
        return _em.nextafter(self, _em.need_other(other, "nextafter"))

    def floor_divide(self, other):
        return _pw._div_rounded(self, other, "floor", "NotImplemented")

    def msort(self):
        """Sorted along the first dim (sort(dim=0).values)."""
        return self.sort(dim=0).values

    def dist(self, other, p=2):
        """The p-norm of self - other."""
        return (self - _em.need_other(other, "dist")).norm(p)

    def renorm(self, p, dim, maxnorm):
        """Each slice along dim rescaled to p-norm at most maxnorm (PyTorch's 1e-7 guard)."""
        return _renorm(self, p, dim, maxnorm)

    def adjoint(self):
        """The conjugate transpose of the last two dims (the transpose, for real tensors)."""
        if self.dim() == 1:
            raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. "
                               f"Got {self.dim()}-D tensor.")
        return self.transpose(-2, -1) if self.dim() else self.view(())

    def hardshrink(self, lambd=0.5):
        """x where |x| > lambd, else 0 (nn.functional.hardshrink)."""
        from .nn import functional as F

        return F.hardshrink(self, lambd)

    def prelu(self, weight):
        """max(0, x) + weight * min(0, x), weight per channel (nn.functional.prelu)."""
        from .nn import functional as F

        return F.prelu(self, weight)

    def logical_xor(self, other):
        C.need_tensor(other, "logical_xor", "other", 1)
        return _pw.logical(self, other, lambda a, b: C.get_xp(a).logical_xor(a, b))

    def bitwise_and(self, other):
        return _em.bitwise(self, other, "and")

    def bitwise_or(self, other):
        return _em.bitwise(self, other, "or")

    def bitwise_xor(self, other):
        return _em.bitwise(self, other, "xor")

    def bitwise_not(self):
        return _em.bitwise_not(self)

    def bitwise_left_shift(self, other):
        return _em.bitwise(self, other, "left_shift")

    def bitwise_right_shift(self, other):
        return _em.bitwise(self, other, "right_shift")

    greater, less, greater_equal, less_equal, not_equal = __gt__, __lt__, __ge__, __le__, __ne__

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _em.addcmul(self, tensor1, tensor2, value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _em.addcdiv(self, tensor1, tensor2, value)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _em.addmm(self, mat1, mat2, beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _em.addmv(self, mat, vec, beta, alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _em.addr(self, vec1, vec2, beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _em.baddbmm(self, batch1, batch2, beta, alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _em.addbmm(self, batch1, batch2, beta, alpha)

    # in-place forms: computed out of place, then stored (a failed call changes nothing)
    def sin_(self):
        return _inplace.apply(self, _pw.sin)

    def cos_(self):
        return _inplace.apply(self, _pw.cos)

    def sinh_(self):
        return _inplace.apply(self, _hyp.sinh)

    def cosh_(self):
        return _inplace.apply(self, _hyp.cosh)

    def tan_(self):
        return _inplace.apply(self, _em.tan)

    def asin_(self):
        return _inplace.apply(self, _em.asin)

    def acos_(self):
        return _inplace.apply(self, _em.acos)

    def atan_(self):
        return _inplace.apply(self, _em.atan)

    arcsin_, arccos_, arctan_ = asin_, acos_, atan_

    def asinh_(self):
        return _inplace.apply(self, _em.no_inplace_derivative(_em.asinh, "asinh"))

    def acosh_(self):
        return _inplace.apply(self, _em.no_inplace_derivative(_em.acosh, "acosh"))

    def atanh_(self):
        return _inplace.apply(self, _em.no_inplace_derivative(_em.atanh, "atanh"))

    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_

    def log10_(self):
        return _inplace.apply(self, _em.log10)

    def log2_(self):
        return _inplace.apply(self, _em.log2)

    def log1p_(self):
        return _inplace.apply(self, _em.log1p)

    def expm1_(self):
        return _inplace.apply(self, _em.expm1)

    def exp2_(self):
        return _inplace.apply(self, _em.exp2)

    def erf_(self):
        return _inplace.apply(self, _special.erf)

    def erfinv_(self):
        return _inplace.apply(self, _special.erfinv)

    def lgamma_(self):
        return _inplace.apply(self, _gamma.lgamma)

    def digamma_(self):
        return _inplace.apply(self, _gamma.digamma)

    def polygamma_(self, n):
        _gamma._check_n(n)
        return _inplace.apply(self, lambda t: _gamma.polygamma(n, t))

    def mvlgamma_(self, p):
        _gamma.mvlgamma_check_inplace(self, p)
        return _inplace.apply(self, lambda t: _gamma.mvlgamma(t, p))

    def i0_(self):
        return _inplace.apply(self, _gamma.i0)

    def erfc_(self):
        return _inplace.apply(self, _em.erfc)

    def sinc_(self):
        return _inplace.apply(self, _em.sinc)

    def deg2rad_(self):
        return _inplace.apply(self, _em.deg2rad)

    def rad2deg_(self):
        return _inplace.apply(self, _em.rad2deg)

    def trunc_(self):
        return _inplace.apply(self, _em.trunc)

    fix_ = trunc_

    def frac_(self):
        return _inplace.apply(self, _em.frac)

    def sign_(self):
        return _inplace.apply(self, _pw.sign)

    def sgn_(self):
        return _inplace.apply(self, _em.sgn)

    def square_(self):
        return _inplace.apply(self, lambda a: _pw.pow(a, 2))

    def rsqrt_(self):
        return _inplace.apply(self, _pw.rsqrt)

    def floor_(self):
        return _inplace.apply(self, Tensor.floor)

    def ceil_(self):
        return _inplace.apply(self, Tensor.ceil)

    def round_(self, decimals=0):
        return _inplace.apply(self, lambda a: a.round(decimals))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return _inplace.apply(self, lambda a: _em.nan_to_num(a, nan, posinf, neginf))

    def atan2_(self, other):
        return _inplace.apply(self, _em.atan2, _em.need_other(other, "atan2"))

    arctan2_ = atan2_

    def hypot_(self, other):
        return _inplace.apply(self, _em.hypot, _em.need_other(other, "hypot"))

    def xlogy_(self, other):
        return _inplace.apply(self, _em.xlogy, other)

    def logit_(self, eps=None):
        return _inplace.apply(self, lambda t: _em.logit(t, eps))

    def fmod_(self, other):
        return _inplace.apply(self, _em.fmod, other)

    def remainder_(self, other):
        return _inplace.apply(self, _pw.remainder, other)

    def copysign_(self, other):
        return _inplace.apply(self, _em.copysign, other)

    def float_power_(self, exponent):
        _em.check_float_power_(self, exponent)
        return _inplace.apply(self, _em.float_power, exponent)

    def heaviside_(self, values):
        return _inplace.apply(self, _em.heaviside, _em.need_other(values, "heaviside", "values"))

    def gcd_(self, other):
        return _inplace.apply(self, _em.gcd, _em.need_other(other, "gcd"))

    def lcm_(self, other):
        return _inplace.apply(self, _em.lcm, _em.need_other(other, "lcm"))

    def nextafter_(self, other):
        return _inplace.apply(self, _em.nextafter, _em.need_other(other, "nextafter"))

    def floor_divide_(self, other):
        return _inplace.apply(self, lambda a, b: _pw._div_rounded(a, b, "floor", "NotImplemented"), other)

    def absolute_(self):
        return self.abs_()

    def renorm_(self, p, dim, maxnorm):
        return _inplace.apply(self, lambda a: _renorm(a, p, dim, maxnorm))

    def true_divide_(self, other):
        return self.div_(other)

    def subtract_(self, other, *, alpha=1):
        return self.sub_(other, alpha=alpha)

    def multiply_(self, other):
        return self.mul_(other)

    def divide_(self, other, *, rounding_mode=None):
        return self.div_(other, rounding_mode=rounding_mode)

    def eq_(self, other):
        return _em.compare_(self, other, _eq, "EqBackward0")

    def ne_(self, other):
        return _em.compare_(self, other, _ne, "NeBackward0")

    def lt_(self, other):
        return _em.compare_(self, other, _lt, "LtBackward0")

    def le_(self, other):
        return _em.compare_(self, other, _le, "LeBackward0")

    def gt_(self, other):
        return _em.compare_(self, other, _gt, "GtBackward0")

    def ge_(self, other):
        return _em.compare_(self, other, _ge, "GeBackward0")

    greater_, less_, greater_equal_, less_equal_, not_equal_ = gt_, lt_, ge_, le_, ne_

    def logical_and_(self, other):
        return _em.logical_(self, other, Tensor.logical_and)

    def logical_or_(self, other):
        return _em.logical_(self, other, Tensor.logical_or)

    def logical_xor_(self, other):
        return _em.logical_(self, other, Tensor.logical_xor)

    def logical_not_(self):
        return _em.logical_(self, None, Tensor.logical_not)

    def bitwise_and_(self, other):
        return _em.bitwise_(self, other, "and")

    def bitwise_or_(self, other):
        return _em.bitwise_(self, other, "or")

    def bitwise_xor_(self, other):
        return _em.bitwise_(self, other, "xor")

    def bitwise_left_shift_(self, other):
        return _em.bitwise_(self, other, "left_shift")

    def bitwise_right_shift_(self, other):
        return _em.bitwise_(self, other, "right_shift")

    def bitwise_not_(self):
        return _em.bitwise_(self, None, "not")

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return _em.fused_(self, lambda a: _em.addmm(a, mat1, mat2, beta, alpha), "addmm_")

    def addmv_(self, mat, vec, *, beta=1, alpha=1):
        return _em.fused_(self, lambda a: _em.addmv(a, mat, vec, beta, alpha), "addmv_")

    def addr_(self, vec1, vec2, *, beta=1, alpha=1):
        return _em.fused_(self, lambda a: _em.addr(a, vec1, vec2, beta, alpha), "addr_")

    def baddbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _em.fused_(self, lambda a: _em.baddbmm(a, batch1, batch2, beta, alpha), "baddbmm_")

    def addbmm_(self, batch1, batch2, *, beta=1, alpha=1):
        return _em.fused_(self, lambda a: _em.addbmm(a, batch1, batch2, beta, alpha), "addbmm_")

    # ---- shapes, diagonals, searches and order statistics (combine/diagonal/search/stats.py) --------
    def nonzero(self, *, as_tuple=False):
        return _search.nonzero(self, as_tuple)

    def argwhere(self):
        return _search.argwhere(self)

    def is_nonzero(self):
        return _search.is_nonzero(self)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _search.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _search.unique_consecutive(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _search.bincount(self, weights, minlength)

    def histc(self, bins=100, min=0, max=0):
        return _search.histc(self, bins, min, max)

    def take(self, index):
        C.need_tensor(index, "take", "index", 1)
        return _search.take(self, index)

    def take_along_dim(self, indices, dim=None):
        C.need_tensor(indices, "take_along_dim", "indices", 1)
        return _search.take_along_dim(self, indices, dim)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _diagm.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return _diagm.trace(self)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _diagm.diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset=0):
        return _diagm.diagflat(self, offset)

    def fill_diagonal_(self, fill_value, wrap=False):
        return _diagm.fill_diagonal_(self, fill_value, wrap)

    def tile(self, *dims):
        return _comb.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)

    def ravel(self):
        return self.reshape(-1)

    def tensor_split(self, indices_or_sections, dim=0):
        return _comb.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, sections):
        return _comb.hsplit(self, sections)

    def vsplit(self, sections):
        return _comb.vsplit(self, sections)

    def dsplit(self, sections):
        return _comb.dsplit(self, sections)

    def rot90(self, k=1, dims=(0, 1)):
        return _comb.rot90(self, k, dims)

    def kron(self, other):
        C.need_tensor(other, "kron", "other", 1)
        return _comb.kron(self, other)

    def inner(self, other):
        C.need_tensor(other, "inner", "other", 1)
        return _comb.inner(self, other)

    def cross(self, other, dim=None):
        C.need_tensor(other, "cross", "other", 1)
        return _comb.cross(self, other, dim)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _comb.diff(self, n, dim, prepend, append)

    def swapdims(self, dim0, dim1):
        return self.transpose(dim0, dim1)

    def cummax(self, dim):
        return _stats.cummax(self, dim)

    def cummin(self, dim):
        return _stats.cummin(self, dim)

    def logcumsumexp(self, dim):
        return _stats.logcumsumexp(self, dim)

    def median(self, dim=None, keepdim=False):
        return _stats.median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return _stats.nanmedian(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _stats.quantile(self, q, dim, keepdim, interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return _stats.nanquantile(self, q, dim, keepdim, interpolation)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _stats.nansum(self, dim, keepdim, dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _stats.nanmean(self, dim, keepdim, dtype)

    def aminmax(self, *, dim=None, keepdim=False):
        return _stats.aminmax(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return _stats.mode(self, dim, keepdim)

    def masked_scatter(self, mask, source):
        return _search.masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        if isinstance(mask, Tensor):
            _inplace.check_broadcast(self, mask)
        return _inplace.apply(self, lambda a: _search.masked_scatter(a, mask, source))

    def index_fill(self, dim, index, value):
        return _search.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return _inplace.apply(self, lambda a: _search.index_fill(a, dim, index, value))

    def index_copy(self, dim, index, source):
        return _search.index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return _inplace.apply(self, lambda a: _search.index_copy(a, dim, index, source))

    def index_put(self, indices, values, accumulate=False):
        return _iput.index_put(self, indices, values, accumulate)

    def index_put_(self, indices, values, accumulate=False):
        return _inplace.apply(self, lambda a: _iput.index_put(a, indices, values, accumulate, "index_put_"))

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _sred.scatter_reduce(self, dim, index, src, reduce, include_self)

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return _inplace.apply(self, lambda a: _sred.scatter_reduce(a, dim, index, src, reduce, include_self,
                                                                  "scatter_reduce_"))

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _sred.index_reduce(self, dim, index, source, reduce, include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return _inplace.apply(self, lambda a: _sred.index_reduce(a, dim, index, source, reduce, include_self))

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _corr.cov(self, correction, fweights, aweights)

    def corrcoef(self):
        return _corr.corrcoef(self)

    def frexp(self):
        return _fparts.frexp(self)

    def ldexp(self, other):
        return _fparts.ldexp(self, other)

    def ldexp_(self, other):
        return _fparts.ldexp_(self, other)

    def put(self, index, source, accumulate=False):
        return _iput.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return _inplace.apply(self, lambda a: _iput.put(a, index, source, accumulate))

    # ---- reductions --------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('sum', dim, keepdim, axis, keepdims)
        return _red.sum(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('mean', dim, keepdim, axis, keepdims)
        return _red.mean(self, dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('prod', dim, keepdim, axis, keepdims)
        return _red.prod(self, dim, keepdim, dtype)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('var', dim, keepdim, axis, keepdims)
        return _red.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('std', dim, keepdim, axis, keepdims)
        return _red.std(self, dim, unbiased, keepdim, correction)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('max', dim, keepdim, axis, keepdims)
        return _red.extremum(self, dim, keepdim, True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('min', dim, keepdim, axis, keepdims)
        return _red.extremum(self, dim, keepdim, False)

    def amax(self, dim=(), keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('amax', dim or None, keepdim, axis, keepdims)
        return _red.amax(self, dim, keepdim, True)

    def amin(self, dim=(), keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('amin', dim or None, keepdim, axis, keepdims)
        return _red.amax(self, dim, keepdim, False)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('argmax', dim, keepdim, axis, keepdims)
        return _red.argext(self, dim, keepdim, True)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('argmin', dim, keepdim, axis, keepdims)
        return _red.argext(self, dim, keepdim, False)

    def softmax(self, dim=None, dtype=None, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias('softmax', dim, False, axis, None)
        elif dim is None:
            raise TypeError('softmax() missing 1 required positional arguments: "dim"')
        if dtype is not None:
            return _red.softmax(self.to(dtype), dim)
        return _red.softmax(self, dim)

    def log_softmax(self, dim=None, dtype=None, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias('log_softmax', dim, False, axis, None)
        elif dim is None:
            raise TypeError('log_softmax() missing 1 required positional arguments: "dim"')
        if dtype is not None:
            return _red.softmax(self.to(dtype), dim, log=True)
        return _red.softmax(self, dim, log=True)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('logsumexp', dim, keepdim, axis, keepdims)
        if dim is None:
            raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
        return _red.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return _red.vector_norm(self, p, dim, keepdim)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('all', dim, keepdim, axis, keepdims)
        d = self._data
        out = d.all() if dim is None else d.all(axis=_red.norm_dim(dim, d.ndim), keepdims=keepdim)
        return C.wrap(C.get_xp(d).asarray(out), self._device)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias('any', dim, keepdim, axis, keepdims)
        d = self._data
        out = d.any() if dim is None else d.any(axis=_red.norm_dim(dim, d.ndim), keepdims=keepdim)
        return C.wrap(C.get_xp(d).asarray(out), self._device)

    def count_nonzero(self, dim=None, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias('count_nonzero', dim, False, axis, None)
        if dim is not None:
            dim = tuple(_red.norm_dims(dim, self._data.ndim)) if isinstance(dim, (tuple, list)) else \
                _red.norm_dim(dim, self._data.ndim)
        xp = C.get_xp(self._data)
        return C.wrap(xp.asarray(xp.count_nonzero(self._data, axis=dim), dtype=np.int64), self._device)

    def cumsum(self, dim=None, *, dtype=None, axis=None):
        if axis is not None:
            dim, _ = C.np_alias('cumsum', dim, False, axis, None)
        elif dim is None:
            raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
        return _red.cumsum(self, dim, dtype)

    def cumprod(self, dim=None, *, dtype=None, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("cumprod", dim, False, axis, None)
        elif dim is None:
            raise TypeError('cumprod() missing 1 required positional arguments: "dim"')
        return _scan.cumprod(self, dim, dtype)

    # ---- linear algebra ---------------------------------------------------------------------
    def matmul(self, other):
        return _la.matmul(self, other)

    def mm(self, other):
        C.need_tensor(other, "mm", "mat2", 1)
        return _la.mm(self, other)

    def bmm(self, other):
        C.need_tensor(other, "bmm", "mat2", 1)
        return _la.bmm(self, other)

    def dot(self, other):
        C.need_tensor(other, "dot", "tensor", 1)
        a, b = self._data, other._data
        if a.ndim != 1 or b.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
        if a.dtype != b.dtype:
            raise RuntimeError(
                f"dot : expected both vectors to have same dtype, but found {_la._dn(a)} and {_la._dn(b)}"
            )
        if a.shape != b.shape:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
                f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
            )
        return _la.matmul(self, other)

    def mv(self, vec):
        C.need_tensor(vec, "mv", "vec", 1)
        return _la.mv(self, vec)

    def outer(self, vec2):
        C.need_tensor(vec2, "outer", "vec2", 1)
        return _la.outer(self, vec2)

    ger = outer

    # ---- shape -----------------------------------------------------------------------------
    def view(self, *shape):
        return _sh.view(self, *shape)

    def view_as(self, other):
        C.need_tensor(other, "view_as", "other", 1)
        return _sh.view(self, other._data.shape)

    def reshape(self, *shape):
        return _sh.reshape(self, *shape)

    def reshape_as(self, other):
        C.need_tensor(other, "reshape_as", "other", 1)
        return _sh.reshape(self, other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _sh.flatten(self, start_dim, end_dim)

    def unflatten(self, dim, sizes):
        return _sh.unflatten(self, dim, sizes)

    def t(self):
        return _sh.t(self)

    def transpose(self, dim0, dim1):
        return _sh.transpose(self, dim0, dim1)

    swapaxes = transpose

    def permute(self, *dims):
        return _sh.permute(self, *dims)

    def unsqueeze(self, dim):
        return _sh.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _sh.squeeze(self, dim)

    # In place: the same tensor takes the new shape and strides over its memory.
    def unsqueeze_(self, dim):
        """unsqueeze in place: this tensor gains a size-1 dim at dim; returns self."""
        return _ipview.unsqueeze_(self, dim)

    def squeeze_(self, *dim, **kwargs):
        """squeeze in place: squeeze_(), squeeze_(dim) or squeeze_((d0, d1, ...)) drop size-1 dims; returns self."""
        return _ipview.squeeze_(self, *dim, **kwargs)

    def t_(self):
        """t in place: a 2-D tensor swaps its dims (0-D and 1-D stay); returns self."""
        return _ipview.t_(self)

    def transpose_(self, dim0, dim1):
        """transpose in place: this tensor swaps dims dim0 and dim1 over the same memory; returns self."""
        return _ipview.transpose_(self, dim0, dim1)

    def swapdims_(self, dim0, dim1):
        """The same as transpose_; returns self."""
        return _ipview.transpose_(self, dim0, dim1, "swapdims_")

    def swapaxes_(self, axis0, axis1):
        """The same as transpose_; returns self."""
        return _ipview.transpose_(self, axis0, axis1, "swapaxes_", ("axis0", "axis1"))

    def expand(self, *sizes):
        return _sh.expand(self, *sizes)

    def expand_as(self, other):
        C.need_tensor(other, "expand_as", "other", 1)
        return _sh.expand(self, other._data.shape)

    def repeat(self, *sizes):
        return _sh.repeat(self, _sh._shape_args(sizes))

    def chunk(self, chunks, dim=0):
        if not self._data.ndim:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        d = _red.norm_dim(dim, self._data.ndim)
        n = self._data.shape[d]
        if n == 0:  # PyTorch gives `chunks` empty pieces
            return _multi_output(self, [self[(slice(None),) * d + (slice(0, 0),)] for _ in range(chunks)], "Split")
        return self.split(-(-n // chunks), dim)

    def split(self, split_size, dim=0):
        if not self._data.ndim:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        d = _red.norm_dim(dim, self._data.ndim)
        n = self._data.shape[d]
        if isinstance(split_size, int):
            if split_size < 0:
                raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
            if split_size == 0 and n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            sizes = [0] if n == 0 else [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
        else:
            sizes = [int(s) for s in split_size]
            if any(s < 0 for s in sizes):
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sizes}"
                )
            if sum(sizes) != n:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), "
                    f"but got split_sizes={sizes}"
                )
        out, start = [], 0
        for s in sizes:
            idx = (slice(None),) * d + (slice(start, start + s),)
            out.append(self[idx])
            start += s
        return _multi_output(self, out, "Split" if isinstance(split_size, int) else "SplitWithSizes")

    def narrow(self, dim, start, length):
        """The length elements along dim from start on (a view)."""
        nd = self._data.ndim
        if isinstance(start, Tensor):
            if start._data.ndim != 0 or start._data.dtype.kind not in "iu":
                raise RuntimeError("start must be an 0-dim integral Tensor.")
            start = int(start._data)
        for v in (dim, start, length):
            if not isinstance(v, int) and not hasattr(v, "__index__"):
                got = ", ".join(type(a).__name__ for a in (dim, start, length))
                raise TypeError(
                    f"narrow() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                    " * (int dim, Tensor start, int length)\n * (int dim, int start, int length)"
                )
        dim, start, length = _op.index(dim), _op.index(start), _op.index(length)
        if not nd:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        d = _red.norm_dim(dim, nd)
        size = self._data.shape[d]
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
        if start < 0:
            start += size
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def resize_(self, *sizes, memory_format=None, size=None):
        """A new shape over this tensor's memory, in place: contiguous (or memory_format) strides from the same
        storage offset, the memory grown (old values kept, new ones uninitialised) when too small; returns self."""
        if size is not None:
            if sizes:
                raise TypeError("resize_() got multiple values for argument 'size'")
            sizes = (size,)
        if not sizes:
            raise TypeError('resize_() missing 1 required positional arguments: "size"')
        return _resize.resize_(self, sizes, memory_format)

    def resize_as_(self, the_template, memory_format=None):
        """resize_ to the_template's shape; returns self."""
        return _resize.resize_as_(self, the_template, memory_format)

    def narrow_copy(self, dim, start, length):
        """narrow, copied into new contiguous memory."""
        return _strided.narrow_copy(self, dim, start, length)

    def as_strided(self, size, stride, storage_offset=None):
        """A view of this tensor's memory with the given sizes and strides (in elements), starting storage_offset
        elements into it (default: where this tensor starts)."""
        return _strided.as_strided(self, size, stride, storage_offset)

    def select(self, dim, index):
        """The slice at index along dim, that dim removed (a view)."""
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise TypeError(f"select(): argument 'index' (position 2) must be int, not {type(index).__name__}")
        if isinstance(dim, bool) or not hasattr(dim, "__index__"):
            raise TypeError(f"select(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
        index = _op.index(index)
        nd = self._data.ndim
        if not nd:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = _red.norm_dim(_op.index(dim), nd)
        size = self._data.shape[d]
        if not -size <= index < size:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size [{', '.join(map(str, self._data.shape))}] "
                f"at dimension {d}"
            )
        return self[(slice(None),) * d + (index,)]

    def movedim(self, source, destination):
        """Dims moved from the positions in source to those in destination, the others in order (a view)."""
        one = hasattr(source, "__index__") and not isinstance(source, Tensor)
        ok = (one and hasattr(destination, "__index__") and not isinstance(destination, Tensor)) or (
            isinstance(source, (list, tuple)) and isinstance(destination, (list, tuple))
            and all(hasattr(v, "__index__") for v in (*source, *destination)))
        if not ok:
            got = ", ".join(type(a).__name__ for a in (source, destination))
            raise TypeError(
                f"movedim() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                " * (int source, int destination)\n * (tuple of ints source, tuple of ints destination)"
            )
        src = [_op.index(source)] if one else [_op.index(v) for v in source]
        dst = [_op.index(destination)] if one else [_op.index(v) for v in destination]
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number "
                f"of dims as destination ({dst} dims)"
            )
        nd = self._data.ndim
        ns = [_red.norm_dim(v, nd) for v in src]
        nt = [_red.norm_dim(v, nd) for v in dst]
        if len(set(ns)) != len(ns):
            raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
        if len(set(nt)) != len(nt):
            raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
        order = [None] * max(nd, 1)
        for s_, t_ in zip(ns, nt):
            order[t_] = s_
        rest = iter(i for i in range(nd) if i not in ns)
        perm = tuple(o if o is not None else next(rest) for o in order[:nd])
        return _sh.permute(self, perm)

    moveaxis = movedim

    def unbind(self, dim=0):
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = _red.norm_dim(dim, self._data.ndim)
        return _multi_output(self, [self[(slice(None),) * d + (i,)] for i in range(self._data.shape[d])], "Unbind")

    # ---- indexing, ordering and moving elements -------------------------------------------------
    def gather(self, dim, index, *, sparse_grad=False, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("gather", dim, False, axis, None)
        return _idx.gather(self, dim, index)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return _idx.scatter(self, dim, index, src, value, reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return _inplace.apply(self, lambda a: _idx.scatter(a, dim, index, src, value, reduce))

    def scatter_add(self, dim, index, src):
        return _idx.scatter(self, dim, index, src, _fname="scatter_add", _add=True)

    def scatter_add_(self, dim, index, src):
        return _inplace.apply(self, lambda a: _idx.scatter(a, dim, index, src, _fname="scatter_add", _add=True))

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with alpha * source's slices along dim added at the positions in the 1-D index (repeats add up)."""
        return _idx.index_add(self, dim, index, source, alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In place: alpha * source's slices along dim added at the positions in the 1-D index."""
        return _inplace.apply(self, lambda a: _idx.index_add(a, dim, index, source, alpha))

    def index_select(self, dim, index, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("index_select", dim, False, axis, None)
        return _idx.index_select(self, dim, index)

    def masked_select(self, mask):
        return _idx.masked_select(self, mask)

    def sort(self, dim=-1, descending=False, stable=None, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("sort", None if dim == -1 else dim, False, axis, None)
        return _sort.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("argsort", None if dim == -1 else dim, False, axis, None)
        return _sort.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True, *, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("topk", None if dim == -1 else dim, False, axis, None)
        return _sort.topk(self, k, dim, largest, sorted)

    def kthvalue(self, k, dim=-1, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:
            dim, keepdim = C.np_alias("kthvalue", None if dim == -1 else dim, keepdim, axis, keepdims)
        return _sort.kthvalue(self, k, dim, keepdim)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None, axis=None):
        if axis is not None:
            dim, _ = C.np_alias("repeat_interleave", dim, False, axis, None)
        if repeats is None:
            if dim is not None:
                raise TypeError(f"repeat_interleave() received an invalid combination of arguments - got (Tensor, "
                                f"NoneType, {type(dim).__name__}), but expected repeats to be a Tensor or an int")
            return _movement.repeat_interleave(self)
        return _movement.repeat_interleave(self, repeats, dim, output_size)

    def flip(self, *dims):
        return _movement.flip(self, *dims)

    def fliplr(self):
        if self._data.ndim < 2:
            raise RuntimeError("Input must be >= 2-d.")
        return _movement.flip(self, 1)

    def flipud(self):
        if self._data.ndim < 1:
            raise RuntimeError("Input must be >= 1-d.")
        return _movement.flip(self, 0)

    def roll(self, shifts, dims=None):
        return _movement.roll(self, shifts, dims)

    def tril(self, diagonal=0):
        return _movement.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _movement.triu(self, diagonal)

    def tril_(self, diagonal=0):
        return _inplace.apply(self, lambda a: _movement.tril(a, diagonal))

    def triu_(self, diagonal=0):
        return _inplace.apply(self, lambda a: _movement.triu(a, diagonal))

    def diag(self, diagonal=0):
        return _movement.diag(self, diagonal)

    def broadcast_to(self, size):
        return _sh.expand(self, size)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _cmp.isclose(self, other, rtol, atol, equal_nan)

    def __getitem__(self, idx):
        return _sh.getitem(self, idx)

    def __setitem__(self, idx, value):
        _sh.setitem(self, idx, value)

    # ---- in place ----------------------------------------------------------------------------
    def add_(self, other, *, alpha=1):
        return _inplace.binary(self, other, "add", alpha)

    def sub_(self, other, *, alpha=1):
        return _inplace.binary(self, other, "sub", alpha)

    def mul_(self, other):
        return _inplace.binary(self, other, "mul")

    def div_(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            return _inplace.apply(self, lambda a, b: _pw.div(a, b, rounding_mode), other)
        return _inplace.binary(self, other, "div")

    def pow_(self, e):
        return _inplace.apply(self, _pw.pow, e)

    def neg_(self):
        return _inplace.apply(self, _pw.neg)

    def abs_(self):
        return _inplace.apply(self, _pw.abs)

    def exp_(self):
        return _inplace.apply(self, _pw.exp)

    def sqrt_(self):
        return _inplace.apply(self, _pw.sqrt)

    def relu_(self):
        return _inplace.apply(self, _pw.relu)

    def sigmoid_(self):
        return _inplace.apply(self, _pw.sigmoid)

    def tanh_(self):
        return _inplace.apply(self, _pw.tanh)

    def clamp_(self, min=None, max=None):
        scalars = not isinstance(min, Tensor) and not isinstance(max, Tensor)
        if not scalars:
            for bound in (min, max):
                if isinstance(bound, Tensor):
                    _inplace.check_broadcast(self, bound)
        return _inplace.apply(self, lambda a: _pw.clamp(a, min, max), cpp_names=scalars)

    clip_ = clamp_

    def clamp_min_(self, min):
        return _inplace.apply(self, lambda a: _pw.clamp(a, min, None, "min"), cpp_names=not isinstance(min, Tensor))

    def clamp_max_(self, max):
        return _inplace.apply(self, lambda a: _pw.clamp(a, None, max, "max"), cpp_names=not isinstance(max, Tensor))

    def reciprocal_(self):
        return _inplace.apply(self, _pw.reciprocal)

    def log_(self):
        return _inplace.apply(self, _pw.log)

    def addcmul_(self, t1, t2, value=1):
        return self.add_(t1 * t2 * value)

    def addcdiv_(self, t1, t2, value=1):
        if isinstance(t1, Tensor) and isinstance(t2, Tensor):
            _em.check_addcdiv_dtypes(t1, t2)
        return self.add_(t1 / t2 * value)

    def lerp_(self, end, weight):
        _pw.check_lerp(self, end)
        return self.add_((end - self) * weight)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def __ipow__(self, e):
        return self.pow_(e)

    def fill_(self, value):
        return _inplace.fill(self, value)

    def zero_(self):
        return _inplace.fill(self, 0, "ZeroBackward0")

    def copy_(self, src, non_blocking=False):
        return _inplace.copy(self, src)

    def set_(self, source):
        self._data = source._data
        self._device = source._device
        _inplace.bump(self)
        return self

    def masked_fill(self, mask, value):
        _inplace.check_mask(mask, "masked_fill_")
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(
                    "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                    f"{value._data.ndim} dimension(s)."
                )
            fill = value.to(self.dtype) if value._data.dtype != self._data.dtype else value
        else:
            fill = C.wrap(C.get_xp(self._data).asarray(C.fit_scalar(value, self._data.dtype, "masked_fill_"),
                                                       dtype=self._data.dtype), self._device)
        return _pw.where(mask, fill, self)

    def masked_fill_(self, mask, value):
        _inplace.check_inplace(self)
        _inplace.check_mask(mask, "masked_fill_")
        _inplace.check_broadcast(self, mask)
        if (self._rg or (isinstance(value, Tensor) and value._rg)) and _grad_state.enabled:
            return _inplace.apply(self, lambda a: a.masked_fill(mask, value))
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(
                    "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                    f"{value._data.ndim} dimension(s)."
                )
            if value._device is self._device and self._device.type == "cuda":
                v = value._data.astype(self._data.dtype)  # stays on the device: reading it would sync
            else:
                v = C.fit_scalar(value.item(), self._data.dtype, "masked_fill_")
        else:
            v = C.fit_scalar(value, self._data.dtype, "masked_fill_")
        m = mask._data
        if m.shape != self._data.shape:
            m = C.get_xp(m).broadcast_to(m, self._data.shape)
        _inplace.write_masked(self, m, v)
        _inplace.bump(self)
        return self

    _KERNEL = {"uniform": "check_uniform_bounds", "normal": "normal_kernel_cpu", "bernoulli": "bernoulli_scalar_cpu_"}
    _RANDOM_NODE = {"uniform": "UniformBackward0", "normal": "NormalBackward0", "bernoulli": "BernoulliBackward0"}

    def _random_fill(self, kind, *args):
        from . import _random

        _inplace.check_inplace(self)
        d = self._data
        if d.dtype.kind != "f" and kind != "bernoulli":
            raise NotImplementedError(f'"{self._KERNEL[kind]}" not implemented for \'{self.dtype._legacy[:-6]}\'')
        gen = args[-1] if args and args[-1] is not None else _random.default_generator_for(str(self._device))
        from .backend import kernels

        kernels.random_fill(self, kind, args[:-1], gen)
        if self._rg and _grad_state.enabled:  # a fresh draw has no gradient path to the old values
            node = _inplace.FillBackward((C.edge(self),))
            node._name = self._RANDOM_NODE[kind]
            _inplace.rebase(self, node)
        _inplace.bump(self)
        return self

    def uniform_(self, from_=0, to=1, *, generator=None):
        if from_ > to:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
        return self._random_fill("uniform", from_, to, generator)

    def normal_(self, mean=0, std=1, *, generator=None):
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return self._random_fill("normal", mean, std, generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        return self._random_fill("bernoulli", p, generator)

    def _float_fill(self, name, kind_words, c_names=False):
        """PyTorch's refusal of an integer tensor for a continuous fill (its words differ by kernel)."""
        if self._data.dtype.kind != "f":
            legacy = _pw._dtype_legacy(self._data.dtype)
            if kind_words is None:
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{legacy}'")
            got = _C_TYPE_NAMES.get(self._data.dtype.name, legacy) if c_names else legacy
            raise RuntimeError(f"{kind_words} distribution is a continuous probability distribution. dtype must be a "
                               f"floating point but you specified {got}")

    def _transform_fill(self, fn):
        xp = C.get_xp(self._data)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            self._data[...] = fn(xp, self._data.astype(np.float64)).astype(self._data.dtype)
        _inplace.bump(self)
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with draws from Exponential(lambd)."""
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        self._float_fill("exponential", "Exponential")
        self.uniform_(0, 1, generator=generator)
        return self._transform_fill(lambda xp, u: -xp.log1p(-u) / lambd)

    def geometric_(self, p, *, generator=None):
        """Fill with draws from Geometric(p): the number of trials up to the first success (1, 2, ...)."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        if self._data.dtype.kind == "b":
            raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
        from ._factories import empty

        u = empty(self._data.shape, dtype=_dtype.float64, device=self._device).uniform_(0, 1, generator=generator)
        _inplace.check_inplace(self)
        xp = C.get_xp(self._data)
        with np.errstate(divide="ignore"):
            k = xp.maximum(xp.ceil(xp.log1p(-u._data) / math.log1p(-p)), 1)
        self._data[...] = k.astype(self._data.dtype)
        _inplace.bump(self)
        return self

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fill with draws from Cauchy(median, sigma)."""
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        self._float_fill("cauchy", "Cauchy", c_names=True)
        self.uniform_(0, 1, generator=generator)
        return self._transform_fill(lambda xp, u: median + sigma * xp.tan(math.pi * (u - 0.5)))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fill with exp of draws from Normal(mean, std)."""
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        self._float_fill("log_normal", None)
        self.normal_(mean, std, generator=generator)
        return self._transform_fill(lambda xp, v: xp.exp(v))

    def bernoulli(self, p=None, *, generator=None):
        """See xptorch.bernoulli(); the tensor itself is the input."""
        from ._functions import bernoulli

        return bernoulli(self, p, generator=generator) if p is not None else bernoulli(self, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """See xptorch.multinomial(); the tensor itself is the input."""
        from ._functions import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def random_(self, low=0, high=None, *, generator=None):
        from . import _random

        _inplace.check_inplace(self)
        gen = generator or _random.default_generator_for(str(self._device))
        if high is None:
            low, high = 0, low if low else (2 if self._data.dtype.kind == "b" else 2 ** 24)
        if self._data.dtype.kind == "b" and (low < 0 or high - 1 > 1):
            raise RuntimeError(f"{'from' if low < 0 else 'to - 1'} is out of bounds for bool")
        vals = gen.randint(self._data.shape, low, high)
        self._data[...] = self._device_array(vals)
        _inplace.bump(self)
        return self

    def _device_array(self, host):
        if self._device is CPU:
            return host
        from .backend import transfer

        return transfer(host, CPU, self._device)

    # ---- dlpack -------------------------------------------------------------------------------
    def __dlpack__(self, stream=None, **kwargs):
        if self._rg:
            raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(**({} if stream is None else {"stream": stream}), **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __reduce_ex__(self, proto):
        if self._leaf_hooks or (self.grad_fn is not None and self.grad_fn._hooks):
            from .utils.hooks import warn_if_has_hooks

            warn_if_has_hooks(self)
        return (_rebuild, (self.numpy(force=True).copy(), str(self._device), self._rg))

    def __deepcopy__(self, memo):
        """A leaf copy on the same device; like PyTorch, a leaf's .grad is copied with it."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  "
                "If you were attempting to deepcopy a module, this may be because of a xptorch.nn.utils.weight_norm "
                "usage, see https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]
        out = C.wrap(_copy_sharing(self._data, memo), self._device)
        out._rg = self._rg
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = C.wrap(self._grad._data.copy(), self._device)
        return out


def _copy_sharing(arr, memo):
    """A copy of arr; arrays of one allocation copied in one deepcopy stay views of one new allocation."""
    from .serialization import _owner, _ptr, view

    own = _owner(arr)
    if own is None:
        return arr.copy()
    key, flat = own
    mk = ("xptorch.storage", key)
    new = memo.get(mk)
    if new is None:
        if arr.base is None:  # arr owns its memory: a plain copy, registered for its views
            out = arr.copy(order="K")
            if _owner(out) is not None:
                memo[mk] = _owner(out)[1]
                memo.setdefault(id(memo), []).append(flat)  # keep the key's object alive, as deepcopy does
                return out
        new = memo[mk] = flat.copy()
        memo.setdefault(id(memo), []).append(flat)
    return view(new, _ptr(arr) - _ptr(flat), arr.shape, arr.strides, arr.dtype)


def _rebuild(arr, dev, rg):
    from ._factories import from_numpy

    t = from_numpy(arr).to(dev)
    t._rg = rg
    return t


import operator as _op  # noqa: E402

_eq, _ne, _lt, _le, _gt, _ge = _op.eq, _op.ne, _op.lt, _op.le, _op.gt, _op.ge


_C_TYPE_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                 "uint8": "unsigned char", "bool": "bool"}


def _renorm(t, p, dim, maxnorm):
    if t.dim() <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {t.dim()} dimensions")
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    d = _red.norm_dim(dim, t.dim())
    others = [i for i in range(t.dim()) if i != d]
    norms = t.norm(p, dim=others, keepdim=True)
    # The factor stays differentiable: PyTorch's gradient includes the norm's dependence on t.
    factor = _pw.where(norms > maxnorm, maxnorm / (norms + 1e-7), norms.new_ones(()))
    return t * factor


def _layout_fmt(fmt, fname, default):
    if fmt is None:
        return default
    if not isinstance(fmt, _layout.memory_format):
        raise TypeError(f"{fname}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")
    return fmt


def _parse_to(t, args, kwargs):
    """Tensor.to(device=None, dtype=None, non_blocking=False, copy=False) in all its spellings."""
    from ._device import device as _dev

    dev, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for a in args:
        if _dtype.is_dtype_arg(a):
            dt = a
        elif isinstance(a, Tensor):
            dev, dt = a._device, a.dtype
        elif isinstance(a, (str, _dev, int)) and not isinstance(a, bool):
            dev = a
        elif isinstance(a, bool):
            pass
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    if dev is not None:
        dev = canonical(_dev(dev) if not isinstance(dev, _dev) else dev)
    else:
        dev = t._device
    if dt is not None:
        dt = _dtype.to_dtype(dt)
    return dev, dt, copy


C.Tensor = Tensor
_engine._bind_tensor_class(Tensor)


def _multi_output(t, pieces, name):
    """As torch: views that one call returns together refuse in-place edits while in the graph."""
    if t._rg and _grad_state.enabled:
        for i, p in enumerate(pieces):
            p._multi_out = (i, name)
            if p._cm is None or p._cm[0] != "inference":  # this call's refusal takes over from the one passed on
                p.__dict__.update(_cm=("multi", i), _cm_v=p._vc[0])
    return tuple(pieces)


def _editable(pieces):
    for p in pieces:
        p.__dict__.pop("_multi_out", None)
        if p._cm is not None and p._cm[0] == "multi":
            del p._cm, p._cm_v
    return pieces


# ---- help(): method docs, kept in one block so the methods above stay short -------------------
_SEE_FUNCTION = (
    "abs", "add", "all", "allclose", "amax", "amin", "any", "argmax", "argmin", "argsort", "bmm", "broadcast_to",
    "chunk", "clamp", "clamp_max", "clamp_min", "clip", "clone", "cos", "count_nonzero", "cumprod", "cumsum", "diag",
    "div", "dot", "eq", "equal", "exp", "flatten", "flip", "fliplr", "flipud", "gather", "ge", "ger", "gt",
    "index_select", "is_floating_point", "isclose", "isnan", "kthvalue", "le", "log", "log_softmax", "logsumexp",
    "lt", "masked_select", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul", "mv", "ne", "neg",
    "norm", "numel", "outer", "permute", "pow", "prod", "reciprocal", "relu", "repeat_interleave", "reshape", "roll",
    "rsqrt", "scatter", "scatter_add", "sigmoid", "sin", "sinh", "cosh", "erf", "erfinv", "softmax", "sort", "split", "sqrt", "squeeze", "std", "sub",
    "sum", "t", "tanh", "topk", "transpose", "tril", "triu", "unbind", "unsqueeze", "var", "where",
)
for _name in _SEE_FUNCTION:
    _method = Tensor.__dict__.get(_name)
    if _method is not None and not _method.__doc__:
        _method.__doc__ = f"See xptorch.{_name}(); the tensor itself is the input."

_METHOD_DOCS = {
    "backward": "Accumulate into the leaves' .grad the gradient of this tensor (a scalar, or given `gradient`).",
    "register_hook": "Call hook(grad) with this tensor's gradient during backward; it may return a replacement.",
    "retain_grad": "Keep .grad on this non-leaf tensor after backward.",
    "requires_grad_": "Set requires_grad in place (leaves only); returns self.",
    "detach": "A tensor sharing this one's memory, outside the autograd graph.",
    "detach_": "Remove this tensor from the autograd graph in place; returns self.",
    "item": "The value of a one-element tensor as a Python number.",
    "tolist": "The elements as (nested) Python lists of numbers.",
    "numpy": "The NumPy array sharing this CPU tensor's memory (force=True copies from other devices).",
    "to": "This tensor on another device and/or dtype: to(device), to(dtype), to(other), to(device, dtype); self when nothing changes.",
    "cpu": "This tensor in CPU memory (self when already there).",
    "cuda": "This tensor in CUDA memory (self when already there).",
    "type": "The legacy type name ('xptorch.FloatTensor'), or a copy cast to the given dtype.",
    "type_as": "This tensor cast to other's dtype.",
    "float": "Cast to float32.", "double": "Cast to float64.", "half": "Cast to float16.", "long": "Cast to int64.",
    "int": "Cast to int32.", "bool": "Cast to bool.", "byte": "Cast to uint8.",
    "size": "The shape as xptorch.Size, or the size of one dim.",
    "dim": "Number of dims.", "ndimension": "Number of dims.", "nelement": "Number of elements.",
    "stride": "Elements to step in memory per index of each dim, or of one dim.",
    "element_size": "Bytes per element.", "is_contiguous": "True if the elements are laid out in C order without gaps.",
    "contiguous": "Self if C-contiguous, else a contiguous copy.",
    "data_ptr": "Address of the first element.", "untyped_storage_ptr": "Address of the start of the underlying memory.",
    "view": "The same memory seen with another shape (one dim may be -1), or as another dtype of the same size.",
    "view_as": "view with other's shape.", "reshape_as": "reshape to other's shape.",
    "expand": "A view with size-1 dims repeated to the given sizes (-1 keeps a dim); no memory is copied.",
    "expand_as": "expand to other's shape.", "unflatten": "Split dim into the given sizes (a view).",
    "swapaxes": "Swap two dims (a view); the same as transpose.",
    "repeat": "A copy tiled the given number of times along each dim.",
    "new_tensor": "tensor(data) with this tensor's dtype and device unless given.",
    "new_zeros": "zeros with this tensor's dtype and device unless given.",
    "new_ones": "ones with this tensor's dtype and device unless given.",
    "new_empty": "empty with this tensor's dtype and device unless given.",
    "new_full": "full with this tensor's dtype and device unless given.",
    "masked_fill": "A copy with value written where the boolean mask (broadcast) is True.",
    "masked_fill_": "Write value where the boolean mask (broadcast) is True, in place; returns self.",
    "fill_diagonal_": "Write fill_value on the main diagonal (all dims equal past 2-D; wrap restarts it below "
                      "the first square of a tall matrix); returns self.",
    "absolute": "|x|, elementwise.", "negative": "-x, elementwise.", "square": "x * x, elementwise.",
    "sign": "-1, 0 or 1 by the sign of each element.", "floor": "Largest integer <= x, elementwise.",
    "ceil": "Smallest integer >= x, elementwise.", "round": "Nearest integer (halves to even), or `decimals` places.",
    "isfinite": "True where the element is neither infinite nor NaN.",
    "logical_not": "True where the element is zero.", "logical_and": "Elementwise logical and, as bool.",
    "logical_or": "Elementwise logical or, as bool.",
    "lerp": "self + weight * (end - self).", "subtract": "See xptorch.sub().", "multiply": "See xptorch.mul().",
    "divide": "See xptorch.div().", "true_divide": "See xptorch.div().",
    "add_": "In-place add; returns self.", "sub_": "In-place sub; returns self.", "mul_": "In-place mul; returns self.",
    "div_": "In-place div; returns self.", "pow_": "In-place pow; returns self.", "neg_": "In-place neg; returns self.",
    "abs_": "In-place abs; returns self.", "exp_": "In-place exp; returns self.", "log_": "In-place log; returns self.",
    "sqrt_": "In-place sqrt; returns self.", "relu_": "In-place relu; returns self.",
    "sigmoid_": "In-place sigmoid; returns self.", "tanh_": "In-place tanh; returns self.",
    "reciprocal_": "In-place reciprocal; returns self.", "clamp_min_": "In-place clamp_min; returns self.",
    "clamp_max_": "In-place clamp_max; returns self.", "tril_": "In-place tril; returns self.",
    "clamp_": "In-place clamp (clip_ is the same); returns self.",
    "triu_": "In-place triu; returns self.", "lerp_": "In-place lerp; returns self.",
    "addcmul_": "self += value * t1 * t2, in place; returns self.",
    "addcdiv_": "self += value * t1 / t2, in place; returns self.",
    "scatter_": "In-place scatter (see xptorch.scatter()); returns self.",
    "scatter_add_": "In-place scatter_add (see xptorch.scatter_add()); returns self.",
    "fill_": "Set every element to value, in place; returns self.", "zero_": "Set every element to 0; returns self.",
    "copy_": "Copy src's values (broadcast, cast, moved) into this tensor; returns self.",
    "set_": "Make this tensor use source's memory; returns self.",
    "uniform_": "Fill with samples from U[from_, to); returns self.",
    "normal_": "Fill with samples from N(mean, std**2); returns self.",
    "bernoulli_": "Fill with 1 (probability p) or 0; returns self.",
    "random_": "Fill with integers drawn uniformly from [low, high); returns self.",
}
for _name, _doc in _METHOD_DOCS.items():
    _method = Tensor.__dict__.get(_name)
    if _method is not None and not _method.__doc__:
        _method.__doc__ = _doc
# elementwise math and BLAS-style ops (_ops/elementwise_math.py)
_SEE_FUNCTION_MORE = ('logit', 'lgamma', 'digamma', 'polygamma', 'mvlgamma', 'i0', 'acos', 'acosh', 'addbmm', 'addcdiv', 'addcmul', 'addmm', 'addmv', 'addr', 'arccos', 'arccosh',
    'arcsin', 'arcsinh', 'arctan', 'arctan2', 'arctanh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'baddbmm',
    'bitwise_and', 'bitwise_left_shift', 'bitwise_not', 'bitwise_or', 'bitwise_right_shift', 'bitwise_xor',
    'copysign', 'deg2rad', 'erf', 'erfc', 'exp2', 'expm1', 'fix', 'float_power', 'fmod', 'frac', 'heaviside', 'hypot',
    'isinf', 'isneginf', 'isposinf', 'isreal', 'log10', 'log1p', 'log2', 'logaddexp', 'logaddexp2', 'logical_xor',
    'nan_to_num', 'positive', 'rad2deg', 'remainder', 'sgn', 'signbit', 'sinc', 'tan', 'trunc', 'xlogy')
_IN_PLACE_MORE = ("erfinv_", "logit_", "lgamma_", "digamma_", "polygamma_", "mvlgamma_", "i0_", 'acos_', 'acosh_', 'addbmm_', 'addmm_', 'addmv_', 'addr_', 'arccos_', 'arccosh_', 'arcsin_', 'arcsinh_',
    'arctan2_', 'arctan_', 'arctanh_', 'asin_', 'asinh_', 'atan2_', 'atan_', 'atanh_', 'baddbmm_', 'bitwise_and_',
    'bitwise_left_shift_', 'bitwise_not_', 'bitwise_or_', 'bitwise_right_shift_', 'bitwise_xor_', 'ceil_',
    'copysign_', 'cos_', 'cosh_', 'deg2rad_', 'divide_', 'eq_', 'erf_', 'erfc_', 'exp2_', 'expm1_', 'fix_',
    'float_power_', 'floor_', 'fmod_', 'frac_', 'ge_', 'greater_', 'greater_equal_', 'gt_', 'heaviside_', 'hypot_',
    'le_', 'less_', 'less_equal_', 'log10_', 'log1p_', 'log2_', 'logical_and_', 'logical_not_', 'logical_or_',
    'logical_xor_', 'lt_', 'multiply_', 'nan_to_num_', 'ne_', 'negative_', 'not_equal_', 'rad2deg_', 'remainder_',
    'round_', 'rsqrt_', 'sgn_', 'sign_', 'sin_', 'sinc_', 'sinh_', 'square_', 'subtract_', 'tan_', 'true_divide_',
    'trunc_', 'xlogy_')
_SEE_FUNCTION_MORE += ('aminmax', 'argwhere', 'bincount', 'cross', 'cummax', 'cummin', 'diag_embed', 'diagflat',
    'diagonal', 'diff', 'dsplit', 'histc', 'hsplit', 'index_copy', 'index_fill', 'inner', 'is_nonzero', 'kron',
    'logcumsumexp', 'median', 'nanmean', 'nanmedian', 'nanquantile', 'nansum', 'nonzero', 'quantile', 'ravel',
    'rot90', 'swapdims', 'take', 'take_along_dim', 'tensor_split', 'tile', 'trace', 'unique', 'unique_consecutive',
    'vsplit')
_IN_PLACE_MORE += ("index_copy_", "index_fill_", "masked_scatter_", "index_put_", "put_", "scatter_reduce_", "index_reduce_", "ldexp_")
_SEE_FUNCTION_MORE += ("mode", "masked_scatter", "index_put", "put", "scatter_reduce", "index_reduce", "cov", "corrcoef", "frexp", "ldexp")
_SEE_FUNCTION_MORE += ("floor_divide", "fmax", "fmin", "gcd", "lcm", "nextafter")
_IN_PLACE_MORE += ("absolute_", "floor_divide_", "gcd_", "lcm_", "nextafter_", "renorm_")
for _name in _SEE_FUNCTION_MORE:
    _method = Tensor.__dict__.get(_name)
    if _method is not None and not _method.__doc__:
        _method.__doc__ = f"See xptorch.{_name}(); the tensor itself is the input."
for _name in _IN_PLACE_MORE:
    _method = Tensor.__dict__.get(_name)
    if _method is not None and not _method.__doc__:
        _method.__doc__ = f"In-place {_name[:-1]}: the result written into this tensor (its dtype kept); returns self."
del _name, _method, _doc
