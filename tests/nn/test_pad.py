"""F.pad against torch 2.13: constant (with negative widths), reflect, replicate, circular."""
import numpy as np
import pytest

import xptorch
import xptorch.nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape,pad,mode,value", [
    ((2, 3), (1, 2), "constant", None),
    ((2, 3), (1, 2, 0, 1), "constant", 1.5),
    ((2, 3, 4), (-1, 2, 1, -1), "constant", 0.0),
    ((1, 2, 5), (2, 1), "reflect", None),
    ((1, 2, 4, 5), (1, 2, 2, 1), "replicate", None),
    ((1, 2, 4, 5), (1, 2, 2, 1), "circular", None),
    ((3,), (0, 0), "constant", None),
])
def test_pad_values_and_gradients(shape, pad, mode, value):
    data = np.random.default_rng(0).standard_normal(shape)
    x = xptorch.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    kw = {} if value is None else {"value": value}
    ox, ot = F.pad(x, pad, mode=mode, **kw), torch.nn.functional.pad(t, pad, mode=mode, **kw)
    np.testing.assert_array_equal(ox.detach().cpu().numpy(), ot.detach().cpu().numpy())
    w = np.random.default_rng(1).standard_normal(ot.shape)
    (ox * xptorch.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.cpu().numpy(), rtol=1e-12, atol=1e-12)
    if mode == "constant":
        assert ox.grad_fn.name() == ot.grad_fn.name()


@pytest.mark.parametrize("pad", [(1,), (1, 1, 1, 1, 1, 1)])
def test_pad_errors_match_torch(pad):
    with pytest.raises(RuntimeError) as ours:
        F.pad(xptorch.zeros(2, 3), pad)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.pad(torch.zeros(2, 3), pad)
    assert str(ours.value) == str(theirs.value)
