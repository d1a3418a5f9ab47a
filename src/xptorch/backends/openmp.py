"""torch.backends.openmp: xptorch's CPU threads are BLAS's and its own fill pool, not OpenMP."""


def is_available():
    return False
