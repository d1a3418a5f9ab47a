"""Adafactor against torch 2.13 where its trajectories in test_optim_updates/test_optim_adaptive do not reach:
the factored state's layout, eps1's default, parameters without a gradient, a tensor lr and loading state."""
import numpy as np
import pytest

import xptorch
from xptorch import optim

torch = pytest.importorskip("torch")


def make_pair(specs, device=None, seed=0):
    """specs: (shape, dtype) per parameter."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dt) for s, dt in specs]
    return ([torch.nn.Parameter(torch.tensor(a)) for a in arrays],
            [xptorch.nn.Parameter(xptorch.tensor(a, device=device)) for a in arrays])


def run(tp, xp, ot, ox, steps, scale=1.0, skip=(), seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for i, (p, q) in enumerate(zip(tp, xp)):
            if i not in skip:
                g = (rng.standard_normal(tuple(p.shape)) * scale).astype(p.detach().numpy().dtype)
                p.grad = torch.tensor(g)
                q.grad = xptorch.tensor(g, device=q.device)
        ot.step()
        ox.step()


def assert_close(tp, xp):
    for p, q in zip(tp, xp):
        tol = 1e-6 if p.dtype == torch.float32 else 1e-12
        np.testing.assert_allclose(q.detach().numpy(force=True), p.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("first", [np.float64, np.float32])
def test_default_eps1_is_the_first_parameters_machine_epsilon(first, device):
    """Gradients of 1e-9 put the second moments below eps1^2, so which epsilon applies shows in the update."""
    other = np.float32 if first == np.float64 else np.float64
    tp, xp = make_pair([((3, 4), first), ((3, 4), other), ((5,), other)], device=device)
    ot, ox = torch.optim.Adafactor(tp), optim.Adafactor(xp)
    run(tp, xp, ot, ox, 4, scale=1e-9)
    assert_close(tp, xp)


def test_state_layout_and_parameters_without_grad(device):
    specs = [((2, 3, 4), np.float32), ((4, 5), np.float32), ((3,), np.float32), ((), np.float32), ((2,), np.float32)]
    tp, xp = make_pair(specs, device=device)
    left = xp[4].detach().numpy(force=True).copy()
    ot, ox = torch.optim.Adafactor(tp, lr=0.05), optim.Adafactor(xp, lr=0.05)
    run(tp, xp, ot, ox, 3, skip=(4,))
    assert_close(tp, xp)
    np.testing.assert_array_equal(xp[4].detach().numpy(force=True), left)
    st_t, st_x = ot.state_dict()["state"], ox.state_dict()["state"]
    assert sorted(st_x) == sorted(st_t) == [0, 1, 2, 3]
    for i in st_t:
        assert list(st_x[i]) == list(st_t[i])
        for key, v in st_t[i].items():
            assert tuple(st_x[i][key].shape) == tuple(v.shape), key
            assert st_x[i][key].device.type == ("cpu" if key == "step" else device)
            np.testing.assert_allclose(st_x[i][key].numpy(force=True), v.numpy(), rtol=1e-5, atol=1e-7)


def test_tensor_lr():
    tp, xp = make_pair([((3, 2), np.float64), ((4,), np.float64)])
    ot = torch.optim.Adafactor(tp, lr=torch.tensor(0.3), weight_decay=0.1)
    ox = optim.Adafactor(xp, lr=xptorch.tensor(0.3), weight_decay=0.1)
    run(tp, xp, ot, ox, 3)
    assert_close(tp, xp)
    with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
        torch.optim.Adafactor(tp, lr=torch.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
        optim.Adafactor(xp, lr=xptorch.tensor([0.1, 0.2]))


def test_a_factor_of_the_wrong_shape_is_refused_at_load():
    _, xp = make_pair([((4, 3), np.float32)])
    other = [xptorch.nn.Parameter(xptorch.ones(5, 3))]
    src = optim.Adafactor(other)
    other[0].grad = xptorch.ones(5, 3)
    src.step()
    opt = optim.Adafactor(xp)
    with pytest.raises(RuntimeError, match=r"loaded optimizer state 'row_var' of parameter 0 has shape \[5, 1\], "
                                           r"but the parameter has shape \[4, 3\]"):
        opt.load_state_dict(src.state_dict())
    assert not opt.state
