"""LBFGS against torch 2.13: losses, parameters and evaluation counts over several closure-driven steps."""
import warnings

import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")


def run(lib, kw, device="cpu", steps=3):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    dev = {} if lib is torch else {"device": device}
    w = lib.nn.Parameter(lib.tensor(rng.standard_normal((3, 1)), **dev))
    b = lib.nn.Parameter(lib.tensor(np.zeros(1), **dev))
    opt = lib.optim.LBFGS([w, b], **kw)
    Xt, Yt = lib.tensor(X, **dev), lib.tensor(Y, **dev)

    def closure():
        opt.zero_grad()
        loss = (((Xt @ w + b) - Yt) ** 2).mean() + (w ** 4).sum() * 0.1
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    st = opt.state[w]
    return losses, np.concatenate([w.detach().numpy(force=True).ravel(), b.detach().numpy(force=True)]), \
        (st["func_evals"], st["n_iter"])


@pytest.mark.parametrize("kw", [{}, {"lr": 0.5, "max_iter": 5}, {"line_search_fn": "strong_wolfe"},
                                {"history_size": 3, "max_iter": 7, "line_search_fn": "strong_wolfe"},
                                {"tolerance_grad": 1e-3, "max_eval": 6}], ids=str)
def test_lbfgs_matches_torch(kw, device):
    t = run(torch, kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no float()-of-a-grad-tensor warning from inside step (no_grad there)
        x = run(xptorch, kw, device)
    np.testing.assert_allclose(x[0], t[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(x[1], t[1], rtol=1e-9, atol=1e-12)
    assert x[2] == t[2]


def test_lbfgs_defaults_repr_and_errors():
    def build(lib, **kw):
        return lib.optim.LBFGS([lib.nn.Parameter(lib.ones(2))], **kw)

    assert build(xptorch).defaults == build(torch).defaults
    assert repr(build(xptorch, max_iter=4)) == repr(build(torch, max_iter=4))
    for lib in (torch, xptorch):
        with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
            build(lib, lr=-1)
        ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(2))]
        with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\)$"):
            lib.optim.LBFGS([{"params": ps[:1]}, {"params": ps[1:]}])
        opt = lib.optim.LBFGS(ps, line_search_fn="backtracking")

        def closure():
            opt.zero_grad()
            loss = (ps[0] * ps[1]).sum()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
            opt.step(closure)
