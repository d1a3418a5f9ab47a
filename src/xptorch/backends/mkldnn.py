"""torch.backends.mkldnn: xptorch's CPU path is NumPy and its BLAS, not oneDNN."""

enabled = False


def is_available():
    return False
