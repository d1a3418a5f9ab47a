"""Optimiser steps over 1M parameters: plain and momentum SGD, Adam, AdamW (default and foreach)."""
import functools

import pytest

from sidebyside import compare

# 1,048,576 parameters in a realistic mix of shapes (weights and biases of an MLP).
SHAPES = [(1024, 784), (1024,), (224, 1024), (224,), (10, 224), (10,)]
CONFIGS = {
    "SGD": ("SGD", dict(lr=0.01)),
    "SGD momentum": ("SGD", dict(lr=0.01, momentum=0.9)),
    "Adam": ("Adam", dict(lr=1e-3)),
    "AdamW": ("AdamW", dict(lr=1e-3)),
}


def _params(lib):
    lib.manual_seed(0)
    ps = [lib.nn.Parameter(lib.randn(*s)) for s in SHAPES]
    for p in ps:
        p.grad = lib.randn(*p.shape)
    return ps


def test_param_count():
    total = 0
    for s in SHAPES:
        n = 1
        for d in s:
            n *= d
        total += n
    assert 1_000_000 <= total <= 1_100_000


def build_step(lib, name, foreach):
    """The optimiser's step after one warm-up step (module level: torch's side runs in its own process)."""
    cls, kw = CONFIGS[name]
    ps = _params(lib)
    opt = getattr(lib.optim, cls)(ps, foreach=foreach, **kw)
    opt.step()
    return opt.step


@pytest.mark.parametrize("foreach", [None, True], ids=["default", "foreach"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_optimizer_step(benchmark, name, foreach):
    label = "foreach=True" if foreach else "default"
    # torch as its users run it: xptorch's malloc thresholds would speed up torch's large-tensor steps.
    compare(benchmark, f"optim: {name} step, 1M parameters in 6 tensors ({label})",
            functools.partial(build_step, name=name, foreach=foreach), torch_process=True)
