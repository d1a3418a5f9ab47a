"""nn.utils.parameters_to_vector / vector_to_parameters against torch 2.13: order, gradients, memory shared
with the vector afterwards, dtype taken from the vector, errors."""
import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import check_error, to_numpy  # noqa: E402
from nn.test_parametrize import close, twin  # noqa: E402


def net(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Conv1d(1, 2, 2, bias=False))


def test_round_trip_and_gradients(device):
    torch.manual_seed(0)
    t_m = net(torch)
    x_m = twin(t_m, net(xptorch), device)
    t_v = torch.nn.utils.parameters_to_vector(t_m.parameters())
    x_v = nn.utils.parameters_to_vector(x_m.parameters())
    close(x_v, t_v)
    assert x_v.grad_fn is not None
    w = np.arange(t_v.numel(), dtype=np.float32)
    (t_v * torch.tensor(w)).sum().backward()
    (x_v * xptorch.tensor(w, device=device)).sum().backward()
    for (k, tp), xp in zip(t_m.named_parameters(), x_m.parameters()):
        close(xp.grad, tp.grad, what=k)
    new = np.linspace(-1, 1, t_v.numel()).astype(np.float64)
    t_new, x_new = torch.tensor(new), xptorch.tensor(new, device=device)
    ids = [id(p) for p in x_m.parameters()]
    torch.nn.utils.vector_to_parameters(t_new, t_m.parameters())
    nn.utils.vector_to_parameters(x_new, x_m.parameters())
    assert [id(p) for p in x_m.parameters()] == ids
    for tp, xp in zip(t_m.parameters(), x_m.parameters()):
        close(xp, tp)
        assert xp.dtype == xptorch.float64 and tp.dtype == torch.float64  # the vector's dtype, as torch
    # the parameters alias the vector afterwards
    t_new[0] = 42.0
    x_new[0] = 42.0
    assert float(to_numpy(x_m[0].weight)[0, 0]) == float(t_m[0].weight[0, 0]) == 42.0


def test_errors():
    cases = [
        lambda lib: lib.nn.utils.vector_to_parameters([1.0], lib.nn.Linear(1, 1).parameters()),
        lambda lib: lib.nn.utils.parameters_to_vector([]),
    ]
    for case in cases:
        check_error(lambda: case(torch), lambda: case(xptorch))


def test_mixed_devices(simulated_cuda):
    a = nn.Parameter(xptorch.ones(2))
    b = nn.Parameter(xptorch.ones(2, device="cuda"))
    with pytest.raises(TypeError, match="Found two parameters on different devices, this is currently not supported."):
        nn.utils.parameters_to_vector([a, b])
    with pytest.raises(TypeError, match="different devices"):
        nn.utils.vector_to_parameters(xptorch.ones(4), [b, a])
    assert float(to_numpy(b).sum()) == 2.0
