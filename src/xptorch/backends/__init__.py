"""torch.backends as xptorch has it: the flags PyTorch code sets (`torch.backends.cudnn.benchmark = True`)
and the availability questions it asks. xptorch computes with NumPy and CuPy, not cuDNN, MPS or oneDNN:
those report unavailable, and their flags are kept and validated but change no computation."""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp, opt_einsum  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp", "opt_einsum"]
