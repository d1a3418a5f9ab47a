"""Adam/AdamW with capturable=True: the step count on the parameter's device, bias corrections computed
there, so a CUDA graph can capture the update (tests/cuda/test_capture_blas.py replays one)."""
import numpy as np
import pytest

import xptorch

torch = pytest.importorskip("torch")

CONFIGS = [{}, {"amsgrad": True}, {"weight_decay": 0.1}, {"maximize": True}, {"betas": (0.8, 0.99), "eps": 1e-6}]


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda k: ",".join(k) or "default")
@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
def test_capturable_steps_match_torch(simulated_cuda, cls, kw):
    torch.manual_seed(0)
    tp = [torch.randn(5, 3, requires_grad=True), torch.randn(3, requires_grad=True)]
    xp_ = [xptorch.tensor(t.detach().numpy(), device="cuda", requires_grad=True) for t in tp]
    to = getattr(torch.optim, cls)(tp, lr=0.05, **kw)  # torch refuses capturable on the CPU: its default path
    xo = getattr(xptorch.optim, cls)(xp_, lr=0.05, capturable=True, **kw)
    rng = np.random.default_rng(1)
    for _ in range(6):
        for t, x in zip(tp, xp_):
            g = rng.standard_normal(t.shape).astype(np.float32)
            t.grad, x.grad = torch.tensor(g), xptorch.tensor(g, device="cuda")
        to.step()
        xo.step()
        for t, x in zip(tp, xp_):
            # float32 bias corrections on the device (as torch's capturable path): 1 - 0.999**t loses ~5e-5
            # relative at t = 1, which reaches the update.
            np.testing.assert_allclose(x.detach().cpu().numpy(), t.detach().numpy(), rtol=2e-5, atol=2e-5)
    st = xo.state[xp_[0]]
    assert st["step"].device.type == "cuda" and st["step"].dtype == xptorch.float32 and st["step"].item() == 6
    for name in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(st[name].cpu().numpy(), to.state[tp[0]][name].numpy(), rtol=1e-5, atol=1e-7)


def test_capturable_refuses_cpu_parameters_as_torch():
    for lib in (torch, xptorch):
        p = lib.zeros(3, requires_grad=True)
        p.grad = lib.ones(3)
        opt = lib.optim.Adam([p], capturable=True)
        with pytest.raises(AssertionError, match="If capturable=True, params and state_steps must be on supported "
                                                 "devices"):
            opt.step()
        assert p.tolist() == [0.0, 0.0, 0.0]


def test_loaded_state_moves_its_step_to_the_device(simulated_cuda):
    p = xptorch.zeros(3, device="cuda", requires_grad=True)
    p.grad = xptorch.ones(3, device="cuda")
    plain = xptorch.optim.Adam([p])
    plain.step()
    sd = plain.state_dict()
    assert sd["state"][0]["step"].device.type == "cpu"
    sd["param_groups"][0]["capturable"] = True  # loading takes the groups' settings from the file, as torch
    q = xptorch.zeros(3, device="cuda", requires_grad=True)
    q.grad = xptorch.ones(3, device="cuda")
    cap = xptorch.optim.Adam([q], capturable=True)
    cap.load_state_dict(sd)
    assert cap.param_groups[0]["capturable"] is True
    cap.step()
    assert cap.state[q]["step"].device.type == "cuda" and cap.state[q]["step"].item() == 2
