"""Tensor.register_hook, the building block for observing gradients, against torch 2.13."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def leaf(lib, values=(1.0, -2.0, 3.0)):
    return lib.tensor(list(values), requires_grad=True)


def test_leaf_hook_sees_the_gradient_and_can_replace_it():
    out = {}
    for lib in (torch, xptorch):
        w = leaf(lib)
        seen = []
        w.register_hook(lambda g: seen.append(g.clone()))
        w.register_hook(lambda g: g * 10)
        (w * w).sum().backward()
        out[lib.__name__] = (seen[0].tolist(), w.grad.tolist())
    assert out["xptorch"] == out["torch"] == ([2.0, -4.0, 6.0], [20.0, -40.0, 60.0])


def test_non_leaf_hook_replacement_flows_to_the_leaves():
    out = {}
    for lib in (torch, xptorch):
        w = leaf(lib)
        h = w * 3
        seen = []
        h.register_hook(lambda g: seen.append(g.tolist()))
        h.register_hook(lambda g: g + 1)
        (h * h).sum().backward()
        out[lib.__name__] = (seen, w.grad.tolist())
    assert out["xptorch"] == out["torch"]


def test_handle_remove_stops_the_hook():
    w = leaf(xptorch)
    calls = []
    handle = w.register_hook(lambda g: calls.append(1))
    w.sum().backward()
    handle.remove()
    w.sum().backward()
    assert calls == [1]
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_hook_on_tensor_without_grad_raises_like_torch():
    with pytest.raises(RuntimeError) as et:
        torch.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError) as ex:
        xptorch.ones(2).register_hook(lambda g: g)
    assert str(ex.value) == str(et.value)


def test_per_use_gradients_of_a_shared_layer_sum_to_its_grad():
    """Hooks on each use's output give each use's share of a tied weight's gradient."""
    results = {}
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((5, 4)).astype(np.float32)
    for lib in (torch, xptorch):
        lib.manual_seed(0)
        shared = lib.nn.Linear(4, 4)
        with lib.no_grad():
            shared.weight.copy_(lib.tensor(np.eye(4, dtype=np.float32) * 0.5 + 0.1))
            shared.bias.copy_(lib.tensor([0.1, -0.2, 0.3, 0.0]))
        uses = []

        def remember(module, args, out):
            use = {"x": args[0].detach()}
            out.register_hook(lambda g: use.__setitem__("g", g))
            uses.append(use)

        handle = shared.register_forward_hook(remember)
        y = shared(lib.relu(shared(lib.tensor(x_np))))
        (y ** 2).sum().backward()
        handle.remove()
        per_use = [u["g"].T @ u["x"] for u in uses]
        assert lib.allclose(per_use[0] + per_use[1], shared.weight.grad, atol=1e-5)
        results[lib.__name__] = [p.detach().cpu().numpy() for p in per_use]
    for a, b in zip(results["xptorch"], results["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
