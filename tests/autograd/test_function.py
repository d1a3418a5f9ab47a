"""autograd.Function against torch 2.13: values, gradients, ctx features, grad_fn names and errors."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from oracle import assert_same_tensor, to_numpy  # noqa: E402


def _define(lib):
    """The same custom ops written for torch and for xptorch."""
    F = lib.autograd.Function
    od = lib.autograd.function.once_differentiable

    class Cube(F):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2 * ctx.k, None

    class ExpOut(F):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class Split(F):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, x + y

        @staticmethod
        def backward(ctx, ga, gb):
            x, y = ctx.saved_tensors
            gx = ga * y + gb if ctx.needs_input_grad[0] else None
            gy = ga * x + gb if ctx.needs_input_grad[1] else None
            return gx, gy

    class SetupCtx(F):
        @staticmethod
        def forward(x, w):
            return x * w

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, w = inputs
            ctx.save_for_backward(x, w)

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, (g * x).sum(0)

    class Sorted(F):
        @staticmethod
        def forward(ctx, x):
            v, m = x * 2, x * 3
            ctx.mark_non_differentiable(m)
            return v, m

        @staticmethod
        def backward(ctx, gv, gm):
            assert gm.abs().sum().item() == 0
            return gv * 2 + gm

    class NoMat(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            assert gb is None
            return ga * 2

    class Dirty(F):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Once(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @od
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return dict(Cube=Cube, ExpOut=ExpOut, Split=Split, SetupCtx=SetupCtx, Sorted=Sorted, NoMat=NoMat,
                Dirty=Dirty, Once=Once)


T, X = _define(torch), _define(xptorch)
RNG = np.random.default_rng(0)


def pair(shape, requires_grad=True):
    a = RNG.standard_normal(shape).astype("float32")
    return torch.tensor(a, requires_grad=requires_grad), xptorch.tensor(a, requires_grad=requires_grad)


def run(fn_t, fn_x, *shapes):
    ins = [pair(s) for s in shapes]
    yt, yx = fn_t(*[t for t, _ in ins]), fn_x(*[x for _, x in ins])
    return ins, yt, yx


@pytest.mark.parametrize("name", ["Cube", "ExpOut"])
def test_single_output_values_grads_and_grad_fn(name):
    extra = (2.5,) if name == "Cube" else ()
    (tx, xx), = [pair((3, 4))]
    yt, yx = T[name].apply(tx, *extra), X[name].apply(xx, *extra)
    assert_same_tensor(yx, yt)
    assert repr(yx.grad_fn).split()[0].split(".")[-1] == repr(yt.grad_fn).split()[0].split(".")[-1]
    assert type(yx.grad_fn).__name__ == type(yt.grad_fn).__name__ == name + "Backward"
    assert repr(yx).endswith(f"grad_fn=<{name}Backward>)")
    g = RNG.standard_normal((3, 4)).astype("float32")
    yt.backward(torch.tensor(g))
    yx.backward(xptorch.tensor(g))
    assert_same_tensor(xx.grad, tx.grad)


def test_ctx_is_grad_fn_with_attributes_and_needs_input_grad():
    tx, xx = pair((3,))
    yx = X["Cube"].apply(xx, 2.0)
    yt = T["Cube"].apply(tx, 2.0)
    assert yx.grad_fn.k == yt.grad_fn.k == 2.0
    assert yx.grad_fn.needs_input_grad == yt.grad_fn.needs_input_grad == (True, False)
    assert len(yx.grad_fn.next_functions) == len(yt.grad_fn.next_functions) == 1
    assert yx.grad_fn.saved_tensors[0] is xx


def test_two_outputs_and_needs_input_grad():
    (ta, xa), (tb, xb) = pair((2, 3)), pair((2, 3), requires_grad=False)
    ot, ox = T["Split"].apply(ta, tb), X["Split"].apply(xa, xb)
    for o_x, o_t in zip(ox, ot):
        assert_same_tensor(o_x, o_t)
        assert type(o_x.grad_fn).__name__ == type(o_t.grad_fn).__name__ == "SplitBackward"
    (ot[0] * 2 + ot[1] ** 2).sum().backward()
    (ox[0] * 2 + ox[1] ** 2).sum().backward()
    assert_same_tensor(xa.grad, ta.grad)
    assert xb.grad is None and tb.grad is None


def test_only_one_output_used_gets_zero_gradient_for_the_other():
    (ta, xa), (tb, xb) = pair((4,)), pair((4,))
    T["Split"].apply(ta, tb)[1].sum().backward()
    X["Split"].apply(xa, xb)[1].sum().backward()
    assert_same_tensor(xa.grad, ta.grad)
    assert_same_tensor(xb.grad, tb.grad)


def test_setup_context_style_and_broadcast_gradient_summed():
    (tx, xx), (tw, xw) = pair((5, 3)), pair((3,))
    yt, yx = T["SetupCtx"].apply(tx, tw), X["SetupCtx"].apply(xx, xw)
    assert_same_tensor(yx, yt)
    yt.sum().backward()
    yx.sum().backward()
    assert_same_tensor(xx.grad, tx.grad)
    assert_same_tensor(xw.grad, tw.grad)


def test_mark_non_differentiable():
    tx, xx = pair((5,))
    (vt, it), (vx, ix) = T["Sorted"].apply(tx), X["Sorted"].apply(xx)
    assert ix.requires_grad is it.requires_grad is False
    assert ix.grad_fn is None
    assert_same_tensor(vx, vt)
    (vt * torch.arange(5.0)).sum().backward()
    (vx * xptorch.arange(5.0)).sum().backward()
    assert_same_tensor(xx.grad, tx.grad)


def test_set_materialize_grads_false_passes_none():
    tx, xx = pair((3,))
    T["NoMat"].apply(tx)[0].sum().backward()
    X["NoMat"].apply(xx)[0].sum().backward()
    assert_same_tensor(xx.grad, tx.grad)


def test_mark_dirty():
    tx, xx = pair((3,))
    zt, zx = tx.clone(), xx.clone()
    rt, rx = T["Dirty"].apply(zt), X["Dirty"].apply(zx)
    assert rx is zx and rt is zt
    assert zx._version == zt._version
    assert type(zx.grad_fn).__name__ == "DirtyBackward"
    rt.sum().backward()
    rx.sum().backward()
    assert_same_tensor(xx.grad, tx.grad)
    for lib, leaf in ((torch, tx), (xptorch, xx)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
            (T if lib is torch else X)["Dirty"].apply(leaf)


def test_input_returned_as_is_becomes_new_tensor():
    for lib in (torch, xptorch):
        class Ident(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        x = lib.ones(3, requires_grad=True)
        y = Ident.apply(x)
        assert y is not x and type(y.grad_fn).__name__ == "IdentBackward"
        y.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_no_grad_and_non_requiring_inputs_record_nothing():
    tx, xx = pair((3,), requires_grad=False)
    assert X["Cube"].apply(xx, 1.0).grad_fn is None
    assert T["Cube"].apply(tx, 1.0).grad_fn is None
    _, xx = pair((3,))
    with xptorch.no_grad():
        y = X["Cube"].apply(xx, 1.0)
    assert y.grad_fn is None and not y.requires_grad


def _errors(lib, body):
    F = lib.autograd.Function

    class Bad(F):
        @staticmethod
        def forward(ctx, x, k=1.0):
            return x * 2

        backward = staticmethod(body)

    x = lib.ones(3, requires_grad=True)
    try:
        Bad.apply(x, 1.0).sum().backward()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e).replace("torch", "xptorch"), x.grad
    return None, None, x.grad


@pytest.mark.parametrize("body", [
    lambda ctx, g: g,  # too few
    lambda ctx, g: (g, g, g),  # too many
    lambda ctx, g: (g[:1].expand(2, 1)[0, :1] * 0 + g[:2], None),  # wrong shape
    lambda ctx, g: (3, None),  # not a tensor
], ids=["few", "many", "shape", "type"])
def test_backward_errors_match_torch_and_write_no_grad(body):
    et, mt, gt = _errors(torch, body)
    ex, mx, gx = _errors(xptorch, body)
    assert et is ex is RuntimeError
    assert mx == mt
    assert gx is None and gt is None


def test_extra_trailing_none_is_accepted():
    for lib in (torch, xptorch):
        _, _, g = _errors(lib, lambda ctx, g: (g, None, None))
        assert g.tolist() == [1.0, 1.0, 1.0]


def test_saved_tensor_modified_in_place_raises_like_torch():
    msgs = []
    for lib, name in ((torch, "torch"), (xptorch, "xptorch")):
        fns = T if lib is torch else X
        x = lib.ones(3, requires_grad=True)
        z = x.clone()
        out = fns["Cube"].apply(z, 1.0)
        z.add_(1)
        with pytest.raises(RuntimeError) as ei:
            out.sum().backward()
        msgs.append(str(ei.value).replace(name, "lib"))
        assert x.grad is None
        y = fns["ExpOut"].apply(x)
        y.mul_(2)
        with pytest.raises(RuntimeError) as ei:
            y.sum().backward()
        msgs.append(str(ei.value).replace(name, "lib"))
    assert msgs[0] == msgs[2] and msgs[1] == msgs[3]
    assert "output 0 of ExpOut" in msgs[3]


def test_saved_tensors_freed_after_backward():
    for lib in (torch, xptorch):
        x = lib.ones(3, requires_grad=True)
        y = (T if lib is torch else X)["Cube"].apply(x, 1.0)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.grad_fn.saved_tensors


def test_once_differentiable_blocks_double_backward_like_torch():
    res = []
    for lib in (torch, xptorch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (T if lib is torch else X)["Once"].apply(x)
        v = lib.ones(2, requires_grad=True)
        (g,) = lib.autograd.grad(y, x, grad_outputs=v, create_graph=True)
        assert to_numpy(g).tolist() == [2.0, 4.0]
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                               "@once_differentiable"):
            g.sum().backward()
        assert x.grad is None
        res.append(g.requires_grad)
    assert res[0] == res[1]


def test_function_in_second_order_graph_matches_torch():
    tx, xx = pair((4,))
    gs = []
    for lib, x, fns in ((torch, tx, T), (xptorch, xx, X)):
        y = fns["Cube"].apply(x, 1.5).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        gs.append((g, h))
    assert_same_tensor(gs[1][0].detach(), gs[0][0].detach())
    assert_same_tensor(gs[1][1], gs[0][1])


def test_non_static_forward_and_instantiation():
    with pytest.warns(DeprecationWarning):
        f = X["Cube"]()
    with pytest.raises(RuntimeError, match="Legacy autograd function with non-static forward method is deprecated"):
        f(xptorch.ones(1))
