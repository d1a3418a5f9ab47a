"""Training loops keep memory flat: graphs are freed by reference counting, without cycles."""
import gc
import resource
import weakref

import xptorch
from xptorch import nn


def _net():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))


def _step(net, X):
    loss = ((net(X) - 1.0) ** 2).mean()
    loss.backward()
    with xptorch.no_grad():
        for p in net.parameters():
            p -= 0.01 * p.grad
    net.zero_grad()
    return loss.item()


def test_graph_is_freed_after_backward():
    net = _net()
    X = xptorch.rand(2, 4)
    out = net(X).sum()
    node = weakref.ref(out.grad_fn)
    inner = weakref.ref(out.grad_fn.next[0])
    out.backward()
    del out
    assert node() is None and inner() is None


def test_a_training_step_leaves_no_reference_cycles():
    net = _net()
    X = xptorch.rand(2, 4)
    _step(net, X)
    gc.collect()
    gc.disable()
    try:
        _step(net, X)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_peak_rss_is_flat_over_1000_steps():
    net = _net()
    X = xptorch.rand(16, 4)
    for _ in range(200):
        _step(net, X)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(1000):
        _step(net, X)
    growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert growth_kib < 1024, f"peak RSS grew by {growth_kib} KiB over 1000 steps"
