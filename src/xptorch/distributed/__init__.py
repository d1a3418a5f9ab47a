"""Data-parallel building blocks with PyTorch's `torch.distributed` API, on MPI (CPU, through
mpi4py) and NCCL (NVIDIA GPUs, through CuPy). `pip install 'xptorch[dist]'` brings mpi4py and MPICH.

The `mpi` backend works on host arrays: CuPy tensors travel through host copies (xptorch does not
assume a CUDA-aware MPI). The `nccl` backend needs one GPU per rank.
"""
from ._work import DistBackendError, DistError, DistNetworkError, DistStoreError, Work
from .distributed_c10d import *  # noqa: F401,F403
from .distributed_c10d import __all__ as _c10d_all
from .store import TCPStore

__all__ = list(_c10d_all) + ["DistError", "DistBackendError", "DistStoreError", "DistNetworkError", "TCPStore"]
