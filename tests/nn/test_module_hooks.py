"""Module hooks against torch 2.13: forward pre-hooks, forward hooks, full backward hooks and their
pre-hooks; values of grad_input/grad_output on a Linear and a Sequential, replacement, ordering,
removal, and the errors and warnings PyTorch gives."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import assert_same_error, xp_message  # noqa: E402


def show(v):
    """A comparable picture of hook arguments: tensors as rounded lists, containers recursively."""
    if isinstance(v, (torch.Tensor, xptorch.Tensor)):
        return ("T", tuple(v.shape), np.round(v.detach().cpu().numpy().astype(np.float64), 5).tolist())
    if isinstance(v, (tuple, list)):
        return type(v).__name__, [show(x) for x in v]
    if isinstance(v, dict):
        return {k: show(x) for k, x in v.items()}
    return v


def both(fn):
    """fn(lib) for torch then xptorch, with xptorch's parameters copied from torch's; results compared."""
    torch.manual_seed(0)
    t = fn(torch, None)
    x = fn(xptorch, t.pop("module"))
    x.pop("module")
    assert show(x) == show(t)
    return x


def mirror(lib, reference, build):
    """build(lib); when reference (a torch module) is given, copy its parameter values in."""
    m = build(lib)
    if reference is not None:
        with xptorch.no_grad():
            for p, q in zip(m.parameters(), reference.parameters()):
                p.copy_(xptorch.tensor(q.detach().cpu().numpy()))
    return m


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


X = [[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]


# ---- forward pre-hooks and forward hooks ------------------------------------------------------------

def test_order_prepend_and_removal():
    def run(lib, ref):
        m = mirror(lib, ref, lambda lib: lib.nn.Linear(3, 2))
        log = []
        h1 = m.register_forward_pre_hook(lambda mod, a: log.append(("pre1", type(a).__name__, len(a))))
        h2 = m.register_forward_pre_hook(lambda mod, a: log.append("pre0"), prepend=True)
        h3 = m.register_forward_hook(lambda mod, a, o: log.append(("fwd", tuple(o.shape))))
        h4 = m.register_forward_hook(lambda mod, a, o: log.append("fwd0"), prepend=True)
        x = lib.ones(1, 3)
        m(x)
        h2.remove(), h4.remove()
        m(x)
        h1.remove(), h3.remove(), h3.remove()
        m(x)
        with m.register_forward_hook(lambda *a: log.append("ctx")):
            m(x)
        m(x)
        return {"module": m, "log": log, "left": (len(m._forward_hooks), len(m._forward_pre_hooks))}

    both(run)


@pytest.mark.parametrize("ret", ["tuple", "single"])
def test_pre_hook_replaces_arguments(ret):
    def run(lib, ref):
        m = mirror(lib, ref, lambda lib: lib.nn.Linear(3, 2))
        if ret == "tuple":
            m.register_forward_pre_hook(lambda mod, a: (a[0] * 2,))
        else:
            m.register_forward_pre_hook(lambda mod, a: a[0] * 2)
        seen = []
        m.register_forward_hook(lambda mod, a, o: seen.append(a))
        return {"module": m, "out": m(lib.tensor(X)), "seen": seen}

    both(run)


def test_forward_hook_replaces_output_and_sees_kwargs():
    def run(lib, ref):
        class Scale(lib.nn.Module):
            def forward(self, x, scale=1.0):
                return x * scale

        m = Scale()
        seen = []
        m.register_forward_pre_hook(lambda mod, a, k: ((a[0] + 1,), {"scale": 3.0}), with_kwargs=True)
        m.register_forward_hook(lambda mod, a, k, o: seen.append((a, k, o)), with_kwargs=True)
        m.register_forward_hook(lambda mod, a, o: o - 1)
        out = m(lib.ones(2), scale=2.0)
        return {"module": None, "out": out, "seen": seen}

    both(run)


def test_with_kwargs_pre_hook_must_return_a_pair():
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x):
                return x

        m = M()
        m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        m(lib.ones(2))

    with pytest.raises(RuntimeError) as t:
        run(torch)
    assert_same_error(t.value, lambda: run(xptorch))


def test_always_call_hook_runs_when_forward_raises():
    def run(lib, ref):
        m = mirror(lib, ref, lambda lib: lib.nn.Linear(3, 2))
        log = []
        m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
        m.register_forward_hook(lambda mod, a, o: log.append("normal"))
        try:
            m(lib.ones(2, 5))
        except RuntimeError as e:
            log.append(str(e).replace("torch", "xptorch"))
        m(lib.ones(1, 3))
        return {"module": m, "log": [e if isinstance(e, str) else e[0] for e in log]}

    both(run)


def test_hooks_on_children_of_a_sequential():
    def run(lib, ref):
        net = mirror(lib, ref, mlp)
        log = []
        for i, m in enumerate(net):
            m.register_forward_hook(lambda mod, a, o, i=i: log.append((i, type(mod).__name__, o)))
        out = net(lib.tensor(X))
        return {"module": net, "log": log, "out": out}

    both(run)


def test_no_hooks_keeps_the_plain_call():
    m = xptorch.nn.Linear(3, 2)
    h = m.register_forward_hook(lambda *a: None)
    h.remove()
    y = m(xptorch.ones(1, 3, requires_grad=True))
    assert y.grad_fn.name() == "AddmmBackward0"


# ---- full backward hooks ---------------------------------------------------------------------------------

def _grads(lib, m, x):
    return {"x": x.grad, "params": [p.grad for p in m.parameters()]}


@pytest.mark.parametrize("x_grad", [True, False])
def test_full_backward_hook_on_a_linear(x_grad):
    def run(lib, ref):
        m = mirror(lib, ref, lambda lib: lib.nn.Linear(3, 2))
        log = []
        m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        x = lib.tensor(X, requires_grad=x_grad)
        y = m(x)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            (y * lib.tensor([[2.0, 3.0]])).sum().backward()
        msgs = [str(v.message).split(". See")[0] for v in w]
        return {"module": m, "log": log, "name": y.grad_fn.name(), "warn": msgs, **_grads(lib, m, x)}

    out = both(run)
    if not x_grad:
        assert out["warn"] == ["Full backward hook is firing when gradients are computed with respect to "
                               "module outputs since no inputs require gradients"]


def test_full_backward_hooks_on_a_sequential_and_its_children():
    def run(lib, ref):
        net = mirror(lib, ref, mlp)
        log = []
        net.register_full_backward_hook(lambda m, gi, go: log.append(("seq", gi, go)))
        net[2].register_full_backward_hook(lambda m, gi, go: log.append(("last", gi, go)))
        net[1].register_full_backward_hook(lambda m, gi, go: log.append(("relu", gi, go)))
        net[0].register_full_backward_hook(lambda m, gi, go: log.append(("first", gi, go)))
        x = lib.tensor(X, requires_grad=True)
        y = net(x)
        y.pow(2).sum().backward()
        return {"module": net, "log": log, "name": y.grad_fn.name(), **_grads(lib, net, x)}

    both(run)


def test_backward_hook_replaces_grad_input_and_chains():
    def run(lib, ref):
        net = mirror(lib, ref, mlp)
        log = []
        net[2].register_full_backward_hook(lambda m, gi, go: log.append("a"))
        net[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
        net[2].register_full_backward_hook(lambda m, gi, go: log.append(("c", gi)))
        net[2].register_full_backward_hook(lambda m, gi, go: log.append("first"), prepend=True)
        net[0].register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
        x = lib.tensor(X, requires_grad=True)
        net(x).sum().backward()
        return {"module": net, "log": log, **_grads(lib, net, x)}

    both(run)


def test_backward_pre_hook_replaces_grad_output():
    def run(lib, ref):
        net = mirror(lib, ref, mlp)
        log = []
        net[2].register_full_backward_pre_hook(lambda m, go: log.append(("pre", go)))
        net[2].register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        net[2].register_full_backward_hook(lambda m, gi, go: log.append(("full", gi, go)))
        x = lib.tensor(X, requires_grad=True)
        net(x).sum().backward()
        return {"module": net, "log": log, **_grads(lib, net, x)}

    both(run)


def test_removed_backward_hook_does_not_fire_and_accumulation_continues():
    def run(lib, ref):
        m = mirror(lib, ref, lambda lib: lib.nn.Linear(3, 2))
        log = []
        h = m.register_full_backward_hook(lambda mod, gi, go: log.append(gi))
        x = lib.tensor(X, requires_grad=True)
        m(x).sum().backward()
        h.remove()
        m(x).sum().backward()
        return {"module": m, "log": log, **_grads(lib, m, x)}

    both(run)


def test_several_inputs_and_outputs():
    def run(lib, ref):
        class Mix(lib.nn.Module):
            def forward(self, a, k, b, c):
                return a * b * k, (a + c).sum(), "tag"

        m = Mix()
        log = []
        m.register_full_backward_hook(lambda mod, gi, go: log.append((gi, go)))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, -1.0], requires_grad=True)
        c = lib.tensor([0.5, 0.5])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the non-tensor output warns in both libraries
            p, q, tag = m(a, 2.0, b, c)
        (p.sum() * 2).backward()
        return {"module": None, "log": log, "a": a.grad, "b": b.grad, "tag": tag}

    both(run)


def test_wrong_number_of_grad_inputs():
    def run(lib):
        m = lib.nn.Linear(3, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        m(lib.ones(1, 3, requires_grad=True)).sum().backward()

    with pytest.raises(RuntimeError) as t:
        run(torch)
    err = assert_same_error(t.value, lambda: run(xptorch))
    assert str(err) == "Backward hook returned an invalid number of grad_input, got 2, but expected 1"


def test_wrong_number_of_grad_outputs():
    def run(lib):
        m = lib.nn.Linear(3, 2)
        m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
        m(lib.ones(1, 3, requires_grad=True)).sum().backward()

    with pytest.raises(RuntimeError) as t:
        run(torch)
    assert_same_error(t.value, lambda: run(xptorch))


def test_no_input_requires_grad_hook_must_not_return_gradients():
    def run(lib):
        m = lib.nn.Linear(3, 2)
        m.register_full_backward_hook(lambda mod, gi, go: (lib.ones(1, 3),))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m(lib.ones(1, 3)).sum().backward()

    with pytest.raises(RuntimeError) as t:
        run(torch)
    assert_same_error(t.value, lambda: run(xptorch))


def test_non_tensor_output_warns():
    def run(lib):
        class M(lib.nn.Module):
            def forward(self, x):
                return [x * 2]

        m = M()
        m.register_full_backward_hook(lambda *a: None)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(lib.ones(2, requires_grad=True))
        return [xp_message(str(v.message)) for v in w]

    assert run(xptorch) == run(torch)


def test_backward_hook_on_device(device):
    m = xptorch.nn.Linear(3, 2).to(device)
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi[0].device.type, go[0].device.type)))
    x = xptorch.ones(2, 3, device=device, requires_grad=True)
    m(x).sum().backward()
    assert seen == [(device, device)] and x.grad.device.type == device


def test_full_backward_hooks_under_create_graph_match_torch():
    """Under create_graph the hooks see gradients with their graphs, and what they return is differentiated
    again; the second backward runs them once more, on plain gradients, as in torch."""
    from oracle import to_numpy

    a = np.random.default_rng(0).standard_normal((3, 4))
    res = []
    for lib in (torch, xptorch):
        lin = lib.nn.Linear(4, 2).double()
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(np.arange(8.0).reshape(2, 4) / 10))
            lin.bias.fill_(0.1)
        seen = []

        def hook(m, gi, go):
            seen.append((gi[0].requires_grad, go[0].requires_grad))
            return (gi[0] * 2,)

        lin.register_full_backward_hook(hook)
        lin.register_full_backward_pre_hook(lambda m, go: (go[0] * go[0],))
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad((lin(x).tanh() ** 2).sum(), x, create_graph=True)
        g2 = lib.autograd.grad((g ** 2).sum(), [x, lin.weight, lin.bias])
        res.append((seen, [to_numpy(t) for t in g2]))
    assert res[1][0] == res[0][0] == [(True, True), (False, False)]
    for u, v in zip(res[1][1], res[0][1]):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
