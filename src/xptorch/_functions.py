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
def is_complex(input):
    """True if input's dtype is a complex type (never: xptorch has no complex dtypes)."""
    return input.is_complex()


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


def narrow_copy(input, dim, start, length):
    """narrow, copied into new contiguous memory."""
    from ._ops import strided

    return strided.narrow_copy(input, dim, start, length)


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's memory with the given sizes and strides (in elements), starting storage_offset elements
    into it (default: where input starts)."""
    from ._ops import strided

    return strided.as_strided(input, size, stride, storage_offset, first=2)


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


# ---- more elementwise math (_ops/elementwise_math.py) ----------------------------------------
from ._ops import elementwise_math as _em  # noqa: E402


def _unary_fn(name, fn, doc):
    def f(input):
        return fn(input)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return _tensor_args(f)


asin = _unary_fn("asin", _em.asin, "Arcsine, elementwise.")
acos = _unary_fn("acos", _em.acos, "Arccosine, elementwise.")
atan = _unary_fn("atan", _em.atan, "Arctangent, elementwise.")
arcsin = _unary_fn("arcsin", _em.asin, "Alias of asin.")
arccos = _unary_fn("arccos", _em.acos, "Alias of acos.")
arctan = _unary_fn("arctan", _em.atan, "Alias of atan.")
tan = _unary_fn("tan", _em.tan, "Tangent, elementwise (radians).")
asinh = _unary_fn("asinh", _em.asinh, "Inverse hyperbolic sine, elementwise.")
acosh = _unary_fn("acosh", _em.acosh, "Inverse hyperbolic cosine, elementwise.")
atanh = _unary_fn("atanh", _em.atanh, "Inverse hyperbolic tangent, elementwise.")
arcsinh = _unary_fn("arcsinh", _em.asinh, "Alias of asinh.")
arccosh = _unary_fn("arccosh", _em.acosh, "Alias of acosh.")
arctanh = _unary_fn("arctanh", _em.atanh, "Alias of atanh.")
log10 = _unary_fn("log10", _em.log10, "Base-10 logarithm, elementwise.")
log2 = _unary_fn("log2", _em.log2, "Base-2 logarithm, elementwise.")
log1p = _unary_fn("log1p", _em.log1p, "log(1 + input), accurate for small input.")
expm1 = _unary_fn("expm1", _em.expm1, "exp(input) - 1, accurate for small input.")
exp2 = _unary_fn("exp2", _em.exp2, "2 ** input, elementwise.")
erfc = _unary_fn("erfc", _em.erfc, "1 - erf(input), accurate where erf is near 1.")
sinc = _unary_fn("sinc", _em.sinc, "sin(pi x) / (pi x), 1 at 0.")
deg2rad = _unary_fn("deg2rad", _em.deg2rad, "Degrees to radians.")
rad2deg = _unary_fn("rad2deg", _em.rad2deg, "Radians to degrees.")
trunc = _unary_fn("trunc", _em.trunc, "Rounds toward zero.")
fix = _unary_fn("fix", _em.trunc, "Alias of trunc.")
frac = _unary_fn("frac", _em.frac, "input - trunc(input).")
sign = _unary_fn("sign", _pw.sign, "-1, 0 or 1 by the sign of each element (0 for NaN).")
sgn = _unary_fn("sgn", _em.sgn, "sign for real tensors.")
signbit = _unary_fn("signbit", _em.signbit, "True where the sign bit is set (-0.0 too).")
isinf = _unary_fn("isinf", _em.isinf, "True where input is +inf or -inf.")
isposinf = _unary_fn("isposinf", _em.isposinf, "True where input is +inf.")
isneginf = _unary_fn("isneginf", _em.isneginf, "True where input is -inf.")
isreal = _unary_fn("isreal", _em.isreal, "True everywhere for real tensors.")
isfinite = _unary_fn("isfinite", lambda t: t.isfinite(), "True where input is neither NaN nor infinite.")
square = _unary_fn("square", lambda t: t.square(), "input * input, elementwise.")
positive = _unary_fn("positive", lambda t: t.positive(), "input itself (refused for bool).")
negative = _unary_fn("negative", _pw.neg, "-input, elementwise.")
logical_not = _unary_fn("logical_not", lambda t: t.logical_not(), "True where input is zero.")
bitwise_not = _unary_fn("bitwise_not", _em.bitwise_not, "~input for integer and bool tensors.")
round = None  # defined below with its decimals argument

from ._ops import gamma as _gamma  # noqa: E402

lgamma = _unary_fn("lgamma", _gamma.lgamma, "log |Gamma(input)|, elementwise (inf at 0 and the negative integers).")
digamma = _unary_fn("digamma", _gamma.digamma, "d/dx lgamma(x): -inf at 0, NaN at the negative integers.")
i0 = _unary_fn("i0", _gamma.i0, "The modified Bessel function of the first kind, order 0.")


@_tensor_args
def logit(input, eps=None):
    """log(input / (1 - input)), input clamped to [eps, 1 - eps] when eps is given."""
    return _em.logit(input, eps)


@_tensor_args
def logit_(input, eps=None):
    """In-place logit; returns input."""
    return input.logit_(eps)


@_tensor_args
def polygamma(n, input):
    """The n-th derivative of digamma (n >= 0), elementwise."""
    return _gamma.polygamma(n, input)


@_tensor_args
def mvlgamma(input, p):
    """The multivariate log-gamma of dimension p: sum over i < p of lgamma(input - i/2) + p(p-1)/4 log(pi)."""
    return _gamma.mvlgamma(input, p)



def _inplace_fn(name, method):
    def f(input):
        return getattr(input, method)()

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"In-place {method[:-1]} of input; returns input."
    return _tensor_args(f)


for _n in ("sinh_", "cosh_", "tan_", "log10_", "log2_", "log1p_", "expm1_", "exp2_", "erfc_", "erf_", "trunc_",
           "fix_", "frac_", "square_", "rsqrt_", "round_", "floor_", "ceil_", "deg2rad_", "rad2deg_", "sinc_",
           "negative_", "neg_", "i0_", "asin_", "acos_", "atan_", "arcsin_", "arccos_", "arctan_", "sin_", "cos_",
           "exp_", "log_", "sqrt_", "sigmoid_", "tanh_", "relu_", "abs_", "reciprocal_"):
    if hasattr(C.Tensor, _n):
        globals()[_n] = _inplace_fn(_n, _n)
del _n


@_tensor_args
def round(input, *, decimals=0):
    """Rounds half to even; decimals places when given."""
    return input.round(decimals)


@_tensor_args
def floor(input):
    """Rounds down."""
    return input.floor()


@_tensor_args
def ceil(input):
    """Rounds up."""
    return input.ceil()


@_tensor_args
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values unless given)."""
    return _em.nan_to_num(input, nan, posinf, neginf)


@_tensor_args
def xlogy_(input, other):
    """In-place xlogy; returns input."""
    return input.xlogy_(other)


@_tensor_args
def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    """In-place nan_to_num; returns input."""
    return input.nan_to_num_(nan, posinf, neginf)


def _binary_fn(name, fn, doc, scalar_input=False, tensor_other=False):
    def f(input, other):
        if scalar_input and not isinstance(input, C.Tensor) and isinstance(other, C.Tensor):
            return fn(_t(input, other, name), other)
        C.need_tensor(input, name, "input", 1)
        if tensor_other:
            C.need_tensor(other, name, "other", 2)
        return fn(input, other)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return f


atan2 = _binary_fn("atan2", _em.atan2, tensor_other=True, doc="Quadrant-aware arctangent of input / other.")
arctan2 = _binary_fn("arctan2", _em.atan2, tensor_other=True, doc="Alias of atan2.")
hypot = _binary_fn("hypot", _em.hypot, tensor_other=True, doc="sqrt(input ** 2 + other ** 2) without overflow.")
logaddexp = _binary_fn("logaddexp", _em.logaddexp, tensor_other=True, doc="log(exp(input) + exp(other)) without overflow.")
logaddexp2 = _binary_fn("logaddexp2", _em.logaddexp2, tensor_other=True, doc="log2(2 ** input + 2 ** other) without overflow.")
xlogy = _binary_fn("xlogy", _em.xlogy, "input * log(other), 0 where input is 0.", scalar_input=True)
fmod = _binary_fn("fmod", _em.fmod, "C's fmod: the remainder takes the dividend's sign.")
remainder = _binary_fn("remainder", _pw.remainder, "Python's %: the remainder takes the divisor's sign.",
                       scalar_input=True)
copysign = _binary_fn("copysign", _em.copysign, "|input| with the sign of other.")
true_divide = _binary_fn("true_divide", _pw.div, "input / other (always a floating result).")
multiply = _binary_fn("multiply", _pw.mul, "Alias of mul.")
logical_xor = _binary_fn("logical_xor", lambda a, b: a.logical_xor(b), "True where exactly one side is nonzero.",
                         tensor_other=True)
logical_and = _binary_fn("logical_and", lambda a, b: a.logical_and(b), "True where both sides are nonzero.")
logical_or = _binary_fn("logical_or", lambda a, b: a.logical_or(b), "True where either side is nonzero.")
bitwise_and = _binary_fn("bitwise_and", lambda a, b: _em.bitwise(a, b, "and"), "input & other (integer/bool).")
bitwise_or = _binary_fn("bitwise_or", lambda a, b: _em.bitwise(a, b, "or"), "input | other (integer/bool).")
bitwise_xor = _binary_fn("bitwise_xor", lambda a, b: _em.bitwise(a, b, "xor"), "input ^ other (integer/bool).")
bitwise_left_shift = _binary_fn("bitwise_left_shift", lambda a, b: _em.bitwise(a, b, "left_shift"),
                                "input << other (integers).")
bitwise_right_shift = _binary_fn("bitwise_right_shift", lambda a, b: _em.bitwise(a, b, "right_shift"),
                                 "input >> other (arithmetic, integers).")
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


@_tensor_args
def subtract(input, other, *, alpha=1):
    """Alias of sub."""
    return sub(input, other, alpha=alpha)


@_tensor_args
def divide(input, other, *, rounding_mode=None):
    """Alias of div."""
    return div(input, other, rounding_mode=rounding_mode)


def float_power(input, exponent):
    """input ** exponent in float64; either may be a Python number."""
    if not isinstance(input, C.Tensor) and not isinstance(exponent, C.Tensor):
        raise TypeError(f"float_power() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(exponent).__name__})")
    return _em.float_power(input, exponent)


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, values where input == 0."""
    C.need_tensor(input, "heaviside", "input", 1)
    C.need_tensor(values, "heaviside", "values", 2)
    return _em.heaviside(input, values)


@_tensor_args
def fmax(input, other):
    """The larger of input and other, elementwise; a NaN loses to a number (maximum propagates it)."""
    C.need_tensor(other, "fmax", "other", 2)
    return input.fmax(other)


@_tensor_args
def fmin(input, other):
    """The smaller of input and other, elementwise; a NaN loses to a number."""
    C.need_tensor(other, "fmin", "other", 2)
    return input.fmin(other)


@_tensor_args
def gcd(input, other):
    """Greatest common divisor of integer tensors, elementwise."""
    C.need_tensor(other, "gcd", "other", 2)
    """Greatest common divisor of integer tensors, elementwise."""
    return input.gcd(other)


@_tensor_args
def gcd_(input, other):
    """In-place gcd; returns input."""
    return input.gcd_(other)


@_tensor_args
def lcm(input, other):
    """Least common multiple of integer tensors, elementwise."""
    C.need_tensor(other, "lcm", "other", 2)
    """Least common multiple of integer tensors, elementwise."""
    return input.lcm(other)


@_tensor_args
def lcm_(input, other):
    """In-place lcm; returns input."""
    return input.lcm_(other)


@_tensor_args
def nextafter(input, other):
    """The next representable float after input in the direction of other."""
    C.need_tensor(other, "nextafter", "other", 2)
    """The next representable float after input in the direction of other."""
    return input.nextafter(other)


@_tensor_args
def floor_divide(input, other):
    """input / other rounded down (Python's //)."""
    return input.floor_divide(other)


@_tensor_args
def msort(input):
    """input sorted along its first dim."""
    return input.msort()


@_tensor_args
def dist(input, other, p=2):
    """The p-norm of input - other."""
    return input.dist(other, p)


@_tensor_args
def renorm(input, p, dim, maxnorm):
    """Slices along dim rescaled so that each p-norm is at most maxnorm."""
    return input.renorm(p, dim, maxnorm)


@_tensor_args
def adjoint(input):
    """The conjugate transpose of the last two dims (a view)."""
    return input.adjoint()


absolute = abs


def _bool_dtype():
    from ._dtype import bool as b

    return b


@_tensor_args
def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    if input.dtype is _bool_dtype() or (isinstance(other, C.Tensor) and other.dtype is _bool_dtype()):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return _pw.sub(other, input, alpha) if isinstance(other, C.Tensor) else (input * -alpha) + other


@_tensor_args
def detach(input):
    """A tensor sharing input's data, outside the graph."""
    return input.detach()


@_tensor_args
def detach_(input):
    """Take input out of the graph in place; returns input."""
    return input.detach_()


@_tensor_args
def zero_(input):
    """Fill input with zeros in place; returns input."""
    return input.zero_()


@_tensor_args
def fill(input, value):
    """A tensor like input, every element value."""
    out = input.clone()
    return out.fill_(value)  # through the clone, input's gradient is zero, as PyTorch's


@_tensor_args
def fill_(input, value):
    """Fill input with value in place; returns input."""
    return input.fill_(value)


def _inplace_fn(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"In-place {name[:-1]} of input; returns input."
    return _tensor_args(fn)


acosh_, asinh_, atanh_ = _inplace_fn("acosh_"), _inplace_fn("asinh_"), _inplace_fn("atanh_")
arccosh_, arcsinh_, arctanh_ = _inplace_fn("arccosh_"), _inplace_fn("arcsinh_"), _inplace_fn("arctanh_")
clamp_max_, clamp_min_ = _inplace_fn("clamp_max_"), _inplace_fn("clamp_min_")


_chain_matmul_warned = []


def chain_matmul(*matrices):
    """The product of 2-D matrices (deprecated in PyTorch for linalg.multi_dot, which it calls)."""
    import warnings

    from . import linalg

    from ._settings import first_warning

    if first_warning(_chain_matmul_warned):  # once per process, as PyTorch
        warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                      "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                      "multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    C.need_tensors(matrices, 0)
    for m in matrices:
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return linalg.multi_dot(list(matrices))


def broadcast_shapes(*shapes):
    """The shape that tensors of these shapes broadcast to, without making any tensor."""
    from ._size import Size

    dims = []
    for i, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        for k, n in enumerate(reversed(shape)):
            if k == len(dims):
                dims.append(n)
            elif dims[k] == 1:
                dims[k] = n
            elif n != 1 and n != dims[k]:
                want = list(reversed(dims))
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {-k - 1}! Mismatching "
                                   f"argument at index {i} had {shape}; but expected shape should be broadcastable "
                                   f"to {want}")
    return Size(reversed(dims))


def unravel_index(indices, shape):
    """The coordinates in `shape` of flat C-order indices, as a tuple of int64 tensors (an index
    outside the shape wraps around, as PyTorch's)."""
    from . import _dtype

    if not isinstance(indices, C.Tensor):  # PyTorch fails reading .is_complex of it: the same type here
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.dtype.is_floating_point or indices.dtype == _dtype.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    for n in shape:
        if n < 0:
            raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    rest = indices.to(_dtype.int64)
    out = []
    for n in reversed(shape):
        out.append(rest.remainder(n) if n else rest * 0)
        rest = rest.div(n, rounding_mode="floor") if n else rest
    return tuple(reversed(out))


def typename(obj):
    """A tensor's type name ('xptorch.FloatTensor') or an object's qualified class name."""
    if isinstance(obj, C.Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


@_tensor_args
def lerp(input, end, weight):
    """input + weight * (end - input)."""
    return _em.lerp(input, end, weight)


@_tensor_args
def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    return _em.addcmul(input, tensor1, tensor2, value)


@_tensor_args
def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    return _em.addcdiv(input, tensor1, tensor2, value)


@_tensor_args
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    return _em.addmm(input, mat1, mat2, beta, alpha)


@_tensor_args
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    return _em.addmv(input, mat, vec, beta, alpha)


@_tensor_args
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    return _em.addr(input, vec1, vec2, beta, alpha)


@_tensor_args
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _em.baddbmm(input, batch1, batch2, beta, alpha)


@_tensor_args
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum over the batch of bmm(batch1, batch2)."""
    return _em.addbmm(input, batch1, batch2, beta, alpha)


@_tensor_args
def addmv_(input, mat, vec, *, beta=1, alpha=1):
    """In-place addmv; returns input."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


# ---- linear algebra (xptorch.linalg) under PyTorch's older top-level names -------------------------
@_tensor_args
def inverse(input, *, out=None):
    """The inverse of each square matrix (linalg.inv)."""
    from . import linalg

    return linalg.inv(input)


@_tensor_args
def det(input):
    """The determinant of each square matrix (linalg.det)."""
    from . import linalg

    return linalg.det(input)


@_tensor_args
def slogdet(input):
    """(sign, log|det|) of each square matrix (linalg.slogdet)."""
    from . import linalg

    return linalg._SlogdetTop(*linalg.slogdet(input))


@_tensor_args
def logdet(input):
    """log(det) of each square matrix: nan where the determinant is negative."""
    from . import linalg

    sign, logabs = linalg.slogdet(input)
    return where(sign < 0, logabs.new_tensor(float("nan")), logabs)


@_tensor_args
def pinverse(input, rcond=1e-15):
    """The pseudo-inverse, singular values below rcond times the largest dropped (linalg.pinv)."""
    from . import linalg

    return linalg.pinv(input, rtol=rcond)


@_tensor_args
def matrix_power(input, n):
    """input to the integer power n (linalg.matrix_power)."""
    from . import linalg

    return linalg.matrix_power(input, n)


# ---- shapes, diagonals, searches and order statistics ----------------------------------------
from ._ops import combine as _comb  # noqa: E402
from ._ops import diagonal as _diagm  # noqa: E402
from ._ops import search as _search  # noqa: E402
from ._ops import stats as _stats  # noqa: E402


@_tensor_args
def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: an (n, ndim) tensor, or one index tensor per dim (as_tuple)."""
    return _search.nonzero(input, as_tuple)


@_tensor_args
def argwhere(input):
    """Indices of the nonzero elements, one row each."""
    return _search.argwhere(input)


@_tensor_args
def is_nonzero(input):
    """bool of a one-element tensor."""
    return _search.is_nonzero(input)


@_tensor_args
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along dim), sorted; optionally where each input went and counts."""
    return _search.unique(input, sorted, return_inverse, return_counts, dim)


@_tensor_args
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Runs of equal consecutive elements (or slices along dim) collapsed to one."""
    return _search.unique_consecutive(input, return_inverse, return_counts, dim)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of `elements` occurs in `test_elements` (either may be a number)."""
    return _search.isin(elements, test_elements, assume_unique, invert)


@_tensor_args
def bincount(input, weights=None, minlength=0):
    """Counts of each non-negative integer in a 1-D tensor (or sums of weights)."""
    return _search.bincount(input, weights, minlength)


@_tensor_args
def histc(input, bins=100, min=0, max=0):
    """Histogram with equal-width bins over [min, max] (the data's range when both are 0)."""
    return _search.histc(input, bins, min, max)


@_tensor_args
def take(input, index):
    """Elements of input, seen as 1-D, at index."""
    return _search.take(input, index)


@_tensor_args
def take_along_dim(input, indices, dim=None):
    """gather along dim with input and indices broadcast; the flattened input when dim is None."""
    return _search.take_along_dim(input, indices, dim)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The 2 x N coordinates of the lower triangle of a row x col matrix."""
    return _search.tri_indices(row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The 2 x N coordinates of the upper triangle of a row x col matrix."""
    return _search.tri_indices(row, col, offset, False, dtype, device)


@_tensor_args
def index_fill(input, dim, index, value):
    """A copy with value written at the given indices along dim."""
    return _search.index_fill(input, dim, index, value)


@_tensor_args
def index_copy(input, dim, index, source):
    """A copy with source's slices written at the given indices along dim."""
    return _search.index_copy(input, dim, index, source)


@_tensor_args
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over dims dim1, dim2 (last in the result), as a view."""
    return _diagm.diagonal(input, offset, dim1, dim2)


@_tensor_args
def trace(input):
    """Sum of the main diagonal of a matrix."""
    return _diagm.trace(input)


@_tensor_args
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims dim1, dim2) whose diagonal is input's last dim."""
    return _diagm.diag_embed(input, offset, dim1, dim2)


@_tensor_args
def diagflat(input, offset=0):
    """A 2-D tensor with the flattened input on a diagonal."""
    return _diagm.diagflat(input, offset)


@_tensor_args
def tile(input, dims):
    """input repeated along each dim (dims padded with leading 1s)."""
    return _comb.tile(input, dims)


@_tensor_args
def ravel(input):
    """input flattened to 1-D (a view when possible)."""
    return input.reshape(-1)


@_tensor_args
def tensor_split(input, indices_or_sections, dim=0):
    """Views of input split into n near-equal parts, or at the given indices, along dim."""
    return _comb.tensor_split(input, indices_or_sections, dim)


@_tensor_args
def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for 1-D input); an int must divide the size."""
    return _comb.hsplit(input, indices_or_sections)


@_tensor_args
def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of an at least 2-D input."""
    return _comb.vsplit(input, indices_or_sections)


@_tensor_args
def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of an at least 3-D input."""
    return _comb.dsplit(input, indices_or_sections)


def hstack(tensors):
    """Concatenation along dim 1 (dim 0 for 1-D tensors)."""
    return _comb.hstack(tensors)


def vstack(tensors):
    """Concatenation along dim 0 of the tensors made at least 2-D."""
    return _comb.vstack(tensors)


row_stack = vstack


def dstack(tensors):
    """Concatenation along dim 2 of the tensors made at least 3-D."""
    return _comb.dstack(tensors)


def column_stack(tensors):
    """1-D and 0-D tensors as columns, then concatenation along dim 1."""
    return _comb.column_stack(tensors)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a tuple for several)."""
    return _comb.atleast_any(tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (a tuple for several)."""
    return _comb.atleast_any(tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims (a tuple for several)."""
    return _comb.atleast_any(tensors, 3)


@_tensor_args
def rot90(input, k=1, dims=(0, 1)):
    """Rotation by 90 degrees k times in the plane of dims, from the first towards the second."""
    return _comb.rot90(input, k, dims)


@_tensor_args
def kron(input, other):
    """Kronecker product."""
    return _comb.kron(input, other)


def block_diag(*tensors):
    """A block-diagonal matrix of the given (at most 2-D) tensors."""
    return _comb.block_diag(tensors)


def cartesian_prod(*tensors):
    """All combinations of the 1-D tensors' elements, one per row."""
    return _comb.cartesian_prod(tensors)


@_tensor_args
def tensordot(a, b, dims=2):
    """Sum of products over the last dims of a and the first of b (or the listed dims)."""
    return _comb.tensordot(a, b, dims)


@_tensor_args
def inner(input, other):
    """Sum of products over the last dims."""
    return _comb.inner(input, other)


@_tensor_args
def cross(input, other, dim=None):
    """Cross product of 3-vectors along dim (the first dim of size 3 when None)."""
    return _comb.cross(input, other, dim, _stacklevel=4)


@_tensor_args
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along dim, prepend/append joined first."""
    return _comb.diff(input, n, dim, prepend, append)


@_tensor_args
def swapdims(input, dim0, dim1):
    """Alias of transpose."""
    return input.transpose(dim0, dim1)


swapaxes = swapdims


@_tensor_args
def cummax(input, dim):
    """Running maximum along dim and where it was reached."""
    return _stats.cummax(input, dim)


@_tensor_args
def cummin(input, dim):
    """Running minimum along dim and where it was reached."""
    return _stats.cummin(input, dim)


@_tensor_args
def logcumsumexp(input, dim):
    """log of the running sum of exp along dim, computed stably."""
    return _stats.logcumsumexp(input, dim)


@_tensor_args
def median(input, dim=None, keepdim=False):
    """Lower median of all elements, or (values, indices) along dim."""
    return _stats.median(input, dim, keepdim)


@_tensor_args
def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaN."""
    return _stats.nanmedian(input, dim, keepdim)


@_tensor_args
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or 1-D tensor in [0, 1]) of all elements or along dim."""
    return _stats.quantile(input, q, dim, keepdim, interpolation)


@_tensor_args
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN."""
    return _stats.nanquantile(input, q, dim, keepdim, interpolation)


@_tensor_args
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum with NaN counted as 0."""
    return _stats.nansum(input, dim, keepdim, dtype)


@_tensor_args
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean of the non-NaN elements."""
    return _stats.nanmean(input, dim, keepdim, dtype)


@_tensor_args
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) in one call."""
    return _stats.std_mean(input, dim, unbiased, keepdim, correction)


@_tensor_args
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) in one call."""
    return _stats.var_mean(input, dim, unbiased, keepdim, correction)


@_tensor_args
def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of all elements or along dim."""
    return _stats.aminmax(input, dim, keepdim)



@_tensor_args
def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along dim (smallest on ties) and its last index."""
    return _stats.mode(input, dim, keepdim)


@_tensor_args
def masked_scatter(input, mask, source):
    """input with source's leading elements written, in order, where mask is True."""
    return _search.masked_scatter(input, mask, source)


@_tensor_args
def masked_fill(input, mask, value):
    """A copy of input with value written where the boolean mask (broadcast) is True."""
    return input.masked_fill(mask, value)


# ---- searching sorted boundaries, indexed writes and reductions ----------------------------------
from ._ops import bucketize as _bkt  # noqa: E402


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices into the innermost dim of sorted_sequence where each value of input would be inserted to keep
    it sorted: the first such place (side='left'), or the last (right=True or side='right'). sorter, when
    given, holds the indices that sort sorted_sequence along its last dim."""
    return _bkt.searchsorted(sorted_sequence, input, out_int32, right, side, sorter)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket of 1-D sorted boundaries each element of input falls in:
    boundaries[i-1] < x <= boundaries[i] (right=False) or boundaries[i-1] <= x < boundaries[i] (right=True)."""
    return _bkt.bucketize(input, boundaries, out_int32, right)


from ._ops import index_put as _iput  # noqa: E402


def index_put(input, indices, values, accumulate=False):
    """A copy of input with values (broadcast) written at input[indices], or added there when accumulate
    (repeated positions then add up); indices is a tuple of long/int index tensors or bool masks."""
    C.need_tensor(input, "index_put", "input", 1)
    return _iput.index_put(input, indices, values, accumulate, _pos=2)


def index_put_(input, indices, values, accumulate=False):
    """index_put written into input; returns input."""
    C.need_tensor(input, "index_put_", "input", 1)
    from ._ops import inplace as _inplace

    return _inplace.apply(input, lambda a: _iput.index_put(a, indices, values, accumulate, "index_put_", 2))


@_tensor_args
def put(input, index, source, accumulate=False):
    """A copy of input with source's elements written at the flat positions index names (input seen as 1-D),
    or added there when accumulate."""
    return _iput.put(input, index, source, accumulate, _pos=2)


from ._ops import scatter_reduce as _sred  # noqa: E402


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of input where src's elements are reduced ('sum', 'prod', 'mean', 'amax', 'amin') into the
    positions index names along dim (out[index[i][j]][j] for dim=0), together with input's own value there
    when include_self; positions nothing is scattered to keep input's value."""
    C.need_tensor(input, "scatter_reduce", "input", 1)
    return _sred.scatter_reduce(input, dim, index, src, reduce, include_self, _pos=2)


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """A copy of input where source's slices along dim are reduced ('prod', 'mean', 'amax', 'amin') into the
    slices the 1-D index names, together with input's own values when include_self."""
    C.need_tensor(input, "index_reduce", "input", 1)
    return _sred.index_reduce(input, dim, index, source, reduce, include_self, _pos=2)


# ---- statistics and distances ----------------------------------------------------------------------
from ._ops import correlation as _corr  # noqa: E402


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in input's rows (observations in columns; a 1-D input is one
    variable), with integer frequency weights and float observation weights, divided by the weights' sum minus
    correction."""
    return _corr.cov(input, correction, fweights, aweights)


def corrcoef(input):
    """Pearson correlation coefficients of the variables in input's rows: cov(input) over the outer product of
    the standard deviations, clipped to [-1, 1]."""
    return _corr.corrcoef(input)


from ._ops import distance as _dist  # noqa: E402


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distance between each pair of rows of x1 (..., P, M) and x2 (..., R, M), batch dims broadcast:
    (..., P, R). For p=2 a matrix product computes them when either side has more than 25 rows (or always /
    never, by compute_mode)."""
    return _dist.cdist(x1, x2, p, compute_mode)


def pdist(input, p=2):
    """p-norm distances between the rows of a 2-D input, for each pair i < j in row-major order."""
    return _dist.pdist(input, p)


# ---- numerics: integration, Vandermonde matrices, combinations, float parts -------------------------
from ._ops import float_parts as _fparts  # noqa: E402
from ._ops import integrate as _integ  # noqa: E402


def trapezoid(y, x=_integ.NOT_GIVEN, *, dx=None, dim=-1):
    """The trapezoidal rule along dim: samples y at points x (a tensor), or spaced dx apart (default 1)."""
    return _integ.trapezoid(y, x, dx, dim)


def trapz(y, x=_integ.NOT_GIVEN, *, dx=None, dim=-1):
    """Alias of trapezoid."""
    return _integ.trapezoid(y, x, dx, dim, "trapz")


def cumulative_trapezoid(y, x=_integ.NOT_GIVEN, *, dx=None, dim=-1):
    """The running trapezoidal rule along dim (one fewer element than y there)."""
    return _integ.cumulative_trapezoid(y, x, dx, dim)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D x: columns x**(N-1), ..., x**0 (increasing: x**0 first); N defaults to
    len(x)."""
    return _comb.vander(x, N, increasing)


def combinations(input, r=2, with_replacement=False):
    """The length-r combinations of a 1-D input's elements, one per row (itertools.combinations order)."""
    return _comb.combinations(input, r, with_replacement)


@_tensor_args
def frexp(input):
    """(mantissa, exponent) with input = mantissa * 2 ** exponent, |mantissa| in [0.5, 1), exponent int32."""
    return _fparts.frexp(input)


@_tensor_args
def ldexp(input, other):
    """input * 2 ** other."""
    return _fparts.ldexp(input, other)


@_tensor_args
def ldexp_(input, other):
    """input *= 2 ** other, in place; returns input."""
    return _fparts.ldexp_(input, other, 2)


def channel_shuffle(input, groups):
    """Channels of (N, C, *) regrouped: C = groups * k read as (groups, k) and written as (k, groups)."""
    from .nn.functional import channel_shuffle as _shuffle

    return _shuffle(input, groups)


def kl_div(input, target, reduction=0, *, log_target=False):
    """The pointwise KL terms target·(log target - input) (exp(target)·(target - input) with log_target), reduced
    by PyTorch's integer enum: 0 none, 1 mean, 2 sum (nn.functional.kl_div takes the names)."""
    from ._ops.likelihood_loss import kl_div_enum

    return kl_div_enum(input, target, reduction, log_target)
