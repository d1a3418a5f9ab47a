"""Post-accumulate-grad hooks fire as soon as a leaf's gradient is complete; queued callbacks
run once at the end of backward. Orders and values are compared with torch."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def _tied_mlp(lib):
    """The notebooks' shared-layer MLP: one Linear(8, 8) used twice."""
    nn = lib.nn
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
    rng = np.random.default_rng(0)
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return net


def _tied_lm(lib):
    """An embedding whose weight is also the output projection (weight tying, as in language models)."""
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 6)
            self.hidden = nn.Linear(6, 6)
            self.out = nn.Linear(6, 10)
            self.out.weight = self.emb.weight

        def forward(self, idx):
            return self.out(lib.tanh(self.hidden(self.emb(idx))))

    net = LM()
    rng = np.random.default_rng(1)
    with lib.no_grad():
        for p in net.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return net


def _record(lib, net, batch):
    """Per firing: the parameter's name, its gradient then, and which other gradients existed then."""
    params = dict(net.named_parameters())
    log = []

    def hook(name):
        def fire(p):
            ready = sorted(n for n, q in params.items() if q.grad is not None)
            log.append((name, p.grad.detach().cpu().numpy().copy(), ready))
            lib.autograd.Variable._execution_engine.queue_callback(lambda: log.append(("callback", None, None)))

        return fire

    for name, p in params.items():
        p.register_post_accumulate_grad_hook(hook(name))
    out = net(batch)
    (out * out).sum().backward()
    final = {n: p.grad.detach().cpu().numpy() for n, p in params.items()}
    return log, final


@pytest.mark.parametrize("model", ["shared_mlp", "tied_embedding"])
def test_firing_order_and_values_match_torch(model):
    build = {"shared_mlp": _tied_mlp, "tied_embedding": _tied_lm}[model]
    if model == "shared_mlp":
        x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
        inputs = (xptorch.tensor(x), torch.tensor(x))
    else:
        idx = np.array([[1, 4, 4], [7, 0, 9]])
        inputs = (xptorch.tensor(idx), torch.tensor(idx))
    got, got_final = _record(xptorch, build(xptorch), inputs[0])
    want, want_final = _record(torch, build(torch), inputs[1])
    assert [e[0] for e in got] == [e[0] for e in want]
    # One firing per Parameter (a tied one too), then the callbacks each hook queued, at the end.
    n = len(got_final)
    assert [e[0] for e in got[:n]] == list(dict.fromkeys(e[0] for e in got[:n]))
    assert [e[0] for e in got[n:]] == ["callback"] * n
    for (name, g, ready), (_, tg, tready) in zip(got[:n], want[:n]):
        # The gradient is complete when the hook fires: equal to the final one, and to torch's.
        np.testing.assert_array_equal(g, got_final[name])
        np.testing.assert_allclose(g, tg, rtol=1e-5, atol=1e-6)
        assert ready == tready  # the same gradients exist at that moment: it fired during backward


def test_fires_before_earlier_layers_are_differentiated():
    net = _tied_mlp(xptorch)
    seen = {}
    net[6].weight.register_post_accumulate_grad_hook(lambda p: seen.setdefault("first", net[0].weight.grad))
    net(xptorch.rand(3, 4)).sum().backward()
    assert seen["first"] is None and net[0].weight.grad is not None


def test_tensor_hook_then_accumulate_then_post_hook_then_callback():
    for lib in (xptorch, torch):
        log = []
        w = lib.ones(2, requires_grad=True)
        w.register_hook(lambda g: log.append(("pre", g.tolist())))
        w.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.tolist())))
        w.register_post_accumulate_grad_hook(
            lambda p: lib.autograd.graph.queue_callback(lambda: log.append(("cb", p.grad.tolist())))
            if lib is xptorch else lib.autograd.Variable._execution_engine.queue_callback(
                lambda: log.append(("cb", p.grad.tolist()))))
        (w * 3).sum().backward()
        (w * 2).sum().backward()  # accumulates: the post hook sees the sum
        if lib is xptorch:
            got = log
        else:
            want = log
    assert got == want == [("pre", [3.0, 3.0]), ("post", [3.0, 3.0]), ("cb", [3.0, 3.0]),
                           ("pre", [2.0, 2.0]), ("post", [5.0, 5.0]), ("cb", [5.0, 5.0])]


def test_leaves_of_one_node_and_of_sums_fire_like_torch():
    def run(lib, f):
        a, b = (lib.ones(1, 2, requires_grad=True) for _ in range(2))
        c = lib.ones(1, requires_grad=True)
        log = []
        for n, t in zip("abc", (a, b, c)):
            t.register_post_accumulate_grad_hook(lambda p, n=n: log.append(n))
        f(lib, a, b, c).sum().backward()
        return log

    cases = [
        lambda lib, a, b, c: a * b,
        lambda lib, a, b, c: a + b + c,
        lambda lib, a, b, c: (a * c) * (b * c),
        lambda lib, a, b, c: lib.nn.functional.linear(a, b, c),  # bias, input, weight
        lambda lib, a, b, c: lib.nn.functional.linear(a, b, c) + lib.nn.functional.linear(b, a, c),
    ]
    for f in cases:
        assert run(xptorch, f) == run(torch, f)


def test_in_place_edit_in_a_hook_does_not_leak_into_other_gradients():
    # a + b hands one array to both leaves and to the rest of the graph; a hook that scales
    # a.grad in place (as data-parallel averaging does) must change a.grad only.
    def run(lib):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        a.register_post_accumulate_grad_hook(lambda p: [p.grad.mul_(10)] and None)
        s = a + b
        (s * s.detach() + s).sum().backward()
        return a.grad.tolist(), b.grad.tolist()

    assert run(xptorch) == run(torch)


def test_fires_once_per_backward_and_not_for_autograd_grad():
    w = xptorch.ones(3, requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad.sum().item()))
    y = (w * w).sum() + (w * 2).sum()  # three uses of w in one backward
    y.backward()
    assert calls == [12.0]
    xptorch.autograd.grad((w * 2).sum(), w)
    assert calls == [12.0]
    (w * 2).sum().backward(inputs=[w])
    assert calls == [12.0, 18.0]
    handle.remove()
    (w * 2).sum().backward()
    assert calls == [12.0, 18.0]


def test_unused_parameter_does_not_fire():
    a, b = xptorch.ones(2, requires_grad=True), xptorch.ones(2, requires_grad=True)
    calls = []
    b.register_post_accumulate_grad_hook(calls.append)
    (a * 2).sum().backward()
    assert calls == [] and b.grad is None


def test_callback_order_and_nesting():
    log = []
    w = xptorch.ones(1, requires_grad=True)

    def hook(p):
        log.append("hook")
        xptorch.autograd.graph.queue_callback(lambda: log.append("cb1"))
        xptorch.autograd.Variable._execution_engine.queue_callback(
            lambda: (log.append("cb2"), xptorch.autograd.graph.queue_callback(lambda: log.append("cb3"))))

    w.register_post_accumulate_grad_hook(hook)
    (w * 2).sum().backward()
    assert log == ["hook", "cb1", "cb2", "cb3"]
    log.clear()
    (w * 2).sum().backward()  # nothing left over from the last backward
    assert log == ["hook", "cb1", "cb2", "cb3"]


def test_callback_outside_backward_is_refused():
    for lib in (xptorch, torch):
        with pytest.raises(RuntimeError, match="^Final callbacks can only be installed during backward pass.$"):
            lib.autograd.Variable._execution_engine.queue_callback(lambda: None)
    with pytest.raises(RuntimeError, match="during backward pass"):
        xptorch.autograd.graph.queue_callback(lambda: None)


def test_exceptions_in_hooks_and_callbacks_propagate_like_torch():
    def run(lib, hook, queue=False):
        w = lib.ones(2, requires_grad=True)
        if queue:
            w.register_post_accumulate_grad_hook(
                lambda p: lib.autograd.Variable._execution_engine.queue_callback(hook))
        else:
            w.register_post_accumulate_grad_hook(hook)
        with pytest.raises(Exception) as info:
            (w * 3).sum().backward()
        return type(info.value), str(info.value), w.grad.tolist()

    assert run(xptorch, lambda p: 5) == run(torch, lambda p: 5)
    assert run(xptorch, lambda p: p * 2) == run(torch, lambda p: p * 2)
    assert run(xptorch, lambda: 1 / 0, queue=True) == run(torch, lambda: 1 / 0, queue=True)
    # A failed backward leaves no callback queue behind.
    with pytest.raises(RuntimeError, match="during backward pass"):
        xptorch.autograd.graph.queue_callback(lambda: None)


def test_registration_errors_match_torch():
    for lib in (xptorch, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="^cannot register a hook on a tensor that doesn't require gradient$"):
            lib.ones(2).register_post_accumulate_grad_hook(lambda p: None)
        with pytest.raises(RuntimeError, match="^post accumulate grad hooks cannot be registered on non-leaf tensors$"):
            (x * 2).register_post_accumulate_grad_hook(lambda p: None)


def test_variable_is_the_tensor_type():
    t = xptorch.ones(2)
    v = xptorch.autograd.Variable(t, requires_grad=True)
    assert isinstance(t, xptorch.autograd.Variable) and v.requires_grad and v is not t
    assert not isinstance(3, xptorch.autograd.Variable)


def test_create_graph_backward_runs_post_hooks_and_callbacks_once():
    log = []
    w = xptorch.tensor([1.0, 2.0], requires_grad=True)

    def hook(p):
        log.append(("post", p.grad.tolist()))
        xptorch.autograd.graph.queue_callback(lambda: log.append("cb"))

    w.register_post_accumulate_grad_hook(hook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's reference-cycle warning for create_graph
        (w ** 3).sum().backward(create_graph=True)
    assert log == [("post", [3.0, 12.0]), "cb"]


def test_checkpointed_segment_fires_each_parameter_once_with_its_full_gradient():
    from xptorch.utils.checkpoint import checkpoint

    xptorch.manual_seed(0)
    inner, outer = xptorch.nn.Linear(3, 3), xptorch.nn.Linear(3, 1)
    seen = {}
    for name, p in [("inner.weight", inner.weight), ("inner.bias", inner.bias), ("outer.weight", outer.weight)]:
        p.register_post_accumulate_grad_hook(lambda p, name=name: seen.setdefault(name, []).append(p.grad.clone()))
    x = xptorch.rand(4, 3)
    outer(xptorch.tanh(checkpoint(inner, x, use_reentrant=False))).sum().backward()
    assert sorted(seen) == ["inner.bias", "inner.weight", "outer.weight"]
    assert all(len(v) == 1 for v in seen.values())
    assert xptorch.equal(seen["inner.weight"][0], inner.weight.grad)
    ref = [p.grad.clone() for p in (inner.weight, inner.bias)]
    inner.zero_grad()
    outer(xptorch.tanh(inner(x))).sum().backward()
    assert xptorch.allclose(ref[0], inner.weight.grad) and xptorch.allclose(ref[1], inner.bias.grad)
