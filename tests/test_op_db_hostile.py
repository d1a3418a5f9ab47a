"""Hostile calls derived from every op-table entry (tests/hostile.py), each run in torch 2.13 and xptorch.

Where torch raises, xptorch raises the same built-in exception type with a message of its own (never
NumPy's text or class), and the inputs keep their data, version and grad_fn. Where torch returns, xptorch
returns too. Exact messages are the business of the entries' own error samples (test_op_db.test_errors).
"""
import re
import warnings

import pytest

from hostile import bases, mutations
from op_db import OPS
from op_harness import assert_unchanged, materialise, snapshot
from oracle import torch, xp_message  # noqa: F401  (skips the module without torch)

# Text that only NumPy (or Python's own attribute lookup inside our code) writes.
NUMPY_TEXT = re.compile(
    r"operands could not be broadcast|ufunc|numpy|ndarray|np\.|cannot reshape array|negative dimensions are not "
    r"allowed|not inexact|Invalid integer data type|tuple index out of range|has no attribute|could not convert "
    r"string|is out of bounds for axis|Calling nonzero on 0d|shape mismatch: objects cannot be broadcast"
)

# (entry, kind): why xptorch deliberately differs from torch here.
EXCLUDED = {
    # torch.max(x, None) matches no overload; ours reads None as "no dim", the default it cannot tell apart
    ("max_binary", "none"): "None taken for the default dim",
    # x[i] = [..] / (..) / an ndarray: torch refuses host sequences, ours copies them in (tests/test_cuda_rules.py)
    ("setitem", "list"): "host sequences accepted as assigned values",
    # torch fails inside its storage code (setStorage ... out of bounds) for an empty self with include_self=False;
    # ours refuses the index as it does with include_self=True
    ("index_reduce", "empty"): "an index into an empty self refused as out of range",
    # torch unpacks a pivot vector longer than LU's rows without a check (reading past the permutation);
    # ours refuses it, naming both sizes
    ("lu_unpack_pivots", "broadcast"): "more pivots than rows refused",
    ("lu_unpack_pivots", "empty"): "more pivots than rows refused",
}
# A class of deliberate differences: many of torch's nn.functional wrappers are Python code that calls
# input.size() / input.dim() / input.softmax() before any type check, so a string or None fails there with
# AttributeError ("'str' object has no attribute 'dim'"). Ours raise TypeError naming the argument, as torch's
# compiled functions do ("relu(): argument 'input' (position 1) must be Tensor, not str").
_WRAPPER_ATTRIBUTE_ERROR = re.compile(r"'(\w+)' object has no attribute '\w+'")
_OURS_NOT_TENSOR = re.compile(r"\(\): argument '\w+' \(position \d+\) must be Tensor, not (\w+)$")


def _deliberate(t_exc, x_exc):
    m, n = _WRAPPER_ATTRIBUTE_ERROR.fullmatch(str(t_exc)), _OURS_NOT_TENSOR.search(str(x_exc))
    return (isinstance(t_exc, AttributeError) and isinstance(x_exc, TypeError) and m is not None and n is not None
            and m.group(1) == n.group(1))


# (entry, kind): mismatches still open, each a bug. Strict: a fixed one fails until it is removed here.
GAPS = {
    # found from the later samples; each the first failing call and what differs
}


def _builtin(k):
    for c in k.__mro__:
        if c.__module__ == "builtins":
            return c
    return k


def _run(call, fn):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            call.run(fn)
            return None
        except Exception as e:  # noqa: BLE001  (compared with the other library's outcome)
            return e


def _check(op, kind, s, seed, fn=None):
    """None when xptorch behaves as torch (fn: the entry's op, or its in-place form), else what differs."""
    fn = fn or op.fn
    dt = (s.dtypes or op.dtypes)[0]
    tc, xc = materialise(s, dt, seed, op.grad and fn is op.fn)
    before = snapshot(xc)
    t_exc = _run(tc, fn)
    x_exc = _run(xc, fn)
    if t_exc is None:
        if x_exc is not None:
            return f"torch returns; xptorch raised {type(x_exc).__name__}: {x_exc}"
        return None
    if x_exc is None:
        return f"torch raised {type(t_exc).__name__}: {t_exc}; xptorch returned"
    if _deliberate(t_exc, x_exc):
        return None
    want = _builtin(type(t_exc))
    got = f"{type(x_exc).__module__}.{type(x_exc).__name__}: {x_exc}"
    if not isinstance(x_exc, want) or type(x_exc).__module__.startswith("numpy"):
        return f"torch raised {type(t_exc).__name__}: {t_exc}; xptorch {got}"
    same_text = str(x_exc) == xp_message(str(t_exc))
    if not same_text and not NUMPY_TEXT.search(str(t_exc)) and (NUMPY_TEXT.search(str(x_exc)) or not str(x_exc)):
        return f"xptorch's message is not torch's kind: {got} (torch: {t_exc})"
    assert_unchanged(before, xc, f"{op.name} {kind} {s!r}")
    return None


def _calls(op):
    """(kind, sample, seed) for the hostile calls of every base sample of the entry."""
    for b, base in enumerate(bases(op)):
        for i, (kind, s) in enumerate(mutations(op, base)):
            yield kind, s, 7 + i + 1000 * b


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS])
def test_hostile_calls(op):
    problems, open_gaps = [], set()
    for kind, s, seed in _calls(op):
        key = (op.name, kind)
        if key in EXCLUDED:
            continue
        bad = _check(op, kind, s, seed)
        if bad is None:
            continue
        if key in GAPS:
            open_gaps.add(kind)
        else:
            problems.append(f"{kind} {s!r}: {bad}")
    assert not problems, f"{op.name}:\n" + "\n".join(problems)
    fixed = sorted(k for n, k in GAPS if n == op.name and k not in open_gaps)
    assert not fixed, f"{op.name}: {fixed} behave as torch now; remove them from GAPS"


# In-place forms: (entry, kind): why xptorch deliberately differs.
EXCLUDED_INPLACE = {
    # torch's Tensor.__isub__ returns NotImplemented for a str/None/list, so `x -= "a"` ends in Python's
    # TypeError; ours raises the TypeError itself. Only a direct x.__isub__("a") call tells them apart.
    ("__sub__", "str"): "TypeError raised, not NotImplemented returned",
    ("__sub__", "none"): "TypeError raised, not NotImplemented returned",
    ("__sub__", "list"): "TypeError raised, not NotImplemented returned",
    # torch's addbmm_ resizes a 0-d input to the product's shape; ours keeps in-place ops shape-preserving
    ("addbmm", "ndim_down"): "in-place addbmm_ refuses to resize its input",
}
# torch's CPU take_along_dim reads an index of +-99 past the end without a check; ours raises IndexError
EXCLUDED.update({("take_along_dim", "index_oob"): "out-of-range indices refused (torch reads past the end)",
                 # an index into an empty dim: torch fails allocating ("setStorage: ... out of bounds", RuntimeError),
                 # ours names the bad index (IndexError), as for any other size
                 ("index_fill", "empty"): "IndexError for an index into an empty dim",
                 ("index_copy", "empty"): "IndexError for an index into an empty dim"})


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS if op.inplace is not None])
def test_hostile_calls_in_place(op):
    """The same hostile calls through the entry's in-place form; a refused in-place call changes nothing."""
    problems = []
    for i, (kind, s) in enumerate(mutations(op)):
        if (op.name, kind) in EXCLUDED or (op.name, kind) in EXCLUDED_INPLACE:
            continue
        bad = _check(op, kind, s, 7 + i, op.inplace)
        if bad is not None:
            problems.append(f"{kind} {s!r}: {bad}")
    assert not problems, f"{op.name} in place:\n" + "\n".join(problems)


def test_exclusions_and_gaps_name_real_cases():
    kinds = {(op.name, k) for op in OPS for k, _, _ in _calls(op)}
    stale = sorted(set(EXCLUDED) - kinds) + sorted(set(GAPS) - kinds) + sorted(set(EXCLUDED_INPLACE) - kinds)
    assert not stale, f"no such hostile case: {stale}"
