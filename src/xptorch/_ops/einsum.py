"""einsum: Einstein summation over labelled dims, contracted pairwise as batched matmuls.

The gradient of operand i is itself an einsum: the output gradient and the other operands
contracted back to operand i's subscripts, with an identity matrix for each repeated subscript
(a diagonal) and a ones vector for each subscript summed only within operand i.
"""
import string

import numpy as np

from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from . import _common as C
from ._common import edge, get_xp, wrap, wrap_grad
from ..backend import capture_blas as _cb

_LETTERS = string.ascii_letters


def _error(msg):
    raise RuntimeError("einsum(): " + msg)


def parse(equation, shapes):
    """(input subscripts, output subscripts) as explicit letter strings, ellipses expanded."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        _error("fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        _error("more operands were provided than specified in the equation")
    pos = 0
    for ch in eq:
        if ch not in _LETTERS and ch not in ".,->":
            _error(f"invalid subscript given at index {pos} in the equation string, subscripts must be in [a-zA-Z]")
        pos += 1
    used = set(c for c in eq if c in _LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    ell_counts = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        n_sub = len(term.replace("...", ""))
        if "..." in term:
            if n_sub > len(shape):
                _error(f"the number of subscripts in the equation ({n_sub}) is more than the number of "
                       f"dimensions ({len(shape)}) for operand {k}")
            ell_counts.append(len(shape) - n_sub)
        else:
            if n_sub != len(shape):
                _error(f"the number of subscripts in the equation ({n_sub}) does not match the number of "
                       f"dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
            ell_counts.append(0)
        n_ell = max(n_ell, ell_counts[-1])
    ell = "".join(spare[:n_ell])
    subs = [t.replace("...", ell[n_ell - c:]) for t, c in zip(terms, ell_counts)]
    if arrow:
        out = rhs.replace("...", ell)
        seen = set()
        for c in out:
            if c in seen:
                _error(f"output subscript {c} appears more than once in the output")
            seen.add(c)
            if not any(c in s for s in subs):
                _error(f"output subscript {c} does not appear in the equation for any input operand")
    else:
        counts = {}
        for s in terms:
            for c in s.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return subs, out


def _sizes(subs, shapes):
    """Each letter's size, broadcasting 1 against n as PyTorch does."""
    size = {}
    for k, (s, shape) in enumerate(zip(subs, shapes)):
        for c, n in zip(s, shape):
            prev = size.get(c)
            if prev is None or prev == 1:
                size[c] = n
            elif n != 1 and n != prev:
                _error(f"subscript {c} has size {n} for operand {k} which does not broadcast with previously "
                       f"seen size {prev}")
    return size


def _summable(a):
    """a ready to be summed as PyTorch's sum does: bool and integer dtypes add up in int64."""
    return a.astype(np.int64) if a.dtype.kind in "biu" else a


def _single(xp, a, s, keep):
    """Take diagonals of repeated letters and sum letters not in keep: one operand, unique letters out."""
    target = "".join(c for i, c in enumerate(s) if c in keep and c not in s[:i])
    if target == s:
        return a, s
    if any(c not in keep and a.shape[i] > 1 for i, c in enumerate(s)):  # a size-1 letter is only squeezed
        a = _summable(a)
    return xp.einsum(f"{s}->{target}", a), target


def _promote(da, db):
    from .._dtype import from_numpy_dtype, promote_types

    return promote_types(from_numpy_dtype(da), from_numpy_dtype(db)).np


def _dtype_name(dt):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(dt)._legacy[: -len("Tensor")]


def _pair(a, sa, b, sb, keep):
    """Contract two operands with unique letters into the letters of sa+sb that are in keep."""
    # A letter shared by both but of size 1 in one: sum it out of the other first (broadcast product).
    for c in [c for c in sa if c in sb]:
        na, nb = a.shape[sa.index(c)], b.shape[sb.index(c)]
        if na != nb and c not in keep:
            if na == 1:
                b = _summable(b).sum(axis=sb.index(c), keepdims=True)
            else:
                a = _summable(a).sum(axis=sa.index(c), keepdims=True)
    batch = [c for c in sa if c in sb and c in keep]
    contract = [c for c in sa if c in sb and c not in keep]
    # PyTorch contracts with bmm where a summed letter has size above 1 (a plain product otherwise):
    # one dtype, no bool.
    if any(a.shape[sa.index(c)] > 1 for c in contract):
        if a.dtype == np.bool_:  # the kernel is chosen by the left operand
            raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {_dtype_name(a.dtype)} but found {_dtype_name(b.dtype)}")
    elif a.dtype != b.dtype:  # a product: PyTorch's type promotion (NumPy's would widen int32 * float32)
        dt = _promote(a.dtype, b.dtype)
        a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
    left = [c for c in sa if c not in sb]
    right = [c for c in sb if c not in sa]
    A = a.transpose([sa.index(c) for c in batch + left + contract])
    B = b.transpose([sb.index(c) for c in batch + contract + right])
    nb = len(batch)
    lsz = A.shape[nb:nb + len(left)]
    csz = A.shape[nb + len(left):]
    rsz = B.shape[nb + len(contract):]
    L, Cn, R = int(np.prod(lsz)), int(np.prod(csz)), int(np.prod(rsz))
    A = A.reshape(A.shape[:nb] + (L, Cn))
    B = B.reshape(B.shape[:nb] + (Cn, R))
    out = _cb.product(A, B)
    out = out.reshape(out.shape[:nb] + tuple(lsz) + tuple(rsz))
    return out, "".join(batch + left + right)


def contract(xp, arrays, subs, out):
    """The einsum of arrays (one subscript string each, explicit) into the letters of out."""
    if len(arrays) == 1:
        a = arrays[0]
        if any(c not in out for c in subs[0]):
            a = _summable(a)
        return xp.einsum(f"{subs[0]}->{out}", a)
    ops = []
    for k, (a, s) in enumerate(zip(arrays, subs)):
        others = set(out).union(*(subs[j] for j in range(len(subs)) if j != k))
        ops.append(_single(xp, a, s, others))
    cur, cs = ops[0]
    for k in range(1, len(ops)):
        b, sb = ops[k]
        keep = set(out).union(*(ops[j][1] for j in range(k + 1, len(ops))))
        cur, cs = _pair(cur, cs, b, sb, keep)
    if cs != out:
        cur = cur.transpose([cs.index(c) for c in out])
    return cur


class EinsumBackward(Node):
    __slots__ = ("arrays", "subs", "out", "_name")
    saves = ("arrays",)

    def name(self):
        return self._name

    def _terms(self, i, g, operands, eye, ones):
        """Operand i's gradient as one contraction: its operands, their subscripts and the result's."""
        subs, shape = self.subs, self.arrays[i].shape
        used = set("".join(subs) + self.out)
        spare = [c for c in _LETTERS if c not in used]
        s = subs[i]
        ops = [g] + [operands[j] for j in range(len(operands)) if j != i]
        op_subs = [self.out] + [subs[j] for j in range(len(operands)) if j != i]
        have = set("".join(op_subs))
        target = []
        for k, c in enumerate(s):
            if c in s[:k]:  # a diagonal: a fresh letter tied to c by an identity matrix
                f = spare.pop()
                ops.append(eye(shape[k]))
                op_subs.append(c + f)
                target.append(f)
                continue
            if c not in have:  # summed within operand i only: every element got the same gradient
                ops.append(ones(shape[k]))
                op_subs.append(c)
                have.add(c)
            target.append(c)
        return ops, op_subs, "".join(target)

    def backward(self, g):
        xp = get_xp(g)
        arrays = self.arrays
        grads = []
        for i, nxt in enumerate(self.next):
            if nxt is None:
                grads.append(None)
                continue
            shape = arrays[i].shape
            ops, op_subs, target = self._terms(i, g, arrays, lambda n: xp.eye(n, dtype=g.dtype),
                                               lambda n: xp.ones(n, dtype=g.dtype))
            gi = contract(xp, ops, op_subs, target)
            if gi.shape != shape:  # broadcast size-1 dims of operand i
                axes = tuple(k for k, (m, n) in enumerate(zip(gi.shape, shape)) if m != n)
                gi = gi.sum(axis=axes, keepdims=True)
            grads.append(gi.astype(arrays[i].dtype, copy=False))
        return tuple(grads)

    def backward_graph(self, g):
        # Each gradient is itself an einsum of g and the other operands, differentiable as such.
        xp, dev, dt = get_xp(g._data), g._device, g._data.dtype
        operands = [C.saved_in(self, j, a, dev) for j, a in enumerate(self.arrays)]
        grads = []
        for i, nxt in enumerate(self.next):
            if nxt is None:
                grads.append(None)
                continue
            shape = self.arrays[i].shape
            ops, op_subs, target = self._terms(i, g, operands, lambda n: C.const(xp.eye(n, dtype=dt), dev),
                                               lambda n: C.const(xp.ones(n, dtype=dt), dev))
            gi = einsum(",".join(op_subs) + "->" + target, *ops)
            if tuple(gi._data.shape) != shape:
                axes = tuple(k for k, (m, n) in enumerate(zip(gi._data.shape, shape)) if m != n)
                gi = gi.sum(dim=axes, keepdim=True)
            grads.append(gi)
        return tuple(grads)


def _promoted_product(equation, operands):
    """Operands of a product that sums over no subscript (an outer or elementwise product: PyTorch
    multiplies instead of calling bmm) promoted to their common dtype, as PyTorch's mul does; others as given.
    Also whether it is such a product."""
    for t in operands:
        if not isinstance(t, C.Tensor):
            return operands, False
    try:
        subs, out = parse(equation, [t._data.shape for t in operands])
    except Exception:  # noqa: BLE001  (the call below raises PyTorch's error for it)
        return operands, False
    if any(c not in out for s in subs for c in s):
        return operands, False
    from .._dtype import promote_types

    dt = operands[0].dtype
    for t in operands[1:]:
        if t._device is not operands[0]._device:
            return operands, False
        dt = promote_types(dt, t.dtype)
    return tuple(t if t.dtype is dt else t.to(dt) for t in operands), True


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, or at least one operand and "
            "its subscripts list"
        )
    first = operands[0]
    if len(operands) > 1 and any(t._data.dtype != first._data.dtype or t._data.dtype == np.bool_ for t in operands):
        operands, _ = _promoted_product(equation, operands)
        first = operands[0]
    for t in operands[1:]:
        if t._device is not first._device:
            C.device_mismatch(first, t)
    arrays = [t._data for t in operands]
    subs, out = parse(equation, [a.shape for a in arrays])
    _sizes(subs, [a.shape for a in arrays])
    xp = get_xp(arrays[0])
    res = contract(xp, arrays, subs, out)
    if not res.flags.c_contiguous:
        res = xp.ascontiguousarray(res)
    if any(t._rg for t in operands) and _grad_state.enabled:
        node = EinsumBackward(tuple(edge(t) for t in operands))
        node.arrays, node.subs, node.out = arrays, subs, out
        # PyTorch records the last step of its own decomposition: a permute for one operand, else a view.
        node._name = "PermuteBackward0" if len(operands) == 1 else "ViewBackward0"
        return wrap_grad(res, first._device, node)
    return wrap(res, first._device)
