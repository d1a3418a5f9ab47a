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


def clamp_min(input, min):
    return input.clamp_min(min)


def clamp_max(input, max):
    return input.clamp_max(max)


def clamp_(input, min=None, max=None):
    return input.clamp_(min, max)


clip_ = clamp_


def maximum(input, other):
    return _pw.maximum(input, other)


def minimum(input, other):
    return _pw.minimum(input, other)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return tuple(C.wrap(i, condition._device) for i in C.get_xp(condition._data).nonzero(condition._data))
    return _pw.where(condition, input, other)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('sum', dim, keepdim, axis, keepdims)
    return _red.sum(input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('mean', dim, keepdim, axis, keepdims)
    return _red.mean(input, dim, keepdim, dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('prod', dim, keepdim, axis, keepdims)
    return _red.prod(input, dim, keepdim, dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('var', dim, keepdim, axis, keepdims)
    return _red.var(input, dim, unbiased, keepdim, correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('std', dim, keepdim, axis, keepdims)
    return _red.std(input, dim, unbiased, keepdim, correction)


def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('max', dim, keepdim, axis, keepdims)
    return _red.extremum(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('min', dim, keepdim, axis, keepdims)
    return _red.extremum(input, dim, keepdim, False)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    return input.amax(dim, keepdim, axis=axis, keepdims=keepdims)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    return input.amin(dim, keepdim, axis=axis, keepdims=keepdims)


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('argmax', dim, keepdim, axis, keepdims)
    return _red.argext(input, dim, keepdim, True)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('argmin', dim, keepdim, axis, keepdims)
    return _red.argext(input, dim, keepdim, False)


def softmax(input, dim=None, dtype=None, *, axis=None):
    return input.softmax(dim, dtype, axis=axis)


def log_softmax(input, dim=None, dtype=None, *, axis=None):
    return input.log_softmax(dim, dtype, axis=axis)


def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return input.logsumexp(dim, keepdim, axis=axis, keepdims=keepdims)


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


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return input.all(dim, keepdim, axis=axis, keepdims=keepdims)


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    return input.any(dim, keepdim, axis=axis, keepdims=keepdims)


def count_nonzero(input, dim=None, *, axis=None):
    return input.count_nonzero(dim, axis=axis)


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


# ---- the tensor API beyond the basics: products, ordering, indexing, moving elements --------------

def dot(input, tensor):
    return input.dot(tensor)


def vdot(input, other):
    return input.dot(other)


def mv(input, vec):
    return _la.mv(input, vec)


def outer(input, vec2):
    return _la.outer(input, vec2)


ger = outer


def einsum(equation, *operands):
    from ._ops.einsum import einsum as _einsum

    return _einsum(equation, *operands)


def sort(input, dim=-1, descending=False, stable=None, *, axis=None):
    return input.sort(dim, descending, stable, axis=axis)


def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    return input.argsort(dim, descending, stable, axis=axis)


def topk(input, k, dim=-1, largest=True, sorted=True, *, axis=None):
    return input.topk(k, dim, largest, sorted, axis=axis)


def kthvalue(input, k, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    return input.kthvalue(k, dim, keepdim, axis=axis, keepdims=keepdims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None, axis=None):
    return input.repeat_interleave(repeats, dim, output_size=output_size, axis=axis)


def gather(input, dim, index, *, sparse_grad=False, axis=None):
    return input.gather(dim, index, axis=axis)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    return input.scatter(dim, index, src, value, reduce=reduce)


def scatter_add(input, dim, index, src):
    return input.scatter_add(dim, index, src)


def index_select(input, dim, index, *, axis=None):
    return input.index_select(dim, index, axis=axis)


def masked_select(input, mask):
    return input.masked_select(mask)


def tril(input, diagonal=0):
    return input.tril(diagonal)


def triu(input, diagonal=0):
    return input.triu(diagonal)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    out = input.cumsum(dim, axis=axis)
    return out if dtype is None else out.to(dtype)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    return input.cumprod(dim, dtype=dtype, axis=axis)


def diag(input, diagonal=0):
    return input.diag(diagonal)


def meshgrid(*tensors, indexing=None):
    from ._ops.movement import meshgrid as _meshgrid

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    return _meshgrid(tensors, indexing)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.isclose(other, rtol, atol, equal_nan)


def broadcast_to(input, size):
    return input.broadcast_to(size)


def broadcast_tensors(*tensors):
    import numpy as _np

    shape = _np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(t.expand(shape) for t in tensors)


def flip(input, dims):
    return input.flip(dims)


def fliplr(input):
    return input.fliplr()


def flipud(input):
    return input.flipud()


def roll(input, shifts, dims=None):
    return input.roll(shifts, dims)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False):
    from ._ops.sampling import normal as _normal

    return _normal(mean, std, size, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


def bernoulli(input, p=None, *, generator=None):
    from ._ops.sampling import bernoulli as _bernoulli

    return _bernoulli(input, p, generator=generator)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    from ._ops.sampling import multinomial as _multinomial

    return _multinomial(input, num_samples, replacement, generator=generator)
