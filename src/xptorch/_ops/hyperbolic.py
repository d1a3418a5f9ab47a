"""Hyperbolic sine and cosine, each the other's derivative."""
from . import _common as C
from ._common import get_xp, quiet
from .pointwise import LogBackward0, _float_input, _unary_saving_in


class SinhBackward0(LogBackward0):
    __slots__ = ()

    def backward(self, g):
        return (g * get_xp(self.a).cosh(self.a),)

    def backward_graph(self, g):
        return (g * C.saved_in(self, 0, self.a, g._device).cosh(),)


class CoshBackward0(LogBackward0):
    __slots__ = ()

    def backward(self, g):
        return (g * get_xp(self.a).sinh(self.a),)

    def backward_graph(self, g):
        return (g * C.saved_in(self, 0, self.a, g._device).sinh(),)


def sinh(a):
    ad = _float_input(a)
    return _unary_saving_in(a, ad, quiet(get_xp(ad).sinh, ad), SinhBackward0)


def cosh(a):
    ad = _float_input(a)
    return _unary_saving_in(a, ad, quiet(get_xp(ad).cosh, ad), CoshBackward0)
