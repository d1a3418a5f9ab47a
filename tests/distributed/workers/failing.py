"""A rank that fails while the others wait in a collective: the job must end, not hang."""
import os
import sys
import time

import xptorch as torch
import xptorch.distributed as dist

mode, uses_mpi = sys.argv[1], sys.argv[2] == "mpi"


def say(line):
    os.write(1, (line + "\n").encode())  # one write: lines of ranks sharing a pipe never interleave


rank = int(os.environ.get("RANK", os.environ.get("PMI_RANK", "0")))
if uses_mpi:
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    t = torch.ones(1)
    dist.all_reduce(t)
    say(f"rank {rank} of {dist.get_world_size()} sum {t.item():g} local {os.environ.get('LOCAL_RANK')} "
        f"world {os.environ.get('WORLD_SIZE')} master {os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}")
else:
    say(f"rank {rank} local {os.environ['LOCAL_RANK']} world {os.environ['WORLD_SIZE']} "
        f"master {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}")
if mode == "raise" and rank == 1:
    time.sleep(0.3)
    raise ValueError("rank one broke on purpose")
if mode == "kill" and rank == 1:
    time.sleep(0.3)
    os.kill(os.getpid(), 9)
if mode != "ok":
    if uses_mpi:
        dist.barrier()  # rank 1 never joins
    time.sleep(120)
