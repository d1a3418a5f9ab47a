"""CUDA tensors under CuPy's rules (the strict stand-in without a GPU): host values, NumPy operands,
CuPy's flags, and out-of-range indices reported as device-side asserts at the next sync."""
import numpy as np
import pytest

import xptorch
from xptorch.backend import device_assert

torch = pytest.importorskip("torch")


@pytest.fixture
def cuda(simulated_cuda):
    device_assert.clear()
    yield simulated_cuda
    device_assert.clear()


def t(data, **kw):
    return xptorch.tensor(data, device="cuda", **kw)


@pytest.mark.parametrize("value", [[5.0, 6.0], np.array([5.0, 6.0]), (5.0, 6.0)])
def test_slice_assignment_from_host_values(cuda, value):
    x = t([1.0, 2.0, 3.0])
    x[0:2] = value
    assert x.tolist() == [5.0, 6.0, 3.0]


def test_advanced_assignment_shape_error_is_pytorchs(cuda):
    x = t([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[3\] cannot be broadcast"):
        x[t([0, 1])] = t([5.0, 6.0, 7.0])
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_first_gradient_and_autograd_grad_on_cuda(cuda):
    w = t([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    (g,) = xptorch.autograd.grad((w.expand(3, 2)).sum(), w)
    assert g.tolist() == [3.0, 3.0]


def test_logical_ops_take_scalars_and_cpu_scalars(cuda):
    a = t([True, False])
    assert a.logical_and(True).tolist() == [True, False]
    assert a.logical_or(xptorch.tensor(True)).tolist() == [True, True]
    with pytest.raises(RuntimeError, match="cuda:0 and cpu"):
        a.logical_or(xptorch.tensor([False, True]))


def test_numpy_operand_is_a_cpu_tensor(cuda):
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        t([1.0, 2.0]) + np.array([1.0, 2.0])
    assert (t([1.0, 2.0]) + np.array(1.0)).tolist() == [2.0, 3.0]


def test_embedding_backward_with_repeated_rows(cuda):
    emb = xptorch.nn.Embedding(4, 2).to("cuda")
    emb(t([1, 1, 3])).sum().backward()
    assert emb.weight.grad.tolist() == [[0, 0], [2, 2], [0, 0], [1, 1]]


@pytest.mark.parametrize("op", ["get", "set", "backward"])
def test_out_of_range_index_raises_at_the_next_sync(cuda, op):
    x = t([1.0, 2.0], requires_grad=op == "backward")
    idx = t([0, 5])
    if op == "get":
        y = x[idx]
    elif op == "set":
        x[idx] = 3.0
        y = x
    else:
        x[idx].sum().backward()
        y = x.grad
    with pytest.raises(RuntimeError, match="device-side assert triggered: index out of bounds for dimension 0"):
        y.tolist()
    assert device_assert.pending() == 0
    assert x.detach().sum().item() > 0  # reported once


def test_negative_in_range_index_is_fine(cuda):
    x = t([1.0, 2.0])
    assert x[t([-2, -1])].tolist() == [1.0, 2.0]
    assert device_assert.pending() == 0


def test_anomaly_mode_raises_at_the_failing_op(cuda):
    x = t([1.0, 2.0])
    with xptorch.autograd.set_detect_anomaly(True):
        with pytest.raises(RuntimeError, match="index out of bounds"):
            x[t([2])]
    assert device_assert.pending() == 0


def test_overlapping_slice_assignment_is_refused_on_cuda(cuda):
    x = t([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        x[1:] = x[:-1]
    x[...] = x
    assert x.tolist() == [1.0, 2.0, 3.0]
