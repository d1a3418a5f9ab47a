"""Multi-tensor updates: a parameter group's optimiser state held in one flat buffer per name.

Each parameter's state tensors (exp_avg, momentum_buffer, ...) stay separate Tensor objects, as
state_dict() shows them, but their arrays are views into one flat buffer per name, and the group's
gradients are gathered into one more. An update is then a handful of whole-group array calls
instead of a handful per parameter; only the final write into each parameter is per tensor.
The parameters themselves are left alone (users hold them and their .data).

Only tensors below blas.MIN_SIZE elements are gathered: for them the per-call cost is what
counts, and the loop updates them with NumPy's multiply-then-add, which the flat buffers repeat
element for element, so both paths give the same bits. Larger tensors are left to the loop (its
per-tensor BLAS axpy passes gain nothing from a gather, which would cost one more pass).

A _FlatGroup is rebuilt whenever what it was built over changes: the parameters with a gradient,
a parameter's .data, or a state tensor (load_state_dict, a user assignment).
"""
import numpy as np

from .._ops import _common as C
from .._ops.inplace import bump
from ..backend import use_device
from ..backend.blas import MIN_SIZE
from ..backend import capture_blas as _cb


class _FlatGroup:
    """Flat state buffers (and scratch) over `params`, which share one backend, device and dtype."""

    def __init__(self, params, state, names, step):
        d0 = params[0]._data
        xp = C.get_xp(d0)
        dt = d0.dtype
        dev = params[0]._device
        self.xp = xp
        self.params = params  # group order, for matches()
        self.ids = frozenset(id(p) for p in params)
        self.datas = [p._data for p in params]
        bounds = []
        n = 0
        for d in self.datas:
            bounds.append((n, n + d.size))
            n += d.size
        self.size = n
        shapes = [d.shape for d in self.datas]
        with use_device(dev):
            self.grad = xp.empty(n, dt)
            self.tmp = xp.empty(n, dt)
            self.tmp2 = xp.empty(n, dt)
            self.bufs = {name: xp.empty(n, dt) for name in names}
        self._split = {}
        for buf in (self.grad, self.tmp, self.tmp2, *self.bufs.values()):
            self._split[id(buf)] = (buf, [buf[lo:hi].reshape(s) for (lo, hi), s in zip(bounds, shapes)])
        self.tensors = {}
        self.views = {}
        for name, buf in self.bufs.items():
            ts = []
            for p, view in zip(self.params, self.split(buf)):
                t = state[p][name]
                view[...] = t._data
                t._data = view  # the same Tensor object, now over the flat buffer
                ts.append(t)
            self.tensors[name] = ts
            self.views[name] = list(self.split(buf))
        self.steps = None
        if step:
            # 'step' stays one CPU scalar per parameter, each a view of one array.
            self.steps = np.empty(len(params), state[params[0]]["step"]._data.dtype)
            self.step_tensors = []
            for i, p in enumerate(self.params):
                t = state[p]["step"]
                self.steps[i] = t._data
                t._data = self.steps[i:i + 1].reshape(())
                self.step_tensors.append(t)

    def matches(self, params, state):
        """Whether this flat group still describes `params` (in group order) and their state."""
        if len(params) != len(self.params):
            return False
        for p, q, d in zip(params, self.params, self.datas):
            if p is not q or p._data is not d:
                return False
        for name, ts in self.tensors.items():
            for p, t, v in zip(self.params, ts, self.views[name]):
                if state[p].get(name) is not t or t._data is not v:
                    return False
        return True

    def split(self, flat):
        """Per-parameter views of one of this group's flat buffers."""
        views = self._split.get(id(flat))
        if views is None or views[0] is not flat:
            raise ValueError("not a buffer of this group")
        return views[1]

    def gather_grads(self):
        """The gradients, one after another, in self.grad."""
        _cb.concatenate(self.xp, [p._grad._data.reshape(-1) for p in self.params], out=self.grad)
        return self.grad

    def gather_params(self, out):
        """The parameter values, laid out as gather_grads, in out (tmp or tmp2)."""
        _cb.concatenate(self.xp, [d.reshape(-1) for d in self.datas], out=out)
        return out

    def scatter_params(self, flat):
        """Copy flat (laid out as gather_params) back into the parameters."""
        copyto = self.xp.copyto
        for d, v in zip(self.datas, self.split(flat)):
            copyto(d, v)
        self.bump_params()

    def axpy(self, alpha, x, y, scratch):
        """y <- y + alpha * x over flat buffers, as the loop computes it for small tensors."""
        xp = self.xp
        xp.add(y, xp.multiply(x, alpha, out=scratch), out=y)

    def apply(self, alpha, flat, scratch):
        """p <- p + alpha * flat for each parameter (scratch: a work buffer of this group other than flat)."""
        xp = self.xp
        xp.multiply(flat, alpha, out=scratch)
        for d, w in zip(self.datas, self.split(scratch)):
            xp.add(d, w, out=d)
        self.bump_params()

    def bump_params(self):
        for p in self.params:
            bump(p)

    def bump_state(self, name):
        for t in self.tensors[name]:
            bump(t)

    def bump_steps(self):
        self.steps += 1
        for t in self.step_tensors:
            bump(t)
        return float(self.steps[0])


def flat_group(opt, index, group, names, step=False):
    """The _FlatGroup over the group's small parameters that have a gradient, or None.

    The caller's loop updates the parameters not in its `ids`. None (the loop does everything)
    when foreach=False, when fewer than two small tensors have a gradient, on a first step (the
    loop creates the state), or when those tensors differ in backend, device or dtype, or have
    different step counts.
    """
    cache = opt._flat
    if group["foreach"] is False:
        cache.pop(index, None)
        return None
    params = [p for p in group["params"] if p._grad is not None and p._data.size < MIN_SIZE]
    fg = cache.get(index)
    if fg is not None and fg.matches(params, opt.state):
        return fg
    cache.pop(index, None)
    if len(params) < 2:
        return None
    d0 = params[0]._data
    kind, dev, dt = type(d0), params[0]._device, d0.dtype
    if dt.kind != "f":
        return None
    state = opt.state
    steps = set()
    for p in params:
        d = p._data
        if type(d) is not kind or p._device is not dev or d.dtype != dt or not d.flags.c_contiguous:
            return None
        g = p._grad._data
        if type(g) is not kind or g.dtype != dt:
            return None
        if names:
            st = state.get(p)
            if not st or any(name not in st for name in names):
                return None  # first step (or a partly filled state): the loop creates it
            if step:
                steps.add(float(st["step"]._data))
    if len(steps) > 1:
        return None
    fg = cache[index] = _FlatGroup(params, state, names, step)
    return fg
