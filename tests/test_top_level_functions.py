"""Top-level functions that are not ops of the op table: type names, the deprecation warning of
chain_matmul, the top-level nn forms' argument orders, windows' values beside torch's."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def test_typename():
    assert xptorch.typename(xptorch.ones(2)) == "xptorch.FloatTensor"
    assert xptorch.typename(xptorch.ones(2, dtype=xptorch.int64)) == "xptorch.LongTensor"
    assert xptorch.typename(3) == torch.typename(3) == "int"
    assert xptorch.typename(xptorch.nn.Linear(1, 1)) == "xptorch.nn.modules.linear.Linear"


def test_chain_matmul_warns_once_as_torch(monkeypatch):
    from xptorch import _functions

    monkeypatch.setattr(_functions, "_chain_matmul_warned", [])
    a, b = xptorch.ones(2, 3), xptorch.ones(3, 2)
    with warnings.catch_warnings(record=True) as first:
        warnings.simplefilter("always")
        xptorch.chain_matmul(a, b)
        xptorch.chain_matmul(a, b)
    assert len(first) == 1 and first[0].category is UserWarning
    assert str(first[0].message).startswith("torch.chain_matmul is deprecated and will be removed")


def test_top_level_dropout_and_pools_take_torchs_arguments(device):
    x = xptorch.arange(24.0, device=device).reshape(2, 3, 4)
    assert xptorch.dropout(x, 0.5, False) is x or xptorch.dropout(x, 0.5, False).equal(x)
    assert xptorch.dropout(x, 1.0, True).abs().sum().item() == 0
    y = xptorch.max_pool1d(x, 2, ())  # () is torch's default stride: the kernel size
    assert y.shape == (2, 3, 2)
    assert xptorch.max_pool1d_with_indices(x, 2)[1].dtype == xptorch.int64


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "bartlett_window", "blackman_window",
                                  "kaiser_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 64])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_as_torch(name, n, periodic, device):
    for dt in ("float32", "float64"):
        got = getattr(xptorch, name)(n, periodic, dtype=getattr(xptorch, dt), device=device)
        want = getattr(torch, name)(n, periodic, dtype=getattr(torch, dt))
        assert got.dtype == getattr(xptorch, dt) and got.shape == tuple(want.shape)
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=0, atol=4e-7 if dt == "float32" else 4e-15)


def test_window_errors_as_torch():
    for call in (lambda lib: lib.hann_window(-1), lambda lib: lib.hann_window(3, dtype=lib.int64),
                 lambda lib: lib.kaiser_window(4, beta=3.0)):
        with pytest.raises(Exception) as ours:
            call(xptorch)
        with pytest.raises(Exception) as theirs:
            call(torch)
        assert isinstance(ours.value, type(theirs.value)) or type(ours.value) is type(theirs.value)
