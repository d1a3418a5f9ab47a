"""utils.checkpoint: gradients bit-identical to the plain run (dropout included), torch-equal values,
parameters reached through the recomputation, and a measured drop in peak memory."""
import tracemalloc

import numpy as np
import pytest

import xptorch
from xptorch.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")
from oracle import to_numpy  # noqa: E402


def _blocks(lib, n=4, width=8, p=0.3, seed=0):
    nn = lib.nn
    blocks = [nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Dropout(p)) for _ in range(n)]
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for b in blocks:
            for prm in b.parameters():
                prm.copy_(lib.tensor(rng.standard_normal(tuple(prm.shape)).astype("float32") * 0.3))
    return blocks


def _run(lib, use_ckpt, p=0.3, ck=None):
    blocks = _blocks(lib, p=p)
    x = lib.tensor(np.random.default_rng(1).standard_normal((5, 8)).astype("float32"), requires_grad=True)
    lib.manual_seed(7)
    h = x
    for b in blocks:
        h = ck(b, h, use_reentrant=False) if use_ckpt else b(h)
    loss = h.pow(2).sum()
    loss.backward()
    return [to_numpy(loss.detach()), to_numpy(x.grad)] + [to_numpy(q.grad) for b in blocks for q in b.parameters()]


def test_gradients_bit_identical_to_plain_run_with_dropout():
    plain = _run(xptorch, False)
    ckpt = _run(xptorch, True, ck=checkpoint)
    for a, b in zip(plain, ckpt):
        assert np.array_equal(a, b)


def test_matches_torch_without_dropout():
    got = _run(xptorch, True, p=0.0, ck=checkpoint)
    want = _run(torch, True, p=0.0, ck=torch.utils.checkpoint.checkpoint)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_autograd_grad_reaches_parameters_without_touching_grad():
    lin = xptorch.nn.Linear(3, 2)
    x = xptorch.randn(4, 3)
    y = checkpoint(lambda t: lin(t).tanh(), x, use_reentrant=False)
    assert y.requires_grad
    gw, gb = xptorch.autograd.grad(y.sum(), (lin.weight, lin.bias))
    (rw, rb) = xptorch.autograd.grad(lin(x).tanh().sum(), (lin.weight, lin.bias))
    assert np.array_equal(to_numpy(gw), to_numpy(rw)) and np.array_equal(to_numpy(gb), to_numpy(rb))
    assert lin.weight.grad is None


def test_several_outputs_kwargs_and_non_tensor_args():
    res = []
    for lib, ck in ((torch, torch.utils.checkpoint.checkpoint), (xptorch, checkpoint)):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)

        def f(u, k, v, scale=1.0):
            return (u * v * k * scale).exp(), u.sin() - v, 3

        o1, o2, o3 = ck(f, a, 2.0, b, use_reentrant=False, scale=0.5)
        assert o3 == 3
        (o1.sum() + (o2 ** 2).sum()).backward()
        res.append([to_numpy(o1.detach()), to_numpy(a.grad), to_numpy(b.grad)])
    for x, t in zip(res[1], res[0]):
        np.testing.assert_allclose(x, t, rtol=1e-6)


def _penalty_derivatives(lib, ck, xa, weights, p=0.0):
    """Second and third derivatives of a gradient penalty through a checkpointed block (float64)."""
    nn = lib.nn
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Dropout(p), nn.Linear(5, 2))
    net = net.double()
    params = list(net.parameters())
    with lib.no_grad():
        for prm, w in zip(params, weights):
            prm.copy_(lib.tensor(w))
    x = lib.tensor(xa, requires_grad=True)
    s = lib.tensor([0.5, -1.5], dtype=lib.float64, requires_grad=True)

    def block(u, k, v):
        h = net(u) * k
        return h.sin() * v, h[:, :1] ** 2

    lib.manual_seed(3)
    y, z = ck(block, x, 2.0, s, use_reentrant=False) if ck else block(x, 2.0, s)
    xs = [x, s] + params
    g1 = lib.autograd.grad((y ** 2).sum() + z.sum(), xs, create_graph=True)
    g2 = lib.autograd.grad(sum((g * g).sum() for g in g1), xs, create_graph=True)
    g3 = lib.autograd.grad(sum(g.sin().sum() for g in g2), xs)
    return [to_numpy(g.detach()) for g in g1 + g2 + g3]


def _penalty_case():
    rng = np.random.default_rng(2)
    weights = [rng.standard_normal(s) * 0.5 for s in [(5, 3), (5,), (2, 5), (2,)]]
    return rng.standard_normal((4, 3)), weights


def test_second_and_third_derivatives_through_checkpoint_match_torch():
    xa, weights = _penalty_case()
    got = _penalty_derivatives(xptorch, checkpoint, xa, weights)
    want = _penalty_derivatives(torch, torch.utils.checkpoint.checkpoint, xa, weights)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_second_derivatives_through_checkpoint_with_dropout_equal_plain_run():
    # The recomputation under create_graph restores the RNG state too: the same dropout mask.
    xa, weights = _penalty_case()
    got = _penalty_derivatives(xptorch, checkpoint, xa, weights, p=0.4)
    want = _penalty_derivatives(xptorch, None, xa, weights, p=0.4)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)  # a different mask is far off


def test_only_one_output_used():
    a = xptorch.tensor([1.0, 2.0], requires_grad=True)
    o1, o2 = checkpoint(lambda u: (u * 2, u * 3), a, use_reentrant=False)
    o2.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


def test_no_grad_mode_and_no_requiring_inputs_record_nothing():
    x = xptorch.ones(2)
    assert checkpoint(lambda t: t * 2, x, use_reentrant=False).grad_fn is None
    w = xptorch.ones(2, requires_grad=True)
    with xptorch.no_grad():
        assert checkpoint(lambda t: t * w, x, use_reentrant=False).grad_fn is None


def test_use_reentrant_must_be_explicit_and_bad_determinism_check():
    for lib, ck in ((torch, torch.utils.checkpoint.checkpoint), (xptorch, checkpoint)):
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            ck(lambda t: t * 2, lib.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(lambda t: t, xptorch.ones(1), use_reentrant=False, determinism_check="x")


def test_checkpoint_sequential_matches_plain():
    nn = xptorch.nn
    xptorch.manual_seed(0)
    model = nn.Sequential(*[nn.Linear(6, 6) if i % 2 == 0 else nn.ReLU() for i in range(8)])
    x = xptorch.randn(3, 6, requires_grad=True)
    model(x).sum().backward()
    plain = [to_numpy(p.grad).copy() for p in model.parameters()] + [to_numpy(x.grad).copy()]
    model.zero_grad()
    x.grad = None
    checkpoint_sequential(model, 2, x, use_reentrant=False).sum().backward()
    got = [to_numpy(p.grad) for p in model.parameters()] + [to_numpy(x.grad)]
    for a, b in zip(plain, got):
        assert np.array_equal(a, b)


def _mlp_step_peak(use_ckpt, segments=4, layers=20, width=64, batch=2048):
    nn = xptorch.nn
    xptorch.manual_seed(0)
    mods = []
    for _ in range(layers):
        mods += [nn.Linear(width, width), nn.ReLU()]
    model = nn.Sequential(*mods)
    x = xptorch.randn(batch, width)

    def step():
        out = checkpoint_sequential(model, segments, x, use_reentrant=False) if use_ckpt else model(x)
        out.pow(2).mean().backward()

    if x.device.type == "cuda" and xptorch.backend._simulated is None:
        # On a GPU the activations live in device memory, out of tracemalloc's sight: the allocator's peak.
        xptorch.cuda.synchronize()
        base = xptorch.cuda.memory_allocated()
        xptorch.cuda.reset_peak_memory_stats()
        step()
        peak = xptorch.cuda.max_memory_allocated() - base
    else:
        tracemalloc.start()
        try:
            step()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return peak, [to_numpy(p.grad) for p in model.parameters()]


def test_peak_memory_of_20_layer_mlp_drops_by_40_percent():
    plain, g_plain = _mlp_step_peak(False)
    ckpt, g_ckpt = _mlp_step_peak(True)
    assert ckpt <= 0.6 * plain, (ckpt, plain)
    for a, b in zip(g_plain, g_ckpt):
        assert np.array_equal(a, b)
