"""5 DDP training steps of the shared-layer MLP; run by torchrun (torch, gloo) or mpiexec (xptorch, mpi)."""
import json
import os
import sys

import numpy as np

lib_name, outdir = sys.argv[2], sys.argv[1]
if lib_name == "torch":
    import torch as lib
    backend = "gloo"
else:
    import xptorch as lib
    backend = "mpi"
dist = lib.distributed
nn = lib.nn
dist.init_process_group(backend)
rank, n = dist.get_rank(), dist.get_world_size()

shared = nn.Linear(8, 8)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1)).double()
rng = np.random.default_rng(7)
with lib.no_grad():
    for p in model.parameters():
        p.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape))))
ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=0.0005)
opt = lib.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
X = lib.tensor(rng.standard_normal((16 * n, 4)))
Y = lib.tensor(rng.standard_normal((16 * n, 1)))
losses = []
for step in range(5):
    part = slice(16 * rank + (step % 2) * 8, 16 * rank + (step % 2) * 8 + 8)
    opt.zero_grad()
    loss = nn.functional.mse_loss(ddp(X[part]), Y[part])
    loss.backward()
    opt.step()
    losses.append(loss.item())
with open(os.path.join(outdir, f"{lib_name}{rank}.json"), "w") as f:
    json.dump({"losses": losses, "params": [p.detach().numpy().tolist() for p in model.parameters()],
               "keys": list(ddp.state_dict())}, f)
dist.destroy_process_group()
