"""NumPy's axis= and keepdims= spellings, accepted where PyTorch accepts them, as functions and
methods; both spellings at once are refused with TypeError."""
import pytest

import xptorch

torch = pytest.importorskip("torch")
from devices import check  # noqa: E402

REDUCTIONS = ["sum", "mean", "prod", "std", "var", "max", "min", "amax", "amin", "argmax", "argmin", "logsumexp",
              "all", "any"]


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("kw", [{"axis": 1}, {"axis": 0, "keepdims": True}, {"axis": -1, "keepdims": False}])
def test_reduction_aliases(device, name, kw):
    def run(lib, x):
        if name in ("all", "any"):
            x = x > 0
        a, b = getattr(lib, name)(x, **kw), getattr(x, name)(**kw)
        return (*a, *b) if isinstance(a, tuple) else (a, b)

    check(device, [(3, 4)], lambda x: run(torch, x), lambda x: run(xptorch, x))


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "softmax", "log_softmax", "sort", "argsort", "count_nonzero"])
def test_dim_aliases(device, name):
    grad = name != "cumsum"  # cumsum's gradient is not this test's subject
    check(device, [(3, 4)], lambda x: getattr(torch, name)(x, axis=0), lambda x: getattr(xptorch, name)(x, axis=0),
          grad=grad, check_grad_fn=grad)
    check(device, [(3, 4)], lambda x: getattr(x, name)(axis=1), lambda x: getattr(x, name)(axis=1), grad=grad,
          check_grad_fn=grad)


def test_indexed_aliases(device):
    check(device, [(3, 4)], lambda x: torch.kthvalue(x, 2, axis=0, keepdims=True),
          lambda x: xptorch.kthvalue(x, 2, axis=0, keepdims=True))
    check(device, [(3, 4)], lambda x: torch.topk(x, 2, axis=0), lambda x: xptorch.topk(x, 2, axis=0))


@pytest.mark.parametrize("call", [
    lambda m, x: m.sum(x, dim=0, axis=0),
    lambda m, x: x.sum(0, keepdim=True, keepdims=True),
    lambda m, x: x.mean(dim=1, axis=1),
    lambda m, x: m.max(x, dim=0, axis=0),
])
def test_both_spellings_refused(call):
    with pytest.raises(TypeError) as t:
        call(torch, torch.ones(2, 3))
    with pytest.raises(TypeError) as x:
        call(xptorch, xptorch.ones(2, 3))
    assert str(x.value).split("(")[0] == str(t.value).split("(")[0]
