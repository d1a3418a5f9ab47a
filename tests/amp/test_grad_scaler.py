"""xptorch.amp.GradScaler against torch.amp.GradScaler('cpu'): the same scale, skip and growth decisions over
a 50-step run with injected overflows, the same parameters, state_dict, and the same refusals."""
import numpy as np
import pytest

import xptorch
from oracle import check_error

torch = pytest.importorskip("torch")

OVERFLOW = {7: "inf", 8: "inf", 23: "nan", 24: "inf", 41: "inf"}


def _model(L):
    net = L.nn.Sequential(L.nn.Linear(8, 4), L.nn.ReLU(), L.nn.Linear(4, 1))
    with (torch.no_grad() if L is torch else xptorch.no_grad()):
        for i, p in enumerate(net.parameters()):
            n = p.numel()
            p.copy_(L.tensor(np.linspace(-0.5, 0.5 + 0.1 * i, n, dtype=np.float32).reshape(tuple(p.shape))))
    return net


def _run(L, steps=50):
    net = _model(L)
    opt = L.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    scaler = L.amp.GradScaler("cpu", init_scale=2.0 ** 12, growth_interval=4)
    x = L.tensor(np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8))
    target = L.tensor(np.linspace(0, 1, 8, dtype=np.float32).reshape(8, 1))
    log = []
    for step in range(steps):
        opt.zero_grad()
        loss = L.nn.functional.mse_loss(net(x), target)
        if step in OVERFLOW:
            loss = loss * float(OVERFLOW[step])
        scaled = scaler.scale(loss)
        scaled.backward()
        before = [p.detach().clone() for p in net.parameters()]
        if step % 3 == 0:
            scaler.unscale_(opt)  # an explicit unscale_ (as for gradient clipping) before step
        scaler.step(opt)
        scaler.update()
        moved = any(not bool((p.detach() == b).all()) for p, b in zip(net.parameters(), before))
        log.append((step, scaler.get_scale(), scaler._get_growth_tracker(), moved))
    params = [p.detach().numpy().copy() for p in net.parameters()]
    return log, params, scaler.state_dict()


def test_fifty_steps_same_decisions_as_torch():
    got, got_params, got_state = _run(xptorch)
    want, want_params, want_state = _run(torch)
    assert got == want
    skipped = [s for s, _, _, moved in got if not moved]
    assert skipped == sorted(OVERFLOW)
    scales = [scale for _, scale, _, _ in got]
    assert max(scales) > 2.0 ** 12 and min(scales) < 2.0 ** 12  # it both grew and backed off
    for a, b in zip(got_params, want_params):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert got_state == want_state


def test_state_dict_round_trip_and_disabled():
    s = xptorch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=3)
    assert s.state_dict() == torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=3).state_dict()
    s2 = xptorch.amp.GradScaler("cpu")
    s2.load_state_dict({"scale": 32.0, "growth_factor": 3.0, "backoff_factor": 0.25, "growth_interval": 7,
                        "_growth_tracker": 2})
    assert s2.get_scale() == 32.0 and s2.get_growth_factor() == 3.0 and s2.get_growth_interval() == 7
    loss = s2.scale(xptorch.tensor(1.0))
    assert loss.item() == 32.0 and s2._get_growth_tracker() == 2
    off = xptorch.amp.GradScaler("cpu", enabled=False)
    t = xptorch.tensor(3.0)
    assert off.scale(t) is t and off.state_dict() == {} and off.get_scale() == 1.0 and not off.is_enabled()


def _opt(L):
    p = L.nn.Parameter(L.ones(2))
    p.grad = L.ones(2)
    return L.optim.SGD([p], lr=0.1)


@pytest.mark.parametrize("case", ["step_without_scale", "update_without_scale", "unscale_twice", "step_twice",
                                  "unscale_after_step", "closure", "empty_state", "update_without_checks",
                                  "bad_growth", "bad_backoff", "scale_non_tensor", "fp16_grads"])
def test_refusals_match_torch(case):
    def call(L):
        def f():
            opt = _opt(L)
            if case == "bad_growth":
                return L.amp.GradScaler("cpu", growth_factor=1.0)
            if case == "bad_backoff":
                return L.amp.GradScaler("cpu", backoff_factor=1.0)
            s = L.amp.GradScaler("cpu")
            if case == "step_without_scale":
                return s.step(opt)
            if case == "update_without_scale":
                return s.update()
            if case == "empty_state":
                return s.load_state_dict({})
            if case == "scale_non_tensor":
                return s.scale([L.ones(1), 3.0])
            s.scale(L.ones(1))
            if case == "unscale_twice":
                s.unscale_(opt)
                return s.unscale_(opt)
            if case == "step_twice":
                s.step(opt)
                return s.step(opt)
            if case == "unscale_after_step":
                s.step(opt)
                return s.unscale_(opt)
            if case == "closure":
                return s.step(opt, closure=lambda: 0.0)
            if case == "update_without_checks":
                return s.update()
            if case == "fp16_grads":
                p = L.nn.Parameter(L.ones(2, dtype=L.float16))
                p.grad = L.ones(2, dtype=L.float16)
                return s.unscale_(L.optim.SGD([p], lr=0.1))
        return f

    check_error(call(torch), call(xptorch))


def test_a_refused_step_changes_nothing():
    opt = _opt(xptorch)
    p = opt.param_groups[0]["params"][0]
    s = xptorch.amp.GradScaler("cpu")
    with pytest.raises(AssertionError):
        s.step(opt)
    assert p.tolist() == [1.0, 1.0] and p.grad.tolist() == [1.0, 1.0]


def test_cuda_scaler_without_cuda_is_disabled_like_torch():
    if xptorch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available.  Disabling."):
        s = xptorch.amp.GradScaler()
    assert not s.is_enabled()
