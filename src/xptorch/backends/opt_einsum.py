"""torch.backends.opt_einsum: xptorch's einsum plans its own contraction order; the opt_einsum
package is used by neither, so it reports unavailable and disabled as PyTorch without it."""


def is_available():
    return False


def get_opt_einsum():
    return None


enabled = False
strategy = None
