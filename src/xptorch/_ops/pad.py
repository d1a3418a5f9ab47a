"""F.pad: constant padding (negative widths crop) and the reflect/replicate/circular modes."""
from ..autograd.grad_mode import state as _grad_state
from ..autograd.node import Node
from ._common import edge, wrap, wrap_grad
from .conv import pad_mode, pad_zeros
from ._common import tensor_args

__all__ = ["pad"]


class ConstantPadNdBackward0(Node):
    """The gradient of a constant pad is the incoming gradient cut back to the input's window."""

    __slots__ = ("window", "shape", "crop")

    def backward(self, g):
        out = g[self.window]
        if self.crop is None:
            return (out,)
        # Cropped (negative-width) borders received no value, so they get no gradient.
        full = _zeros_like_shape(g, self.shape)
        full[self.crop] = out
        return (full,)

    def backward_graph(self, g):
        from .shape import _gather_t, _scatter_t

        out = _gather_t(g, self.window, False)
        return (out if self.crop is None else _scatter_t(out, self.shape, self.crop, False),)


def _zeros_like_shape(g, shape):
    from ..backend import get_array_module

    return get_array_module(g).zeros(shape, dtype=g.dtype)


def _pairs(pad, ndim):
    """(left, right) per dimension, first padded dimension first; `pad` lists the last dim first."""
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but got "
            f"padding length {len(pad)} and input of dimension {ndim}"
        )
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    return tuple(reversed(pairs))


# Input ranks each padding length takes in the non-constant modes.
_MODE_DIMS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


@tensor_args
def pad(input, pad, mode="constant", value=None):
    pairs = _pairs(pad, input.dim())
    if mode != "constant":
        if value:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
        if mode not in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"Unrecognised padding mode {mode}")
        if input.dim() not in _MODE_DIMS.get(len(pad), ()):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
            )
        if mode != "circular" and input._data.dtype.kind == "b":
            kind = "reflection" if mode == "reflect" else "replication"
            raise NotImplementedError(f"\"{kind}_pad{len(pairs)}d\" not implemented for 'Bool'")
        return pad_mode(input, pairs, mode)
    xd = input._data
    lead = xd.ndim - len(pairs)
    # Negative widths crop first; what is left is padded with value.
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(xd.shape[lead:], pairs))
    for n, (lo, hi) in zip(xd.shape[lead:], pairs):
        if n + lo + hi < 0:
            raise RuntimeError(
                f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative output size, "
                "which is invalid. Check dimension of your input."
            )
    cropped = any(lo < 0 or hi < 0 for lo, hi in pairs)
    src = xd[(Ellipsis,) + crop] if cropped else xd
    grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pairs)
    out = pad_zeros(src, grow, 0 if value is None else value)
    if out is xd:
        out = xd.copy()
    if input._rg and _grad_state.enabled:
        node = ConstantPadNdBackward0((edge(input),))
        node.window = (Ellipsis,) + tuple(slice(lo, lo + n) for (lo, _), n in zip(grow, src.shape[lead:]))
        node.shape = xd.shape
        node.crop = ((Ellipsis,) + crop) if cropped else None
        return wrap_grad(out, input._device, node)
    return wrap(out, input._device)
