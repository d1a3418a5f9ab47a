"""xptorch.random: the same functions as the top level, and fork_rng restoring CPU and CUDA generators."""
import warnings

import pytest
import torch

import strict_cupy
import xptorch
import xptorch.random as xr


def test_same_names_as_torch_and_same_objects_as_top_level():
    assert set(xr.__all__) == set(torch.random.__all__)
    for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"):
        assert getattr(xr, name) is getattr(xptorch, name)  # torch's top level may hold a wrapper of it
    assert xr.default_generator is xptorch.default_generator
    assert xr.thread_safe_generator() is None and torch.random.thread_safe_generator() is None


@pytest.mark.parametrize("m", [torch, xptorch], ids=["torch", "xptorch"])
def test_seed_and_state_round_trip(m):
    m.random.manual_seed(5)
    assert m.random.initial_seed() == 5
    state = m.random.get_rng_state()
    a = m.rand(4)
    m.random.set_rng_state(state)
    assert m.equal(a, m.rand(4))
    s = m.random.seed()
    assert m.random.initial_seed() == s


def test_fork_rng_restores_cpu_and_device(device):
    xptorch.manual_seed(3)
    devices = [] if device == "cpu" else [0]
    with xr.fork_rng(devices=devices):
        a = xptorch.rand(3)
        b = xptorch.rand(3, device=device)
    assert xptorch.equal(a, xptorch.rand(3))
    assert xptorch.equal(b, xptorch.rand(3, device=device))
    # and torch: the CPU stream resumes where it stood before the block
    torch.manual_seed(3)
    with torch.random.fork_rng(devices=[]):
        ta = torch.rand(3)
    assert torch.equal(ta, torch.rand(3))


def test_fork_rng_restores_on_error_and_disabled(device):
    xptorch.manual_seed(0)
    with pytest.raises(ValueError):
        with xr.fork_rng(devices=iter([] if device == "cpu" else [0])):  # an iterator is walked twice
            xptorch.rand(2, device=device)
            raise ValueError
    first = xptorch.rand(2, device=device)
    xptorch.manual_seed(0)
    with xr.fork_rng(enabled=False):
        xptorch.rand(2, device=device)
    assert not xptorch.equal(first, xptorch.rand(2, device=device))


def test_fork_rng_default_devices_and_warning(device, monkeypatch):
    """devices=None saves every visible device, warning (once) when there are several."""
    if device == "cpu":
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with xr.fork_rng(), torch.random.fork_rng():
                pass
        for m in (torch, xptorch):
            with pytest.raises(RuntimeError, match="device type at start of device string: nosuch"):
                with m.random.fork_rng(device_type="nosuch"):
                    pass
        with xr.fork_rng(device_type="meta"):
            pass
        return
    strict_cupy.set_device_count(2)
    monkeypatch.setattr(xr, "_warned_many_devices", False)
    xptorch.manual_seed(1)
    with pytest.warns(UserWarning) as rec, xptorch.cuda.device(1):
        with xr.fork_rng():
            a = xptorch.rand(2, device="cuda:1").cpu()
    msg = str(rec[0].message)
    assert msg.startswith("CUDA reports that you have 2 available devices, and you have used fork_rng without")
    assert msg.endswith("set the 'devices' keyword argument to `range(torch.cuda.device_count())`.")
    with xptorch.cuda.device(1):
        assert xptorch.equal(a, xptorch.rand(2, device="cuda:1").cpu())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.fork_rng():  # once per process
            pass
