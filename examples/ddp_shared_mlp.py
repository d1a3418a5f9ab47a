"""Data-parallel training of the notebooks' shared-layer MLP on several ranks.

    xptorch run --nproc-per-node 2 examples/ddp_shared_mlp.py

Every rank holds a replica and a disjoint share of each batch (DistributedSampler);
DistributedDataParallel averages the gradients during backward. The first step checks that the
averaged gradients equal the gradients of one process on the full batch.
"""
import numpy as np

import xptorch as torch
import xptorch.distributed as dist
from xptorch import nn
from xptorch.utils.data import DataLoader, DistributedSampler, TensorDataset


def make_model():
    torch.manual_seed(0)
    shared = nn.Linear(8, 8)  # used twice: one Parameter, one gradient, reduced once
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1)).double()


def main():
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 4))
    Y = np.tanh(X @ np.array([[1.5], [-2.0], [0.5], [1.0]])) + 0.5 * X[:, :1] ** 2
    data = TensorDataset(torch.tensor(X), torch.tensor(Y))
    batch = 32  # per rank; the global batch is batch * world
    sampler = DistributedSampler(data, shuffle=False)
    loader = DataLoader(data, batch_size=batch, sampler=sampler)

    model = nn.parallel.DistributedDataParallel(make_model())
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()

    # Step 0: DDP's averaged gradient against one process on the whole global batch.
    xb, yb = next(iter(loader))
    loss_fn(model(xb), yb).backward()
    full = make_model()
    full.load_state_dict(model.module.state_dict())
    # The global batch: the first `batch` indices of every rank's share.
    every = [i for r in range(world) for i in list(DistributedSampler(data, world, r, shuffle=False))[:batch]]
    loss_fn(full(data[every][0]), data[every][1]).backward()
    diff = max(float((p.grad - q.grad).abs().max()) for p, q in zip(model.module.parameters(), full.parameters()))
    if rank == 0:
        print(f"{world} ranks: max |DDP grad - full-batch grad| = {diff:.2e}")
    model.zero_grad()

    for epoch in range(3):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        total = torch.tensor([loss.item()], dtype=torch.float64)
        dist.all_reduce(total, op=dist.ReduceOp.AVG)
        if rank == 0:
            print(f"epoch {epoch}: loss {total.item():.4f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
