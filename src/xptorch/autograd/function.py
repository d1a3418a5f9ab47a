"""Custom differentiable ops: subclass Function with static forward and backward.

The context object a forward receives is the graph node itself (an instance of the generated
`<Name>Backward` class), as in PyTorch: attributes set on ctx are there again in backward, and
`y.grad_fn.saved_tensors` works. Saved outputs are kept as arrays and rebuilt on access, so an
output never references the node that references it (no reference cycle).
"""
import functools

from .._ops import _common as C
from ..backend import array_module
from . import grad_mode as _gm
from . import saved_hooks
from .saved_hooks import ACTIVE as _SAVED_HOOKS
from .engine import _version_error
from .node import FREED_MSG, Node

_state = _gm.state

__all__ = ["Function", "FunctionCtx", "once_differentiable", "BackwardCFunction"]


class FunctionCtx:
    """What forward (or setup_context) may call on ctx."""

    __slots__ = ()

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, C.Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        self._to_save_fwd = tensors

    def mark_dirty(self, *args):
        self._dirty = args

    def mark_non_differentiable(self, *args):
        self._non_diff = args

    def set_materialize_grads(self, value):
        self._materialize = bool(value)


def _unsaved(*a, **k):
    raise RuntimeError("saved_tensors is only available in backward")


class BackwardCFunction(Node, FunctionCtx):
    """Base of every `<Name>Backward` node; `_fn` is the Function subclass it belongs to."""

    __slots__ = ()
    saves = ("_saved",)
    _fn = None
    _saved = None
    _to_save = ()
    _dirty = ()
    _non_diff = ()
    _materialize = True
    _out_meta = None  # ((shape, dtype), ...) per output, to materialise missing gradients
    _arg_meta = None  # per forward argument: (shape, dtype) for a tensor, None otherwise
    needs_input_grad = ()

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<xptorch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    # ---- saved tensors ---------------------------------------------------------------------
    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(FREED_MSG)
        saved = self._saved
        if saved is None:
            return ()
        out = []
        for s in saved:
            if s is None:
                out.append(None)
                continue
            if s.__class__ is _PackedSaved:
                out.append(s.unpack(self))
                continue
            t, vc, then, idx = s
            if vc[0] != then:
                if idx is None:
                    _version_error(vc[0], then, t)
                _version_error(vc[0], then, (t.dtype, t.shape, self.name(), _is_cuda(self)))
            if idx is not None:  # an output: rebuilt around this node, sharing its version counter
                arr = t
                t = C.wrap_grad(arr, self._dev, self._output_node(idx))
                t._vc = vc
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def _output_node(self, idx):
        sel = self._selectors
        return self if sel is None else sel[idx]

    _selectors = None
    _dev = None

    # ---- backward --------------------------------------------------------------------------
    def apply(self, *grads):
        return self._fn.backward(self, *grads)

    def _grads_in(self, g, as_tensor):
        """One gradient per output (Tensors), None or zeros where nothing flowed."""
        n = len(self._out_meta)
        gs = g.grads if n != 1 else [g]
        res = []
        for i, gi in enumerate(gs):
            if gi is None:
                shape, dtype = self._out_meta[i]
                if self._materialize and dtype is not None:
                    res.append(C.wrap(array_module(self._dev).zeros(shape, dtype=dtype), self._dev))
                else:
                    res.append(None)
            elif as_tensor:
                res.append(C.wrap(gi, self._dev))
            else:
                res.append(gi)
        return res

    def backward(self, g):
        gs = self._grads_in(g, True)
        prev = _state.enabled
        _state.enabled = False
        try:
            res = self._fn.backward(self, *gs)
        finally:
            _state.enabled = prev
        return tuple(None if r is None else r._data for r in self._check_grads(res))

    def backward_graph(self, g):
        gs = self._grads_in(g, False)
        res = self._fn.backward(self, *gs)
        return self._check_grads(res, graph=True)

    def _check_grads(self, res, graph=False):
        """Validate what a user backward returned: count, types, shapes; one entry per edge."""
        if not isinstance(res, tuple):
            res = (res,)
        meta = self._arg_meta
        n = len(meta)
        if len(res) != n:
            if len(res) > n and all(r is None for r in res[n:]):
                res = res[:n]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n}, got {len(res)})"
                )
        out = []
        for i, (r, m) in enumerate(zip(res, meta)):
            if m is None:
                continue
            if r is None:
                out.append(None)
                continue
            if not isinstance(r, C.Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__})")
            shape, dtype = m
            rs = r._data.shape
            if rs != shape:
                if not _expandable(shape, rs):
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - got "
                        f"[{', '.join(map(str, rs))}] but expected shape compatible with "
                        f"[{', '.join(map(str, shape))}]"
                    )
                r = _sum_to(r, shape) if graph else C.wrap(C.unbroadcast(r._data, shape), r._device)
            if r._data.dtype != dtype:
                r = r.to(_dtype_of(dtype)) if graph else C.wrap(r._data.astype(dtype), r._device)
            out.append(r)
        edges = self.next
        return tuple(o if e is not None else None for o, e in zip(out, edges))


def _is_cuda(node):
    return node._dev is not None and node._dev.type == "cuda"


def _dtype_of(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def _expandable(shape, target):
    """Whether `shape` broadcasts to `target` (so a gradient of `target`'s shape can be summed down)."""
    if len(shape) > len(target):
        return False
    for s, t in zip(reversed(shape), reversed(target)):
        if s != t and s != 1:
            return False
    return True


def _sum_to(t, shape):
    """Differentiable sum of t down to a shape it was broadcast from."""
    nd = t.dim() - len(shape)
    if nd:
        t = t.sum(dim=tuple(range(nd)))
    dims = tuple(i for i, s in enumerate(shape) if s == 1 and t.shape[i] != 1)
    if dims:
        t = t.sum(dim=dims, keepdim=True)
    return t


class _OutputBackward(Node):
    """Edge to output `idx` of a multi-output Function node; carries that output's gradient."""

    __slots__ = ("idx", "n")

    def backward(self, g):
        return (_Grads.one(self.n, self.idx, g),)

    backward_graph = backward

    def name(self):
        return self.next[0].name()

    def __repr__(self):
        return f"<xptorch.autograd.function.{self.name()} object at {hex(id(self))}>"

    def __getattr__(self, attr):
        return getattr(self.next[0], attr)


class _Grads:
    """Per-output gradients of a multi-output node; `+` merges contributions output by output."""

    __slots__ = ("grads",)

    @staticmethod
    def one(n, idx, g):
        r = _Grads()
        r.grads = [None] * n
        r.grads[idx] = g
        return r

    def __add__(self, other):
        r = _Grads()
        r.grads = [b if a is None else a if b is None else a + b for a, b in zip(self.grads, other.grads)]
        return r


class _FunctionMeta(type):
    """Gives each Function subclass its own `<Name>Backward` node class."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"__slots__": (), "_fn": cls})
        cls._output_cls = type(name + "Backward", (_OutputBackward,), {"__slots__": ()})
        super().__init__(name, bases, attrs)


def _setup_context_unset(ctx, inputs, output):
    raise NotImplementedError


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class for ops with a hand-written backward; call them with `MyOp.apply(...)`."""

    __slots__ = ()

    def __init__(self, *args, **kwargs):
        import warnings

        warnings.warn(
            f"{type(self)} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error "
            "in a future version of xptorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style "
            "autograd function with static forward method."
        )

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function "
            "to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = C.Tensor
        ctx = Node.__new__(cls._backward_cls)
        edges = []
        arg_meta = []
        need = False
        dev = None
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                arg_meta.append((d.shape, d.dtype))
                if dev is None:
                    dev = a._device
                if a._rg:
                    need = True
                    edges.append(C.edge(a))
                else:
                    edges.append(None)
            else:
                arg_meta.append(None)
        need = need and _state.enabled
        if need:
            ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        else:
            ctx.needs_input_grad = (False,) * len(args)
        prev = _state.enabled
        _state.enabled = False
        try:
            if cls.setup_context is Function.setup_context:
                out = cls.forward(ctx, *args, **kwargs)
            else:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
        finally:
            _state.enabled = prev
        if not need:
            return _detach_outputs(ctx, out, args)
        ctx.next = tuple(edges)
        ctx._arg_meta = arg_meta
        ctx._dev = dev
        return _wrap_outputs(ctx, out, args)


def _detach_outputs(ctx, out, args):
    """Outputs of a call that records nothing: an input returned as is becomes a fresh alias."""
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    res = []
    for o in outs:
        if isinstance(o, C.Tensor) and any(o is a for a in args):
            if ctx._dirty and any(o is d for d in ctx._dirty):
                from .._ops.inplace import bump

                bump(o)
            else:
                o = C.wrap(o._data, o._device)
        res.append(o)
    return res[0] if single else tuple(res)


def _wrap_outputs(ctx, out, args):
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    n = len(outs)
    dirty = ctx._dirty
    non_diff = ctx._non_diff
    meta = []
    views = []
    if n != 1:
        sel = []
        for i in range(n):
            s = ctx._fn._output_cls((ctx,))
            s.idx, s.n = i, n
            sel.append(s)
        ctx._selectors = sel
    res = []
    for i, o in enumerate(outs):
        if not isinstance(o, C.Tensor):
            meta.append(((), None))
            res.append(o)
            continue
        meta.append((o._data.shape, o._data.dtype))
        is_input = any(o is a for a in args)
        if dirty and any(o is d for d in dirty):
            if o.grad_fn is None and o._rg:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            from .._ops.inplace import bump

            bump(o)
        elif is_input:  # a fresh alias, sharing the input's version counter as a view does
            vc = C.vcounter(o)
            o = C.wrap(o._data, o._device)
            o._vc = vc
        if non_diff and any(o is d for d in non_diff):
            o._rg = False
            o.grad_fn = None
        else:
            o._rg = o._data.dtype.kind == "f"
            o.grad_fn = ctx._output_node(i) if o._rg else None
            if o._rg and (is_input or o._base is not None) and not (dirty and any(o is d for d in dirty)):
                views.append((i, o))
        res.append(o)
    if views:  # as torch, a view among the outputs may not be edited in place (its backward is the Function's)
        n_diff = sum(1 for o in res if isinstance(o, C.Tensor) and o._rg)
        for i, o in views:
            if n_diff > 1:
                o._multi_out = (i, None)
                o.__dict__.update(_cm=("multi", i), _cm_v=C.vcounter(o)[0])
            else:
                o.__dict__.update(_cm=("custom", i), _cm_v=C.vcounter(o)[0])
    ctx._out_meta = tuple(meta)
    to_save = ctx._to_save
    if to_save:
        saved = []
        for t in to_save:
            if t is None:
                saved.append(None)
                continue
            vc = C.vcounter(t)
            idx = None
            for j, o in enumerate(res):
                if o is t:
                    idx = j
                    break
            if idx is None:
                for j, o in enumerate(outs):
                    if o is t and not any(t is a for a in args):
                        idx = j
                        break
            if idx is not None:
                res_t = res[idx]
                if res_t is not t:
                    res_t._vc = vc
                saved.append((t._data, vc, vc[0], idx))
            else:
                saved.append((t, vc, vc[0], None))
        if _SAVED_HOOKS and saved_hooks.current() is not None:
            saved = _pack_saved(saved, res, to_save)
        ctx._saved = tuple(saved)
        ctx._to_save = ()
    return res[0] if single else tuple(res)


class _PackedSaved:
    """A tensor given to save_for_backward, as the saved-tensor pack hook returned it."""

    __slots__ = ("obj", "unpack_hook", "idx", "grad_fn", "rg")

    def unpack(self, node):
        r = saved_hooks.call_unpack(self.unpack_hook, self.obj)
        if self.idx is not None:  # an output: rebuilt around this node
            return C.wrap_grad(r._data, r._device, node._output_node(self.idx))
        if self.grad_fn is not None:  # a computed input: the unpacked values under its producer
            return C.wrap_grad(r._data, r._device, self.grad_fn)
        if self.rg:  # a leaf that requires grad: a fresh leaf over the unpacked values
            t = C.wrap(r._data, r._device)
            t._rg = True
            return t
        return r


def _pack_saved(saved, res, to_save):
    """Each saved tensor through the current pack hook, in save_for_backward's order."""
    pack_hook, unpack_hook = saved_hooks.current()
    out = []
    for s, t in zip(saved, to_save):
        if s is None:
            out.append(None)
            continue
        idx = s[3]
        if idx is not None:
            t = res[idx]
        p = _PackedSaved()
        p.obj = saved_hooks.call_pack(pack_hook, t)
        p.unpack_hook, p.idx = unpack_hook, idx
        p.grad_fn, p.rg = t.grad_fn, t._rg
        out.append(p)
    return out


def once_differentiable(fn):
    """Mark a backward as not itself differentiable: it runs without recording, and differentiating
    its result again raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _state.enabled
        _state.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _state.enabled = prev
        if not prev:
            return outputs
        if not any(isinstance(a, C.Tensor) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        res = []
        for o in outs:
            if isinstance(o, C.Tensor) and o._data.dtype.kind == "f":
                o = C.wrap_grad(o._data, o._device, _DelayedError(()))
            res.append(o)
        return res[0] if single else tuple(res)

    return wrapper


class _DelayedError(Node):
    """Node whose backward raises: the gradient of a once_differentiable backward."""

    __slots__ = ()

    def name(self):
        return "DelayedError"

    def backward(self, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")

    backward_graph = backward


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
