"""Saved-tensor hooks (autograd.graph.saved_tensors_hooks and friends): which tensors reach the pack
hook, in what order, how often unpack runs, and the errors, compared with torch."""
import contextlib

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
        if lib is torch:
            out.append(torch.tensor(a, requires_grad=True))
        else:
            out.append(xptorch.tensor(a, device=device, requires_grad=True))
    return out


def _np(t):
    return t.detach().cpu().numpy()


def _name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def _chain(lib, a, b, c):
    y = (a * b).exp()
    z = lib.sin(y).tanh()
    return (z @ c).pow(2).sum()


def _logged(lib, device, fn, backwards=2):
    """The hook calls of fn's forward and of `backwards` backward passes, with the gradients."""
    log = []
    leaves = _leaves(lib, device, (2, 3), (2, 3), (3, 2))

    def pack(t):
        which = next((i for i, x in enumerate(leaves) if x is t), None)
        log.append(("pack", tuple(t.shape), _name(t), t.requires_grad, which, lib.is_grad_enabled()))
        return ("packed", t)

    def unpack(p):
        log.append(("unpack", tuple(p[1].shape), lib.is_grad_enabled()))
        return p[1]

    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        loss = fn(lib, *leaves)
    log.append("forward done")
    for i in range(backwards):
        loss.backward(retain_graph=i + 1 < backwards)
        log.append("backward done")
    return log, [_np(x.grad) for x in leaves]


def test_pack_unpack_calls_as_torch(device):
    """Pack once per saved tensor, in forward order, seeing the caller's own tensors, grad mode off;
    unpack on every backward (again after retain_graph); the gradients unchanged."""
    xlog, xg = _logged(xptorch, device, _chain)
    tlog, tg = _logged(torch, "cpu", _chain)
    assert xlog == tlog
    assert sum(e[0] == "pack" for e in tlog if isinstance(e, tuple)) >= 5
    for a, b in zip(xg, tg):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_non_tensor_packed_object(device):
    """pack may return any object (here a key into a store); unpack turns it back into a tensor."""

    def run(lib, dev):
        a, b, c = _leaves(lib, dev, (2, 3), (2, 3), (3, 2), seed=1)
        store = {}

        def pack(t):
            store[len(store)] = t.detach().clone()
            return len(store) - 1

        with lib.autograd.graph.saved_tensors_hooks(pack, lambda k: store[k]):
            loss = _chain(lib, a, b, c)
        loss.backward()
        return len(store), [_np(x.grad) for x in (a, b, c)]

    xn, xg = run(xptorch, device)
    tn, tg = run(torch, "cpu")
    assert xn == tn
    for p, q in zip(xg, tg):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)


def test_nested_innermost_and_backward_time_hooks(device):
    def run(lib, dev):
        a, b = _leaves(lib, dev, (3,), (3,))
        log = []
        H = lib.autograd.graph.saved_tensors_hooks

        def hooks(tag):
            return H(lambda t: (log.append(tag), t)[1], lambda t: (log.append(tag + "-unpack"), t)[1])

        with hooks("outer"):
            with hooks("inner"):
                y = a * b
            z = (a * b).exp()
        with hooks("at-backward"):
            (y + z).sum().backward()
        return log

    assert run(xptorch, device) == run(torch, "cpu")



def test_errors_as_torch(device):
    """unpack returning a non-tensor, pack editing its input in place: torch's type and message."""

    def run(lib, dev):
        a, b = _leaves(lib, dev, (3,), (3,))
        H = lib.autograd.graph.saved_tensors_hooks
        out = []
        with H(lambda t: t, lambda t: "oops"):
            y = (a * b).sum()
        out.append(error_of(y.backward))
        x = (a * 1).detach()
        with H(lambda t: t.mul_(1), lambda t: t):
            out.append(error_of(lambda: x.requires_grad_() * b))
        return out

    x, t = run(xptorch, device), run(torch, "cpu")
    assert x == t and all(e is not None for e in t)


def test_version_check_under_hooks(device):
    """A saved tensor edited in place after saving: torch raises without hooks, not under hooks
    (even ones that hand the original tensor back); the gradients then use the edited values."""

    def run(lib, dev, hooks):
        a, b = _leaves(lib, dev, (3,), (3,))
        ctx = lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t) if hooks else contextlib.nullcontext()
        with ctx:
            x = a * 1
            y = (x * b).exp()  # saves x and b, then its own output y
        with lib.no_grad():
            x.add_(1)
            y.mul_(2)
        err = error_of(y.sum().backward)
        return err, None if err else (_np(a.grad), _np(b.grad))

    for hooks in (False, True):
        (xe, xg), (te, tg) = run(xptorch, device, hooks), run(torch, "cpu", hooks)
        assert (xe is None) == (te is None) and (xe is None) == hooks
        if hooks:
            for p, q in zip(xg, tg):
                np.testing.assert_allclose(p, q, rtol=1e-5)
        else:
            assert xe[0] is te[0]


def _fn_class(lib, log, inner_hooks=False):
    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            out = x * y
            if inner_hooks:  # entered and left inside forward: save_for_backward packs after it
                with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: t):
                    ctx.save_for_backward(x, y, out, None)
            else:
                ctx.save_for_backward(x, y, out, None)
            log.append("forward")
            return out

        @staticmethod
        def backward(ctx, g):
            first = ctx.saved_tensors
            x, y, out, none = ctx.saved_tensors
            log.append(("backward", none is None, [(t.requires_grad, _name(t) is not None) for t in (x, y, out)]))
            return g * y, g * x

    return Mul


def test_function_saved_tensors(device):
    """save_for_backward packs after forward, in its order; each ctx.saved_tensors access unpacks;
    what it returns carries the saved tensors' graph; hooks entered inside forward are not used."""

    def run(lib, dev, inner):
        log = []
        a, b = _leaves(lib, dev, (3,), (3,))
        a2 = a * 1  # a computed input, b a leaf

        def pack(t):
            log.append(("pack", a2 is t, b is t, _name(t)))
            return t.detach().clone()

        def unpack(t):
            log.append("unpack")
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            out = _fn_class(lib, log, inner).apply(a2, b)
        out.sum().backward()
        return log, _np(a.grad), _np(b.grad)

    for inner in (False, True):
        (xl, *xg), (tl, *tg) = run(xptorch, device, inner), run(torch, "cpu", inner)
        assert xl == tl
        for p, q in zip(xg, tg):
            np.testing.assert_allclose(p, q, rtol=1e-6)


def test_disable_saved_tensors_hooks(device):
    def run(lib, dev):
        g = lib.autograd.graph
        H = g.saved_tensors_hooks
        out = []
        with g.disable_saved_tensors_hooks("outer off"):
            with g.disable_saved_tensors_hooks("inner off"):
                out.append(error_of(lambda: H(lambda t: t, lambda t: t).__enter__()))
            out.append(error_of(lambda: H(lambda t: t, lambda t: t).__enter__()))
        with H(lambda t: t, lambda t: t):
            out.append(error_of(lambda: g.disable_saved_tensors_hooks("refused").__enter__()))
            a, b = _leaves(lib, dev, (3,), (3,))
            (a * b).sum().backward()  # hooks still in effect and working
        out.append(_np(a.grad))
        with H(lambda t: t, lambda t: t):
            pass  # enabled again
        return out

    x, t = run(xptorch, device), run(torch, "cpu")
    assert x[:3] == t[:3] and all(e is not None for e in t[:3])
    np.testing.assert_allclose(x[3], t[3])


@pytest.mark.parametrize("pin", [False, True])
def test_save_on_cpu(device, pin):
    """What the graph saves is held as host copies (the node keeps no device array) and comes back to
    the tensors' device for backward; gradients as torch's."""
    seen = []

    def run(lib, dev):
        a, b, c = _leaves(lib, dev, (2, 3), (2, 3), (3, 2), seed=2)
        with lib.autograd.graph.save_on_cpu(pin_memory=pin):
            loss = _chain(lib, a, b, c)
        if lib is xptorch:
            fn = loss.grad_fn
            while fn is not None and not fn._packed:
                fn = fn.next[0] if fn.next and not isinstance(fn.next[0], xptorch.Tensor) else None
            seen.extend(p[2][0] for p in fn._packed)  # (device, host copy) per saved array
            seen.extend(p[2][1].device.type for p in fn._packed)
        loss.backward()
        return [_np(x.grad) for x in (a, b, c)]

    for p, q in zip(run(xptorch, device), run(torch, "cpu")):
        np.testing.assert_allclose(p, q, rtol=1e-5, atol=1e-6)
    n = len(seen) // 2
    assert n and all(d.type == device for d in seen[:n]) and seen[n:] == ["cpu"] * n


def test_hooks_under_create_graph(device):
    """The backward graph's own saved tensors are packed too; unpack runs with grad mode on while
    create_graph records, off in a plain backward."""

    def run(lib, dev):
        log = []
        x, = _leaves(lib, dev, (3,), seed=3)
        H = lib.autograd.graph.saved_tensors_hooks
        with H(lambda t: (log.append(("pack", tuple(t.shape), lib.is_grad_enabled())), t)[1],
               lambda t: (log.append(("unpack", lib.is_grad_enabled())), t)[1]):
            y = (x.pow(3) * x.sin()).sum()
            g, = lib.autograd.grad(y, x, create_graph=True)
        log.append("grad done")
        g.sum().backward()
        return log, _np(x.grad)

    (xl, xg), (tl, tg) = run(xptorch, device), run(torch, "cpu")
    assert xl == tl
    np.testing.assert_allclose(xg, tg, rtol=1e-5)


def test_hooks_are_per_thread(device):
    """A hook context open on another thread packs nothing saved on this one."""
    import threading

    def run(lib, dev):
        a, = _leaves(lib, dev, (3,))
        log = []
        entered, done = threading.Event(), threading.Event()

        def other():
            with lib.autograd.graph.saved_tensors_hooks(lambda t: log.append("other") or t, lambda t: t):
                entered.set()
                done.wait()

        th = threading.Thread(target=other)
        th.start()
        entered.wait()
        y = (a * a.exp()).sum()
        done.set()
        th.join()
        y.backward()
        return log, _np(a.grad)

    (xl, xg), (tl, tg) = run(xptorch, device), run(torch, "cpu")
    assert xl == tl == []
    np.testing.assert_allclose(xg, tg, rtol=1e-5)
