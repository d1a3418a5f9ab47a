"""Top-level functions (xptorch.sum, xptorch.cat, ...) as thin forms of Tensor methods."""
from ._ops import linalg as _la
from ._ops import pointwise as _pw
from ._ops import reduce as _red
from ._ops import shape as _sh
from ._ops import _common as C
from ._ops._common import tensor_args as _tensor_args


def _t(x, like, name):
    if isinstance(x, C.Tensor):
        return x
    if not isinstance(x, (bool, int, float, complex)):  # a Python number stands in for a tensor; nothing else
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    from ._factories import tensor

    return tensor(x, device=like._device if like is not None else None)


@_tensor_args
def add(input, other, *, alpha=1):
    """input + alpha * other, elementwise with broadcasting and type promotion."""
    return _pw.add(_t(input, other if isinstance(other, C.Tensor) else None, "add"), other, alpha)


@_tensor_args
def sub(input, other, *, alpha=1):
    """input - alpha * other, elementwise with broadcasting and type promotion."""
    return _pw.sub(_t(input, None, "sub"), other, alpha)


@_tensor_args
def mul(input, other):
    """input * other, elementwise with broadcasting and type promotion."""
    return _pw.mul(_t(input, None, "mul"), other)


@_tensor_args
def div(input, other, *, rounding_mode=None):
    """input / other elementwise; rounding_mode None (true division), 'trunc' or 'floor'."""
    return _pw.div(_t(input, None, "div"), other, rounding_mode)


@_tensor_args
def pow(input, exponent):
    """input ** exponent elementwise; either may be a Python number."""
    if not isinstance(input, C.Tensor):
        if not isinstance(exponent, C.Tensor):
            raise TypeError(f"pow() received an invalid combination of arguments - got ({type(input).__name__}, "
                            f"{type(exponent).__name__}), but expected one of:\n"
                            " * (Tensor input, Tensor exponent, *, Tensor out = None)\n"
                            " * (Number self, Tensor exponent, *, Tensor out = None)\n"
                            " * (Tensor input, Number exponent, *, Tensor out = None)\n")
        return _pw.rpow(exponent, input)
    return _pw.pow(input, exponent)


@_tensor_args
def neg(input):
    """-input, elementwise."""
    return _pw.neg(input)


@_tensor_args
def abs(input):
    """|input|, elementwise."""
    return _pw.abs(input)


@_tensor_args
def exp(input):
    """e ** input, elementwise."""
    return _pw.exp(input)


@_tensor_args
def log(input):
    """Natural logarithm, elementwise."""
    return _pw.log(input)


@_tensor_args
def sin(input):
    """Sine, elementwise (radians)."""
    return _pw.sin(input)


@_tensor_args
def cos(input):
    """Cosine, elementwise (radians)."""
    return _pw.cos(input)


@_tensor_args
def sinh(input):
    """Hyperbolic sine, elementwise."""
    from ._ops.hyperbolic import sinh as _sinh

    return _sinh(input)


@_tensor_args
def cosh(input):
    """Hyperbolic cosine, elementwise."""
    from ._ops.hyperbolic import cosh as _cosh

    return _cosh(input)


@_tensor_args
def erf(input):
    """The error function 2/sqrt(pi) * integral of exp(-t**2) from 0 to input, elementwise."""
    from ._ops.special import erf as _erf

    return _erf(input)


@_tensor_args
def erfinv(input):
    """The inverse of erf on (-1, 1), elementwise: +-inf at +-1, nan outside."""
    from ._ops.special import erfinv as _erfinv

    return _erfinv(input)


@_tensor_args
def sqrt(input):
    """Square root, elementwise."""
    return _pw.sqrt(input)


@_tensor_args
def rsqrt(input):
    """1 / sqrt(input), elementwise."""
    return _pw.rsqrt(input)


@_tensor_args
def reciprocal(input):
    """1 / input, elementwise."""
    return _pw.reciprocal(input)


@_tensor_args
def sigmoid(input):
    """1 / (1 + exp(-input)), elementwise."""
    return _pw.sigmoid(input)


@_tensor_args
def tanh(input):
    """Hyperbolic tangent, elementwise."""
    return _pw.tanh(input)


@_tensor_args
def relu(input):
    """max(input, 0), elementwise."""
    return _pw.relu(input)


@_tensor_args
def clamp(input, min=None, max=None):
    """input limited to [min, max] elementwise; either bound may be None or a tensor."""
    return _pw.clamp(input, min, max)


clip = clamp


@_tensor_args
def clamp_min(input, min):
    """max(input, min) elementwise; min is a number or a tensor."""
    return input.clamp_min(min)


@_tensor_args
def clamp_max(input, max):
    """min(input, max) elementwise; max is a number or a tensor."""
    return input.clamp_max(max)


@_tensor_args
def clamp_(input, min=None, max=None):
    """In-place clamp: input limited to [min, max]; returns input."""
    return input.clamp_(min, max)


clip_ = clamp_


@_tensor_args
def maximum(input, other):
    """The larger of input and other, elementwise (NaN propagates)."""
    return _pw.maximum(input, other)


@_tensor_args
def minimum(input, other):
    """The smaller of input and other, elementwise (NaN propagates)."""
    return _pw.minimum(input, other)


@_tensor_args
def where(condition, input=None, other=None):
    """where(condition, input, other): input where condition is True, else other. where(condition) alone: the
    indices of True elements, one tensor per dim.
    """
    if (input is None) != (other is None):
        raise TypeError(f"where() received an invalid combination of arguments - got (Tensor, "
                        f"{type(input).__name__}, {type(other).__name__}), but expected one of:\n"
                        " * (Tensor condition)\n * (Tensor condition, Tensor input, Tensor other, *, Tensor out)\n"
                        " * (Tensor condition, Number self, Tensor other)\n"
                        " * (Tensor condition, Tensor input, Number other)\n"
                        " * (Tensor condition, Number self, Number other)\n")
    if input is None and other is None:
        xp = C.get_xp(condition._data)
        return tuple(C.wrap(i, condition._device) for i in xp.nonzero(xp.atleast_1d(condition._data)))
    return _pw.where(condition, input, other)


@_tensor_args
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum of all elements, or over dim (an int or a tuple); keepdim keeps reduced dims as size 1. NumPy's axis=
    and keepdims= are accepted.
    """
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('sum', dim, keepdim, axis, keepdims)
    return _red.sum(input, dim, keepdim, dtype)


@_tensor_args
def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean of all elements, or over dim; floating-point (or complex) input only."""
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('mean', dim, keepdim, axis, keepdims)
    return _red.mean(input, dim, keepdim, dtype)


@_tensor_args
def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements, or over dim."""
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('prod', dim, keepdim, axis, keepdims)
    return _red.prod(input, dim, keepdim, dtype)


@_tensor_args
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over dim (all elements when None), with Bessel's correction unless correction=0 or
    unbiased=False.
    """
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('var', dim, keepdim, axis, keepdims)
    return _red.var(input, dim, unbiased, keepdim, correction)


@_tensor_args
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation over dim (all elements when None), with Bessel's correction by default."""
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('std', dim, keepdim, axis, keepdims)
    return _red.std(input, dim, unbiased, keepdim, correction)


@_tensor_args
def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """max(input): the largest element. max(input, dim, keepdim=False): (values, indices) along dim. max(input,
    other): elementwise maximum.
    """
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('max', dim, keepdim, axis, keepdims)
    return _red.extremum(input, dim, keepdim, True)


@_tensor_args
def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """min(input): the smallest element. min(input, dim, keepdim=False): (values, indices) along dim. min(input,
    other): elementwise minimum.
    """
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('min', dim, keepdim, axis, keepdims)
    return _red.extremum(input, dim, keepdim, False)


@_tensor_args
def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Largest values over dim (all dims by default); ties share the gradient evenly."""
    return input.amax(dim, keepdim, axis=axis, keepdims=keepdims)


@_tensor_args
def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Smallest values over dim (all dims by default); ties share the gradient evenly."""
    return input.amin(dim, keepdim, axis=axis, keepdims=keepdims)


@_tensor_args
def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the largest value, of the flattened input or along dim."""
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('argmax', dim, keepdim, axis, keepdims)
    return _red.argext(input, dim, keepdim, True)


@_tensor_args
def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the smallest value, of the flattened input or along dim."""
    if axis is not None or keepdims is not None:
        dim, keepdim = C.np_alias('argmin', dim, keepdim, axis, keepdims)
    return _red.argext(input, dim, keepdim, False)


@_tensor_args
def softmax(input, dim=None, dtype=None, *, axis=None):
    """exp(x) / sum(exp(x)) along dim."""
    return input.softmax(dim, dtype, axis=axis)


@_tensor_args
def log_softmax(input, dim=None, dtype=None, *, axis=None):
    """log(softmax(x)) along dim, computed stably."""
    return input.log_softmax(dim, dtype, axis=axis)


@_tensor_args
def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """log(sum(exp(x))) over dim, computed stably."""
    return input.logsumexp(dim, keepdim, axis=axis, keepdims=keepdims)


@_tensor_args
def matmul(input, other):
    """Matrix product with broadcasting over batch dims; 1-D operands are vectors."""
    return _la.matmul(input, other)


@_tensor_args
def mm(input, mat2):
    """Matrix product of two 2-D tensors (n x m) @ (m x p)."""
    return _la.mm(input, mat2)


@_tensor_args
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors (b x n x m) @ (b x m x p)."""
    return _la.bmm(input, mat2)


def cat(tensors, dim=0):
    """Join tensors along an existing dim; all shapes must agree elsewhere."""
    return _sh.cat(tensors, dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join tensors along a new dim; all shapes must be equal."""
    return _sh.stack(tensors, dim)


@_tensor_args
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a view when possible)."""
    return _sh.flatten(input, start_dim, end_dim)


@_tensor_args
def reshape(input, shape):
    """The same elements in a new shape (a view when possible); one dim may be -1."""
    return _sh.reshape(input, shape)


@_tensor_args
def transpose(input, dim0, dim1):
    """Swap dims dim0 and dim1 (a view)."""
    return _sh.transpose(input, dim0, dim1)


@_tensor_args
def permute(input, dims):
    """Reorder the dims (a view)."""
    return _sh.permute(input, dims)


@_tensor_args
def unsqueeze(input, dim):
    """Insert a dim of size 1 at position dim (a view)."""
    return _sh.unsqueeze(input, dim)


@_tensor_args
def squeeze(input, dim=None):
    """Remove dims of size 1: all of them, or only those in dim (a view)."""
    return _sh.squeeze(input, dim)


@_tensor_args
def t(input):
    """Transpose of a tensor with at most 2 dims (a view)."""
    return _sh.t(input)


@_tensor_args
def clone(input):
    """A copy with its own memory; gradients flow back to input."""
    return _sh.clone(input)


@_tensor_args
def numel(input):
    """Number of elements."""
    return input.numel()


def is_tensor(obj):
    """True if obj is an xptorch Tensor."""
    return isinstance(obj, C.Tensor)


@_tensor_args
def is_floating_point(input):
    """True if input's dtype is a floating-point type."""
    return input.is_floating_point()


@_tensor_args
def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input.equal(other)


@_tensor_args
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if isclose(input, other, rtol, atol, equal_nan) holds everywhere."""
    return input.allclose(other, rtol, atol, equal_nan)


@_tensor_args
def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where every element (over dim, or all of them) is nonzero."""
    return input.all(dim, keepdim, axis=axis, keepdims=keepdims)


@_tensor_args
def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """True where some element (over dim, or all of them) is nonzero."""
    return input.any(dim, keepdim, axis=axis, keepdims=keepdims)


@_tensor_args
def count_nonzero(input, dim=None, *, axis=None):
    """Number of nonzero elements, over dim or in total."""
    return input.count_nonzero(dim, axis=axis)


@_tensor_args
def isnan(input):
    """True where input is NaN."""
    return input.isnan()


def eq(input, other):
    """input == other, elementwise (a bool tensor)."""
    C.need_tensor(input, "eq", "input", 1)
    return input == other


def ne(input, other):
    """input != other, elementwise (a bool tensor)."""
    C.need_tensor(input, "ne", "input", 1)
    return input != other


def lt(input, other):
    """input < other, elementwise (a bool tensor)."""
    C.need_tensor(input, "lt", "input", 1)
    return input < other


def le(input, other):
    """input <= other, elementwise (a bool tensor)."""
    C.need_tensor(input, "le", "input", 1)
    return input <= other


def gt(input, other):
    """input > other, elementwise (a bool tensor)."""
    C.need_tensor(input, "gt", "input", 1)
    return input > other


def ge(input, other):
    """input >= other, elementwise (a bool tensor)."""
    C.need_tensor(input, "ge", "input", 1)
    return input >= other


@_tensor_args
def norm(input, p="fro", dim=None, keepdim=False):
    """Vector p-norm of all elements, or over dim: 'fro' and 2 (Euclidean), 1, inf, or any real p."""
    return input.norm(p, dim, keepdim)


@_tensor_args
def chunk(input, chunks, dim=0):
    """Split into `chunks` pieces of equal size along dim (the last may be smaller); views."""
    return input.chunk(chunks, dim)


@_tensor_args
def split(input, split_size, dim=0):
    """Split along dim into pieces of split_size (an int) or of the listed sizes; views."""
    return input.split(split_size, dim)


@_tensor_args
def unbind(input, dim=0):
    """The slices along dim, as a tuple of views."""
    return input.unbind(dim)


@_tensor_args
def linear(input, weight, bias=None):
    """input @ weight.T + bias, the affine map of nn.Linear."""
    return _la.linear(input, weight, bias)


# ---- the tensor API beyond the basics: products, ordering, indexing, moving elements --------------

@_tensor_args
def dot(input, tensor):
    """Inner product of two 1-D tensors of the same size and dtype."""
    return input.dot(tensor)


@_tensor_args
def vdot(input, other):
    """Inner product of two 1-D tensors (real tensors: the same as dot)."""
    return input.dot(other)


@_tensor_args
def mv(input, vec):
    """Matrix (n x m) times vector (m): a vector of n."""
    return _la.mv(input, vec)


@_tensor_args
def outer(input, vec2):
    """Outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    return _la.outer(input, vec2)


ger = outer


def einsum(equation, *operands):
    """Einstein summation: einsum('ij,jk->ik', a, b). Repeated subscripts are summed (or give diagonals), '...'
    stands for broadcast dims, and without '->' the output takes the subscripts used once, in alphabetical
    order.
    """
    from ._ops.einsum import einsum as _einsum

    C.need_tensors(operands[0] if len(operands) == 1 and isinstance(operands[0], (list, tuple)) else operands, 1)
    return _einsum(equation, *operands)


@_tensor_args
def sort(input, dim=-1, descending=False, stable=None, *, axis=None):
    """(values, indices) sorted along dim (ascending unless descending=True); ties keep their order with
    stable=True.
    """
    return input.sort(dim, descending, stable, axis=axis)


@_tensor_args
def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """Indices that sort input along dim."""
    return input.argsort(dim, descending, stable, axis=axis)


@_tensor_args
def topk(input, k, dim=-1, largest=True, sorted=True, *, axis=None):
    """(values, indices) of the k largest (or smallest, largest=False) elements along dim, sorted."""
    return input.topk(k, dim, largest, sorted, axis=axis)


@_tensor_args
def kthvalue(input, k, dim=-1, keepdim=False, *, axis=None, keepdims=None):
    """(values, indices) of the k-th smallest element along dim (k counts from 1)."""
    return input.kthvalue(k, dim, keepdim, axis=axis, keepdims=keepdims)


@_tensor_args
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None, axis=None):
    """Each element repeated `repeats` times along dim (flattened input when dim is None); repeats may be a
    tensor of per-element counts. repeat_interleave(repeats) alone gives the indices 0..n-1 repeated.
    """
    return input.repeat_interleave(repeats, dim, output_size=output_size, axis=axis)


@_tensor_args
def gather(input, dim, index, *, sparse_grad=False, axis=None):
    """out[i][j] = input[index[i][j]][j] for dim=0 (likewise for other dims); index has input's number of dims."""
    return input.gather(dim, index, axis=axis)


@_tensor_args
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """A copy of input with src's elements (or value) written at the positions index names along dim:
    out[index[i][j]][j] = src[i][j] for dim=0.
    """
    return input.scatter(dim, index, src, value, reduce=reduce)


@_tensor_args
def scatter_add(input, dim, index, src):
    """A copy of input with src's elements added at the positions index names along dim; repeated positions
    accumulate.
    """
    return input.scatter_add(dim, index, src)


@_tensor_args
def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with alpha * source's slices along dim added at the positions in the 1-D index
    (repeated positions add up)."""
    return input.index_add(dim, index, source, alpha=alpha)


@_tensor_args
def narrow(input, dim, start, length):
    """The length elements along dim from start on (a view)."""
    return input.narrow(dim, start, length)


def select(input, dim, index):  # not @_tensor_args: index is an int here
    """The slice at index along dim, that dim removed (a view)."""
    from ._ops._common import need_tensor

    need_tensor(input, "select", "input", 1)
    return input.select(dim, index)


@_tensor_args
def movedim(input, source, destination):
    """Dims moved from the positions in source to those in destination, the others keeping their order (a view)."""
    return input.movedim(source, destination)


moveaxis = movedim


@_tensor_args
def index_select(input, dim, index, *, axis=None):
    """The slices along dim at the positions in a 1-D index tensor."""
    return input.index_select(dim, index, axis=axis)


@_tensor_args
def masked_select(input, mask):
    """The elements where the boolean mask (broadcast with input) is True, as a 1-D tensor."""
    return input.masked_select(mask)


@_tensor_args
def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements with column - row <= diagonal); the rest zero."""
    return input.tril(diagonal)


@_tensor_args
def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements with column - row >= diagonal); the rest zero."""
    return input.triu(diagonal)


@_tensor_args
def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Running sums along dim."""
    return input.cumsum(dim, dtype=dtype, axis=axis)


@_tensor_args
def cumprod(input, dim=None, *, dtype=None, axis=None):
    """Running products along dim."""
    return input.cumprod(dim, dtype=dtype, axis=axis)


@_tensor_args
def diag(input, diagonal=0):
    """A 1-D input becomes a square matrix with it on diagonal `diagonal`; a 2-D input gives that diagonal as a
    1-D tensor.
    """
    return input.diag(diagonal)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: with indexing='ij' output k varies along dim k; 'xy' swaps the first
    two dims (matrix vs. Cartesian indexing).
    """
    from ._ops.movement import meshgrid as _meshgrid

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    C.need_tensors(tensors, 0)
    return _meshgrid(tensors, indexing)


@_tensor_args
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other| elementwise (equal values, infinities included, are always close;
    NaN only with equal_nan).
    """
    return input.isclose(other, rtol, atol, equal_nan)


@_tensor_args
def broadcast_to(input, size):
    """A view of input broadcast to `size` (-1 keeps a dim)."""
    return input.broadcast_to(size)


def broadcast_tensors(*tensors):
    """Views of the tensors broadcast to their common shape."""
    import numpy as _np

    C.need_tensors(tensors, 0)
    try:
        shape = _np.broadcast_shapes(*(t._data.shape for t in tensors))
    except ValueError:
        shape = ()
        for t in tensors:  # the first pair that does not broadcast, in PyTorch's words
            try:
                shape = _np.broadcast_shapes(shape, t._data.shape)
            except ValueError:
                C.broadcast_error(shape, t._data.shape)
                raise
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


@_tensor_args
def flip(input, dims):
    """A copy with the order of elements reversed along each dim in dims."""
    return input.flip(dims)


@_tensor_args
def fliplr(input):
    """A copy with the columns (dim 1) in reverse order."""
    return input.fliplr()


@_tensor_args
def flipud(input):
    """A copy with the rows (dim 0) in reverse order."""
    return input.flipud()


@_tensor_args
def roll(input, shifts, dims=None):
    """Elements shifted along dims with wrap-around; with dims=None the flattened tensor is rolled."""
    return input.roll(shifts, dims)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False):
    """Samples from normal distributions: normal(mean_tensor, std_tensor), normal(mean_tensor, std=1.0),
    normal(mean, std_tensor), or normal(mean, std, size) for a new tensor of that size.
    """
    from ._ops.sampling import normal as _normal

    for v in (mean, std):
        if not isinstance(v, (C.Tensor, bool, int, float)):
            raise TypeError(f"normal() received an invalid combination of arguments - got ({type(mean).__name__}, "
                            f"{type(std).__name__}), but expected a Tensor or a number for mean and std")
    return _normal(mean, std, size, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad)


@_tensor_args
def bernoulli(input, p=None, *, generator=None):
    """1 with probability input (or p, when given), else 0, in input's shape and dtype."""
    from ._ops.sampling import bernoulli as _bernoulli

    return _bernoulli(input, p, generator=generator)


@_tensor_args
def multinomial(input, num_samples, replacement=False, *, generator=None):
    """num_samples category indices per row of non-negative weights (1-D or 2-D), with or without replacement."""
    from ._ops.sampling import multinomial as _multinomial

    return _multinomial(input, num_samples, replacement, generator=generator)
