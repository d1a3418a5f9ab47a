"""torch.special's names: the special functions, and aliases of the ones that live at the top level."""
from . import _functions as _fn
from ._ops import elementwise_math as _em
from ._ops import gamma as _gamma
from ._ops import special as _special
from ._ops._common import tensor_args as _tensor_args
from ._ops._common import need_tensor as _need_tensor
from ._ops._common import no_kernel as _no_kernel

__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
    "gammaln", "i0", "i0e", "i1",
    "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri", "polygamma",
    "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta",
]


def _unary(name, op, doc):
    def f(input):
        return op(input)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = doc
    return _tensor_args(f)


expit = _unary("expit", lambda t: t.sigmoid(), "1 / (1 + exp(-input)), the logistic sigmoid.")
erf = _unary("erf", _special.erf, "The error function.")
erfc = _unary("erfc", _em.erfc, "1 - erf(input), accurate where erf is near 1.")
erfinv = _unary("erfinv", _special.erfinv, "The inverse of erf on (-1, 1).")
erfcx = _unary("erfcx", _special.erfcx, "exp(input ** 2) * erfc(input), finite where erfc underflows.")
gammaln = _unary("gammaln", _gamma.lgamma, "log |Gamma(input)|.")
digamma = _unary("digamma", _gamma.digamma, "d/dx lgamma(x).")
psi = _unary("psi", _gamma.digamma, "Alias of digamma.")
i0 = _unary("i0", _gamma.i0, "The modified Bessel function of the first kind, order 0.")
i0e = _unary("i0e", _gamma.i0e, "exp(-|input|) * i0(input).")
i1 = _unary("i1", _gamma.i1, "The modified Bessel function of the first kind, order 1.")
i1e = _unary("i1e", _gamma.i1e, "exp(-|input|) * i1(input).")
ndtr = _unary("ndtr", _special.ndtr, "The standard normal's cdf.")
ndtri = _unary("ndtri", _special.ndtri, "The standard normal's quantile: ndtr(ndtri(p)) = p.")
log_ndtr = _unary("log_ndtr", _special.log_ndtr, "log of the standard normal's cdf, finite far into the left tail.")
log1p = _unary("log1p", _em.log1p, "log(1 + input), accurate for small input.")
expm1 = _unary("expm1", _em.expm1, "exp(input) - 1, accurate for small input.")
exp2 = _unary("exp2", _em.exp2, "2 ** input.")
sinc = _unary("sinc", _em.sinc, "sin(pi x) / (pi x), 1 at 0.")
entr = _unary("entr", _special.entr, "-input * log(input): 0 at 0, -inf below.")


@_tensor_args
def logit(input, eps=None):
    """log(input / (1 - input)), input clamped to [eps, 1 - eps] when eps is given."""
    return _em.logit(input, eps)


@_tensor_args
def polygamma(n, input):
    """The n-th derivative of digamma."""
    return _gamma.polygamma(n, input)


@_tensor_args
def multigammaln(input, p):
    """The multivariate log-gamma of dimension p."""
    return _gamma.mvlgamma(input, p)


def xlogy(input, other):
    """input * log(other), 0 where input is 0 (NaN other stays NaN)."""
    return _fn.xlogy(input, other)


xlog1py = _fn._binary_fn("xlog1py", _em.xlog1py, "input * log1p(other), 0 where input is 0 (NaN other stays NaN).",
                         scalar_input=True)
zeta = _fn._binary_fn("zeta", _gamma.zeta, "The Hurwitz zeta function: sum over k >= 0 of (k + other) ** -input.",
                      scalar_input=True)

def gammainc(input, other):
    """The regularised lower incomplete gamma function P(input, other)."""
    _need_tensor(input, "special_gammainc", "input", 1)
    _need_tensor(other, "special_gammainc", "other", 2)
    return _gamma.gammainc(input, other)


def gammaincc(input, other):
    """The regularised upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    _need_tensor(input, "special_gammaincc", "input", 1)
    _need_tensor(other, "special_gammaincc", "other", 2)
    return _gamma.gammaincc(input, other)


@_tensor_args
def round(input, *, decimals=0):
    """Rounds half to even; decimals places when given (floating tensors only, unlike xptorch.round)."""
    _no_kernel(input, "round_vml_cpu" if not decimals else "round_cpu")
    return input.round(decimals=decimals)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over dim, computed stably."""
    _need_tensor(input, "logsumexp", "input", 1)
    return input.logsumexp(dim, keepdim)


def softmax(input, dim, *, dtype=None):
    """exp(input) / sum(exp(input)) along dim."""
    _need_tensor(input, "softmax", "input", 1)
    return input.softmax(dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    """log(softmax(input)) along dim, computed stably."""
    _need_tensor(input, "log_softmax", "input", 1)
    return input.log_softmax(dim, dtype)
