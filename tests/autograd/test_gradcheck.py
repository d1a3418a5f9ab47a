"""gradcheck / gradgradcheck: every op with a second-order rule passes both in float64, and a wrong
backward is caught with PyTorch's message."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")
from test_higher_order import CASES  # noqa: E402


def _inputs(arrs):
    return tuple(xptorch.tensor(a, dtype=xptorch.float64, requires_grad=True) for a in arrs)


# clone_to goes through float32, where finite differences with eps=1e-6 are meaningless; embedding's
# padding_idx row gets no gradient by definition (not the derivative), in torch too.
@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n not in ("clone_to", "embedding")])
def test_gradcheck_and_gradgradcheck_every_op(name):
    fn, *arrs = CASES[name]

    def f(*xs):
        return fn(xptorch, *xs)

    assert xptorch.autograd.gradcheck(f, _inputs(arrs), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert xptorch.autograd.gradgradcheck(f, _inputs(arrs), eps=1e-6, atol=1e-5, rtol=1e-3)


def _wrong(lib):
    class Wrong(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return Wrong


def test_wrong_backward_message_matches_torch():
    msgs = []
    for lib in (torch, xptorch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        assert lib.autograd.gradcheck(_wrong(lib).apply, (x,), raise_exception=False) is False
        with pytest.raises(RuntimeError) as ei:
            lib.autograd.gradcheck(_wrong(lib).apply, (x,))
        assert type(ei.value).__name__ == "GradcheckError"
        msgs.append(str(ei.value) if lib is xptorch else str(ei.value).replace("torch.", "xptorch."))
    assert msgs[0] == msgs[1]


def test_wrong_second_derivative_caught_by_gradgradcheck_only():
    class BadSecond(xptorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            # Right value, wrong dependence on x for a second derivative: 3 x^2 written via a detached x.
            return g * 3 * x.detach() ** 2

    x = xptorch.tensor([0.5, -1.5], dtype=xptorch.float64, requires_grad=True)
    assert xptorch.autograd.gradcheck(BadSecond.apply, (x,))
    assert xptorch.autograd.gradgradcheck(BadSecond.apply, (x,), raise_exception=False) is False


def test_argument_errors_and_float32_warning_match_torch():
    for lib in (torch, xptorch):
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            lib.autograd.gradcheck(lambda x: x * 2, (lib.ones(2, dtype=lib.float64),))
        with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
            lib.autograd.gradcheck(lambda x: x * 2, (lib.ones(2, requires_grad=True),), eps=1e-2, atol=1e-2)


def test_non_tensor_arguments_and_several_outputs():
    x = xptorch.tensor(np.linspace(0.2, 1.0, 4), requires_grad=True)
    y = xptorch.tensor(np.linspace(-1.0, 1.0, 4), requires_grad=True)
    assert xptorch.autograd.gradcheck(lambda a, k, b: (a * k * b, (a + b).exp()), (x, 3.0, y))
    assert xptorch.autograd.gradgradcheck(lambda a, k, b: (a * k * b, (a + b).exp()), (x, 3.0, y))


def test_scatter_with_src_larger_than_index_by_finite_differences():
    # torch 2.13's own double backward of scatter/scatter_add fails on this shape, so no oracle there.
    rng = np.random.default_rng(4)
    idx = xptorch.tensor([[2, 0, 2], [1, 1, 0]])

    def f(x, src):
        return (x.scatter(0, idx, src) ** 3).sum() + (x.scatter_add(1, idx, src) ** 3).sum()

    args = (xptorch.tensor(rng.standard_normal((3, 4)), requires_grad=True),
            xptorch.tensor(rng.standard_normal((3, 5)), requires_grad=True))
    assert xptorch.autograd.gradgradcheck(f, args, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("mode", ["RNN_TANH", "GRU", "LSTM"])
def test_fused_rnn_layer_gradgradcheck(mode):
    from xptorch._ops.rnn import rnn_layer

    rng = np.random.default_rng(6)
    gates = {"RNN_TANH": 1, "GRU": 3, "LSTM": 4}[mode]
    shapes = [(3, 2, 2), (2, 3), (2, 3), (3 * gates, 2), (3 * gates, 3), (3 * gates,), (3 * gates,)]
    args = [xptorch.tensor(rng.uniform(-0.8, 0.8, s), requires_grad=True) for s in shapes]
    if mode != "LSTM":
        args[2] = None

    def f(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        return rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=True) ** 2

    assert xptorch.autograd.gradgradcheck(f, tuple(args), eps=1e-6, atol=1e-5, rtol=1e-3)
