"""DistributedDataParallel on the 'mpi' backend against single-process full-batch gradients."""
import datetime
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import xptorch as torch  # noqa: E402
import xptorch.distributed as dist  # noqa: E402
from report import Report  # noqa: E402

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
rank, n = dist.get_rank(), dist.get_world_size()
rep = Report(rank)
DDP = torch.nn.parallel.DistributedDataParallel
nn = torch.nn


def shared_mlp(seed):
    torch.manual_seed(seed)
    shared = nn.Linear(8, 8)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1)).double()


rng = np.random.default_rng(0)
X = torch.tensor(rng.standard_normal((8 * n, 4)))
Y = torch.tensor(rng.standard_normal((8 * n, 1)))
mine = slice(8 * rank, 8 * rank + 8)


def full_batch_grads(model):
    ref = shared_mlp(0)
    ref.load_state_dict(model.state_dict())
    nn.MSELoss()(ref(X), Y).backward()
    return [p.grad.numpy() for p in ref.parameters()]


@rep.check("broadcast_from_rank0_and_prefix")
def _():
    ddp = DDP(shared_mlp(seed=100 + rank))  # different start on every rank
    ref = shared_mlp(100)
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    keys = list(ddp.state_dict())
    assert keys[0] == "module.0.weight" and all(k.startswith("module.") for k in keys), keys
    assert len(list(ddp.parameters())) == 6  # the shared layer once


@rep.check("tied_weights_equal_full_batch")
def _():
    for cap in (None, 0.0005):  # one bucket, and several small ones (launched during backward)
        model = shared_mlp(0)
        ddp = DDP(model, bucket_cap_mb=cap)
        loss = nn.MSELoss()(ddp(X[mine]), Y[mine])
        loss.backward()
        want = full_batch_grads(model)
        for p, g in zip(model.parameters(), want):
            np.testing.assert_allclose(p.grad.numpy(), g, rtol=0, atol=1e-6)
        if cap:
            assert len(ddp._buckets) > 1
            assert ddp.timings["first_launch"] < ddp.timings["backward_end"]
    return len(ddp._buckets)


@rep.check("training_steps_stay_in_sync")
def _():
    model = shared_mlp(0)
    ddp = DDP(model, bucket_cap_mb=0.0005)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    ref = shared_mlp(0)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        nn.MSELoss()(ddp(X[mine]), Y[mine]).backward()
        opt.step()
        ref_opt.zero_grad()
        nn.MSELoss()(ref(X), Y).backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=1e-6)


@rep.check("no_sync_accumulates")
def _():
    model = shared_mlp(0)
    ddp = DDP(model)
    half = 4
    a, b = slice(8 * rank, 8 * rank + half), slice(8 * rank + half, 8 * rank + 8)
    with ddp.no_sync():
        (nn.MSELoss()(ddp(X[a]), Y[a]) / 2).backward()
    local = [p.grad.numpy().copy() for p in model.parameters()]
    (nn.MSELoss()(ddp(X[b]), Y[b]) / 2).backward()
    for p, g in zip(model.parameters(), full_batch_grads(model)):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=0, atol=1e-6)
    gathered = [None] * n
    dist.all_gather_object(gathered, local[0])
    assert n == 1 or not np.allclose(gathered[0], gathered[1])  # no_sync really kept them local


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)
        self.b = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x, use_b):
        return self.a(x) + (self.b(x) if use_b else 0)


@rep.check("find_unused_parameters")
def _():
    torch.manual_seed(0)
    m = Branchy().double()
    ddp = DDP(m, find_unused_parameters=True)
    x = torch.ones(2, 3, dtype=torch.float64) * (rank + 1)
    ddp(x, use_b=(rank == 0)).sum().backward()
    # a: used everywhere; b: used on rank 0 only (averaged with zeros); never: unused everywhere.
    ranks_sum = sum(range(1, n + 1))
    np.testing.assert_allclose(m.a.weight.grad.numpy(), np.full((2, 3), 2.0 * ranks_sum / n))
    np.testing.assert_allclose(m.b.weight.grad.numpy(), np.full((2, 3), 2.0 / n))
    assert m.never.weight.grad is None


@rep.check("unused_without_detection_errors_next_forward")
def _():
    torch.manual_seed(0)
    ddp = DDP(Branchy().double())
    x = torch.ones(2, 3, dtype=torch.float64)
    ddp(x, use_b=True).sum().backward()
    try:
        ddp(x, use_b=True)
    except RuntimeError as e:
        assert "Expected to have finished reduction in the prior iteration" in str(e)
        assert "never.weight" in str(e)
        return str(e)
    raise AssertionError("no error")


@rep.check("marked_ready_twice")
def _():
    # Reentrant backward passes inside the outer one hit the last layer twice before the
    # iteration's reduction is complete: PyTorch's error (same scenario checked on torch 2.13).
    torch.manual_seed(0)
    a, c = nn.Linear(2, 2), nn.Linear(2, 1)
    ddp = DDP(nn.Sequential(a, c))
    x = torch.ones(1, 2)

    def reenter(g):
        with torch.enable_grad():
            c(x).sum().backward()
            c(x).sum().backward()

    hooked = []
    a.register_forward_hook(lambda m, i, o: hooked or (hooked.append(1), o.register_hook(reenter)) and None)
    out = ddp(x)
    try:
        out.sum().backward()
    except RuntimeError as e:
        assert str(e).startswith("Expected to mark a variable ready only once.")
        assert "with name 1.bias has been marked as ready twice" in str(e)
        return str(e)
    raise AssertionError("no error")


@rep.check("second_backward_without_forward_stays_local")
def _():
    model = shared_mlp(0)
    ddp = DDP(model)
    out = ddp(X[mine]).sum()
    out.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in model.parameters()]
    out.backward()  # after the reduction: nothing more is reduced (PyTorch ignores these hooks)
    local = shared_mlp(0)
    local(X[mine]).sum().backward()
    for p, f, q in zip(model.parameters(), first, local.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), f + q.grad.numpy(), rtol=1e-12, atol=1e-12)


@rep.check("broadcast_buffers")
def _():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).double()
    ddp = DDP(m)
    x = torch.tensor(np.random.default_rng(rank).standard_normal((5, 3)))
    ddp(x).sum().backward()  # running stats now differ per rank
    got = [None] * n
    dist.all_gather_object(got, m[1].running_mean.numpy())
    assert n == 1 or not np.allclose(got[0], got[1])
    ddp.eval()
    ddp(x)  # broadcasts rank 0's buffers first; eval mode leaves them as they are
    dist.all_gather_object(got, m[1].running_mean.numpy())
    for g in got:
        np.testing.assert_array_equal(g, got[0])


@rep.check("sync_batchnorm_equals_full_batch")
def _():
    def build():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 1)).double()

    x = torch.tensor(np.random.default_rng(5).standard_normal((4 * n, 2, 4, 4)))
    part = slice(4 * rank, 4 * rank + 4)
    model = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(build()))
    assert isinstance(model.module[1], nn.SyncBatchNorm)
    xr = x[part].clone().requires_grad_(True)
    out = model(xr)
    out.sum().backward()
    ref = build()
    xf = x.clone().requires_grad_(True)
    ref_out = ref(xf)
    (ref_out.sum() / n).backward()  # DDP averages; the full-batch sum over n ranks' data
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy()[part], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(xr.grad.numpy(), xf.grad.numpy()[part] * n, rtol=1e-9, atol=1e-10)
    for p, q in zip(model.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-10)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(model.module[1], name).numpy(), getattr(ref[1], name).numpy(), rtol=1e-9)


dist.barrier()
rep.save()
dist.destroy_process_group()
