"""autograd.graph's GradientEdge / get_gradient_edge (as inputs of grad and backward),
increment_version and register_multi_grad_hook, compared with torch."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import error_of  # noqa: E402


def _leaves(lib, device, *shapes, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for s in shapes:
        a = rng.uniform(-1, 1, s).astype(np.float32)
        out.append(torch.tensor(a, requires_grad=True) if lib is torch
                   else xptorch.tensor(a, device=device, requires_grad=True))
    return out


def _np(t):
    return None if t is None else t.detach().cpu().numpy()



def test_gradient_edge_as_inputs(device):
    def run(lib, dev):
        g = lib.autograd.graph
        E = g.get_gradient_edge
        a, w = _leaves(lib, dev, (3,), (3,))
        y = a * 2
        z = (y * y.exp()).sum()
        out = {}
        out["grads"] = [_np(t) for t in lib.autograd.grad(z, [E(y), E(a), y], retain_graph=True)]
        out["meta"] = (type(E(a).node).__name__, E(a).output_nr, E(y).output_nr, E(y).node is y.grad_fn,
                       isinstance(E(a), tuple), g.GradientEdge._fields)
        out["unused"] = error_of(lambda: lib.autograd.grad(z, [E(w)], retain_graph=True))
        out["allow"] = lib.autograd.grad(z, [E(w), w], retain_graph=True, allow_unused=True)
        out["materialize"] = [error_of(lambda: lib.autograd.grad(z, [E(e)], retain_graph=True, materialize_grads=True))
                              for e in (a, w)]  # refused only where no gradient arrives
        out["no_grad"] = error_of(lambda: E(a.detach()))
        z.backward(inputs=[E(a)], retain_graph=True)
        out["leaf"] = _np(a.grad)
        a.grad = None
        z.backward(inputs=[E(y)], retain_graph=True)  # a computed tensor's edge: nothing accumulates
        out["computed"] = a.grad
        gg = lib.autograd.grad(z, E(y), create_graph=True)[0]
        gg.sum().backward()
        out["create_graph"] = _np(a.grad)
        return out

    x, t = run(xptorch, device), run(torch, "cpu")
    for p, q in zip(x["grads"], t["grads"]):
        np.testing.assert_allclose(p, q, rtol=1e-5)
    np.testing.assert_allclose(x["leaf"], t["leaf"], rtol=1e-5)
    np.testing.assert_allclose(x["create_graph"], t["create_graph"], rtol=1e-5)
    for k in ("meta", "unused", "allow", "materialize", "no_grad", "computed"):
        assert x[k] == t[k], k
    assert t["unused"] and t["materialize"][1] and t["no_grad"]


def test_increment_version(device):
    def run(lib, dev):
        a, = _leaves(lib, dev, (3,))
        y = a.exp()  # saves its output
        versions = [y._version]
        lib.autograd.graph.increment_version(y)
        lib.autograd.graph.increment_version([y, y])
        versions.append(y._version)
        err = error_of(y.sum().backward)
        return versions, err and err[0]

    assert run(xptorch, device) == run(torch, "cpu")


def _multi_log(lib, dev, mode):
    a, b = _leaves(lib, dev, (2, 3), (2, 3))
    c = a * b
    d = a * b
    log = []

    def fn(arg):
        if mode == "all":
            log.append(["-" if g is None else _np(g).round(5).tolist() for g in arg])
        else:
            log.append(_np(arg).round(5).tolist())

    h = lib.autograd.graph.register_multi_grad_hook((a, b, c, d), fn, mode=mode)
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    (2 * c + 3 * d).sum().backward(retain_graph=True)
    # autograd.grad: torch cannot tell whether a leaf's gradient will be computed, and says so
    log.append(error_of(lambda: lib.autograd.grad((c * d).sum(), [b], retain_graph=True)))
    h.remove()
    d.sum().backward()
    return log


@pytest.mark.parametrize("mode", ["all", "any"])
def test_multi_grad_hook(device, mode):
    """Fired once per backward: "all" once every reached tensor has its gradient (None for the rest,
    and for tensors not needed by `inputs`), "any" with the first gradient; remove() stops it."""
    x, t = _multi_log(xptorch, device, mode), _multi_log(torch, "cpu", mode)
    assert x == t and len(t) >= 4


def test_multi_grad_hook_errors(device):
    def run(lib, dev):
        a, = _leaves(lib, dev, (3,))
        f = lib.autograd.graph.register_multi_grad_hook
        return [error_of(lambda: f([a], print, mode="every")), error_of(lambda: f([a, a.detach()], print))]

    x, t = run(xptorch, device), run(torch, "cpu")
    assert x == t and all(t)
