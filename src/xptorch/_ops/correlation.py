"""cov and corrcoef, composed of differentiable ops in PyTorch's order (Correlation.cpp), so values, dtypes and
gradients follow it."""
import warnings

from . import _common as C


def _name(t):
    return t.dtype._legacy[:-6]


def cov(input, correction=1, fweights=None, aweights=None):
    C.need_tensor(input, "cov", "input", 1)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with {nd} dimensions")
    if input._data.dtype.kind == "b":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if nd < 2 else input
    n = x._data.shape[1]
    w = None
    if fweights is not None:
        C.need_tensor(fweights, "cov", "fweights", 3)
        fd = fweights._data
        if fd.ndim > 1:
            raise RuntimeError("cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{fd.ndim} dimensions")
        if fd.dtype.kind not in "iu":
            raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_name(fweights)} dtype")
        if fd.size != n:
            raise RuntimeError("cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {fd.size} != {n}")
        if n and bool(fd.min() < 0):
            raise RuntimeError("cov(): fweights cannot be negative")
        w = fweights
    if aweights is not None:
        C.need_tensor(aweights, "cov", "aweights", 4)
        ad = aweights._data
        if ad.ndim > 1:
            raise RuntimeError("cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{ad.ndim} dimensions")
        if ad.dtype.kind != "f":
            raise RuntimeError("cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_name(aweights)} dtype")
        if ad.size != n:
            raise RuntimeError("cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {ad.size} != {n}")
        if n and bool(ad.min() < 0):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aweights if w is None else w * aweights
    if w is not None:
        w = w.reshape(-1)
        w_sum = w.sum()
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    else:
        from .._factories import tensor

        w_sum = tensor(n, device=input.device)
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights.reshape(-1)).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool(norm._data <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=3)
        norm = norm * 0
    x = x - avg.unsqueeze(1)
    c = x.mm((x * w if w is not None else x).t())
    return c.true_divide(norm).squeeze()


def corrcoef(input):
    C.need_tensor(input, "corrcoef", "input", 1)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with {nd} "
                           "dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c  # NaN for a variance of nan, inf or 0, else 1
    std = c.diagonal().sqrt()
    c = c / std.reshape(-1, 1)
    c = c / std.reshape(1, -1)
    return c.clip(-1, 1)
