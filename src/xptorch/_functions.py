"""Top-level functions (xptorch.sum, xptorch.cat, ...) as thin forms of Tensor methods."""
from ._ops import linalg as _la
from ._ops import pointwise as _pw
from ._ops import reduce as _red
from ._ops import shape as _sh
from ._ops import _common as C


def _t(x, like):
    if isinstance(x, C.Tensor):
        return x
    from ._factories import tensor

    return tensor(x, device=like._device if like is not None else None)


def add(input, other, *, alpha=1):
    return _pw.add(_t(input, other if isinstance(other, C.Tensor) else None), other, alpha)


def sub(input, other, *, alpha=1):
    return _pw.sub(_t(input, None), other, alpha)


def mul(input, other):
    return _pw.mul(_t(input, None), other)


def div(input, other, *, rounding_mode=None):
    return _pw.div(_t(input, None), other, rounding_mode)


def pow(input, exponent):
    if not isinstance(input, C.Tensor):
        return _pw.rpow(exponent, input)
    return _pw.pow(input, exponent)


def neg(input):
    return _pw.neg(input)


def abs(input):
    return _pw.abs(input)


def exp(input):
    return _pw.exp(input)


def log(input):
    return _pw.log(input)


def sin(input):
    return _pw.sin(input)


def cos(input):
    return _pw.cos(input)


def sqrt(input):
    return _pw.sqrt(input)


def rsqrt(input):
    return _pw.rsqrt(input)


def reciprocal(input):
    return _pw.reciprocal(input)


def sigmoid(input):
    return _pw.sigmoid(input)


def tanh(input):
    return _pw.tanh(input)


def relu(input):
    return _pw.relu(input)


def clamp(input, min=None, max=None):
    return _pw.clamp(input, min, max)


clip = clamp


def maximum(input, other):
    return _pw.maximum(input, other)


def minimum(input, other):
    return _pw.minimum(input, other)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return tuple(C.wrap(i, condition._device) for i in C.get_xp(condition._data).nonzero(condition._data))
    return _pw.where(condition, input, other)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    return _red.sum(input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return _red.mean(input, dim, keepdim, dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    return _red.prod(input, dim, keepdim, dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _red.var(input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _red.std(input, dim, unbiased, keepdim, correction)


def max(input, dim=None, keepdim=False):
    return _red.extremum(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):
    return _red.extremum(input, dim, keepdim, False)


def amax(input, dim=(), keepdim=False):
    return _red.amax(input, dim, keepdim, True)


def amin(input, dim=(), keepdim=False):
    return _red.amax(input, dim, keepdim, False)


def argmax(input, dim=None, keepdim=False):
    return _red.argext(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False):
    return _red.argext(input, dim, keepdim, False)


def softmax(input, dim):
    return _red.softmax(input, dim)


def log_softmax(input, dim):
    return _red.softmax(input, dim, log=True)


def logsumexp(input, dim, keepdim=False):
    return _red.logsumexp(input, dim, keepdim)


def matmul(input, other):
    return _la.matmul(input, other)


def mm(input, mat2):
    return _la.mm(input, mat2)


def bmm(input, mat2):
    return _la.bmm(input, mat2)


def cat(tensors, dim=0):
    return _sh.cat(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    return _sh.stack(tensors, dim)


def flatten(input, start_dim=0, end_dim=-1):
    return _sh.flatten(input, start_dim, end_dim)


def reshape(input, shape):
    return _sh.reshape(input, shape)


def transpose(input, dim0, dim1):
    return _sh.transpose(input, dim0, dim1)


def permute(input, dims):
    return _sh.permute(input, dims)


def unsqueeze(input, dim):
    return _sh.unsqueeze(input, dim)


def squeeze(input, dim=None):
    return _sh.squeeze(input, dim)


def t(input):
    return _sh.t(input)


def clone(input):
    return _sh.clone(input)


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, C.Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def equal(input, other):
    return input.equal(other)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.allclose(other, rtol, atol, equal_nan)


def isnan(input):
    return input.isnan()


def eq(a, b):
    return a == b


def ne(a, b):
    return a != b


def lt(a, b):
    return a < b


def le(a, b):
    return a <= b


def gt(a, b):
    return a > b


def ge(a, b):
    return a >= b


def norm(input, p="fro", dim=None, keepdim=False):
    return input.norm(p, dim, keepdim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def split(input, split_size, dim=0):
    return input.split(split_size, dim)


def unbind(input, dim=0):
    return input.unbind(dim)


def linear(input, weight, bias=None):
    return _la.linear(input, weight, bias)
