"""Monitor: per-parameter weight, gradient and update figures recorded during training."""
import math

import numpy as np

from .._ops import _common as C
from ..backend import is_device_array
from .._tensor import Tensor
from ..nn.utils.ties import parameter_names

__all__ = ["Monitor", "DEFAULT_EVERY", "FIGURES"]

# One record every 10 steps keeps the cost under 10% of a small model's training step (see
# bench/test_bench_training.py); every=1 records every step.
DEFAULT_EVERY = 10

# The figures of a record, in column order.
FIGURES = ("norm", "mean", "std", "min", "max", "grad_norm", "grad_to_weight", "update", "update_to_weight")
_NAN = float("nan")
_NSUMS = 7  # device scalars per parameter, see _sums


class Monitor:
    """Records how each parameter of `model` evolves: call step() after every optimizer.step().

    The 1st step and every `every`-th one after it (every, 2 * every, ...) append one record per parameter to
    `records`: step, name (first name), names (every name a tied parameter goes by), shape, and
    the figures norm, mean, std (unbiased, as Tensor.std), min, max of the weights, grad_norm,
    grad_to_weight (grad_norm / norm), update (norm of the change made by the last step) and
    update_to_weight (update / norm). Missing values (no grad yet, a one-element std) are NaN.
    A tied parameter is one record. With `optimizer=`, step() runs after each optimizer.step()
    by itself. Keyword arguments to step(), such as loss=, are kept in `scalars` on sampled steps.
    """

    def __init__(self, model, every=DEFAULT_EVERY, optimizer=None):
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        self.model = model
        self.every = every
        self.records = []
        self.scalars = []
        self.steps = 0
        self._params = []
        self._refresh()
        self._prev = {}
        self._handle = None
        if optimizer is not None:
            self._handle = optimizer.register_step_post_hook(lambda opt, args, kwargs: self.step())
        self._snapshot_if_due()

    # ---- recording -----------------------------------------------------------------------------
    @property
    def names(self):
        """The first name of each parameter, in model order."""
        return [names[0] for _, names in self._params]

    def _refresh(self):
        # The model's parameters as they are now: a layer replaced after the Monitor was made is followed.
        names = parameter_names(self.model)
        seen = {}
        for p in self.model.parameters():
            seen[id(p)] = p
        self._params = [(p, tuple(names[i])) for i, p in seen.items()]

    def step(self, **scalars):
        """Count one training step; on sampled steps, record every parameter (and the scalars)."""
        host = _host_scalars(scalars)  # a bad value is refused before anything is counted or written
        self.steps += 1
        if self._sampled(self.steps):
            self._record(scalars, host)
        self._snapshot_if_due()

    def _sampled(self, step):
        return step == 1 or step % self.every == 0

    def log(self, **scalars):
        """Keep scalars (such as loss=) for the latest step if it was a sampled one.

        For use after optimizer.step() when the Monitor follows the optimizer; tensors are read
        back only on sampled steps.
        """
        host = _host_scalars(scalars)
        s = self.steps
        if s == 0 or not self._sampled(s):
            return
        values = {k: host[k] if k in host else float(v.item()) for k, v in scalars.items()}
        row = self.scalars[-1] if self.scalars and self.scalars[-1]["step"] == s else None
        if row is None:
            row = {"step": s}
            self.scalars.append(row)
        row.update(values)

    def _snapshot_if_due(self):
        # The step before a sampled one keeps a copy of the weights, so `update` is one step's change.
        if not self._sampled(self.steps + 1):
            return
        self._refresh()
        old, prev = self._prev, {}
        for p, _ in self._params:
            x = p._data
            kept = old.get(id(p))
            a = kept[1] if kept is not None and kept[0] is p else None
            # A parameter moved to another device or dtype since the last copy gets a fresh one.
            if a is not None and a.shape == x.shape and a.dtype == x.dtype and type(a) is type(x):
                a[...] = x
            else:
                a = x.copy()
            prev[id(p)] = (p, a)
        self._prev = prev
        self._prev_step = self.steps

    def _record(self, scalars, plain):
        self._refresh()
        prev = self._prev if self._prev_step == self.steps - 1 else {}
        slots = []
        for p, _ in self._params:
            g = p._grad
            kept = prev.get(id(p))
            before = kept[1] if kept is not None and kept[0] is p and kept[1].shape == p._data.shape else None
            slots.extend(_sums(p._data, None if g is None else g._data, before))
        tensor_keys = [k for k, v in scalars.items() if isinstance(v, Tensor)]
        slots.extend(scalars[k]._data.reshape(()) for k in tensor_keys)
        vals = _to_host(slots)
        per = _NSUMS
        host = [vals[per * i: per * i + per] for i in range(len(self._params))]
        read = dict(zip(tensor_keys, vals[per * len(self._params):]))
        step = self.steps
        out = self.records
        for (p, names), (s1, sd, ss, mn, mx, gss, uss) in zip(self._params, host):
            n = p._data.size
            mean = s1 / n if n else _NAN
            # Sum of squared deviations from the exact mean, then |x|^2 = that + n mean^2.
            ss = max(ss - sd * sd / n, 0.0) if n else 0.0
            norm = math.sqrt(ss + n * mean * mean) if n else 0.0
            gn = math.sqrt(gss) if gss == gss else _NAN
            up = math.sqrt(uss) if uss == uss else _NAN
            out.append({
                "step": step,
                "name": names[0],
                "names": list(names),
                "shape": list(p._data.shape),
                "norm": norm,
                "mean": mean,
                "std": math.sqrt(ss / (n - 1)) if n > 1 else _NAN,
                "min": mn,
                "max": mx,
                "grad_norm": gn,
                "grad_to_weight": gn / norm if norm else _NAN,
                "update": up,
                "update_to_weight": up / norm if norm else _NAN,
            })
        if scalars:
            row = {"step": step}
            for k in scalars:
                row[k] = read[k] if k in read else plain[k]
            self.scalars.append(row)

    # ---- reading -------------------------------------------------------------------------------
    def history(self, key, name=None):
        """{name: (steps, values)} of one figure for every parameter (or just `name`'s pair)."""
        out = {}
        for r in self.records:
            steps, vals = out.setdefault(r["name"], ([], []))
            steps.append(r["step"])
            vals.append(r[key])
        if name is None:
            return out
        for r in self.records:
            if name in r["names"]:
                return out[r["name"]]
        raise KeyError(f"no parameter named {name!r} in the records")

    def last(self):
        """The records of the latest sampled step."""
        if not self.records:
            return []
        s = self.records[-1]["step"]
        return [r for r in self.records if r["step"] == s]

    def table(self, records=None):
        """A text table of records (default: the latest sampled step)."""
        from .summary import format_table

        rows = self.last() if records is None else records
        head = ["step", "parameter", "shape", "norm", "mean", "std", "grad norm", "grad/weight", "update/weight"]
        body = [[str(r["step"]), " = ".join(r["names"]), "x".join(map(str, r["shape"])) or "scalar"]
                + [_fmt(r[k]) for k in ("norm", "mean", "std", "grad_norm", "grad_to_weight", "update_to_weight")]
                for r in rows]
        return format_table(head, body, right=set(range(3, 9)) | {0})

    # ---- export and lifetime -------------------------------------------------------------------
    def to_csv(self, path):
        from .export import write_csv

        return write_csv(self, path)

    def to_json(self, path):
        from .export import write_json

        return write_json(self, path)

    def plot(self, out_dir):
        """PNG plots of per-parameter weight and gradient norms (needs matplotlib)."""
        from .plots import save_plots

        return save_plots(self, out_dir)

    def close(self):
        """Stop following the optimizer."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"Monitor({len(self._params)} parameters, every={self.every}, steps={self.steps}, records={len(self.records)})"


def _sums(x, g, prev):
    """Device scalars for one parameter: sum, sum and sum of squares of the deviations from the
    mean rounded to x's dtype, min, max, |g|^2 and |x - prev|^2 (NaN where absent).

    Deviations keep std exact when the mean is large; their own sum corrects for the rounded mean.
    """
    xp = C.get_xp(x)
    xf = x.reshape(-1)
    if xf.dtype.itemsize < 4:  # half precision: squares and sums overflow at 256, so take them in float32
        xf = xf.astype(np.float32)
        g = None if g is None else g.astype(np.float32)
        prev = None if prev is None else prev.astype(np.float32)
    if xf.size == 0:
        return (0.0, 0.0, 0.0, _NAN, _NAN, _NAN if g is None else 0.0, _NAN if prev is None else 0.0)
    s1 = xf.sum(dtype=np.float64)
    d = xp.subtract(xf, s1 / xf.size, dtype=xf.dtype)
    sd = d.sum(dtype=np.float64)
    ss = xp.dot(d, d)
    if g is None:
        gss = _NAN
    else:
        gf = g.reshape(-1)
        gss = xp.dot(gf, gf)
    if prev is None:
        uss = _NAN
    else:
        u = xp.subtract(xf, prev.reshape(-1), out=d)
        uss = xp.dot(u, u)
    return (s1, sd, ss, xf.min(), xf.max(), gss, uss)


def _host_scalars(scalars):
    """Python floats of the non-tensor scalars; a value that is not a number raises TypeError, naming it."""
    out = {}
    for k, v in scalars.items():
        if isinstance(v, Tensor):
            if v.numel() != 1:
                raise ValueError(f"Monitor scalar {k!r} must have one element, got a tensor of shape {list(v.shape)}")
            continue
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"Monitor scalar {k!r} must be a number or a one-element tensor, got {v!r}") from None
    return out


def _to_host(values):
    """Python floats from host numbers and device scalars: one copy per device, not one per value."""
    out = [0.0] * len(values)
    groups = {}
    for i, v in enumerate(values):
        if is_device_array(v):
            groups.setdefault(v.device.id, []).append(i)
        else:
            out[i] = float(v)
    for idx in groups.values():
        xp = C.get_xp(values[idx[0]])
        with values[idx[0]].device:
            got = xp.stack([values[i].astype(np.float64) for i in idx]).get().tolist()
        for i, g in zip(idx, got):
            out[i] = g
    return out


def _fmt(v):
    if v != v:
        return "-"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.4f}"
    return f"{v:.3e}"
