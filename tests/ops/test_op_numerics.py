"""Where the op table cannot ask torch 2.13 (its own backward fails or crashes there): vander's gradient against
torch's equivalent composite, pdist of no rows, ldexp with negative integer exponents against the formula."""
import numpy as np

import xptorch
from oracle import assert_same_tensor, torch


def test_vander_gradient_is_cumprods(device):
    """torch.vander's backward fails (it edits its output in place); its composite's gradient is the reference."""
    x = np.array([0.5, -1.5, 2.0, 0.0])
    outs = []
    for lib, dev, fn in ((torch, "cpu", None), (xptorch, device, None)):
        t = lib.tensor(x, device=dev, requires_grad=True)
        if lib is torch:
            y = torch.cat([torch.ones(4, 1, dtype=t.dtype), t.unsqueeze(1).expand(4, 4).cumprod(1)], 1).flip(1)
        else:
            y = lib.vander(t, 5)
        w = lib.tensor(np.arange(20.0).reshape(4, 5), device=dev)
        (y * w).sum().backward()
        outs.append((y.detach(), t.grad))
    for ours, theirs in zip(outs[1], outs[0]):
        assert_same_tensor(ours.cpu(), theirs)


def test_pdist_of_no_rows(device):
    """torch 2.13 crashes (SIGSEGV) in this backward; ours: no distances, an empty gradient."""
    assert tuple(torch.pdist(torch.zeros(0, 3)).shape) == (0,)
    t = xptorch.zeros(0, 3, device=device, requires_grad=True)
    d = xptorch.pdist(t)
    d.sum().backward()
    assert tuple(d.shape) == (0,) and tuple(t.grad.shape) == (0, 3)


def test_ldexp_negative_integer_exponent_gradient(device):
    """d/dx x * 2**e = 2**e also for negative integer e (torch 2.13 gives 0 there)."""
    x = xptorch.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    e = xptorch.tensor([-2, -1, 3], device=device)
    xptorch.ldexp(x, e).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [0.25, 0.5, 8.0])
