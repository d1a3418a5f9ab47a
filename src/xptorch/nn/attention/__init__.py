"""Which backends F.scaled_dot_product_attention may use: SDPBackend and the sdpa_kernel context manager.

xptorch has one attention implementation, written with ordinary tensor ops: it serves as the MATH
backend everywhere and, on the CPU, as the flash kernel too (which gives the same values) under
the conditions that torch's CPU flash kernel accepts.  A selection that leaves none of these
makes attention raise torch's errors.
"""
import contextlib
import enum

from ...backends import cuda as _cuda

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False


class SDPBackend(enum.Enum):
    """The attention backends, with torch's values (ERROR marks a failed choice)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value

    __index__ = __int__

    def __str__(self):
        return f"SDPBackend.{self.name}"


# Flag name in xptorch.backends.cuda for each selectable backend.
_FLAGS = {
    "cudnn": SDPBackend.CUDNN_ATTENTION,
    "flash": SDPBackend.FLASH_ATTENTION,
    "mem_efficient": SDPBackend.EFFICIENT_ATTENTION,
    "math": SDPBackend.MATH,
    "overrideable": SDPBackend.OVERRIDEABLE,
}


def _enabled_backends(with_priority=False):
    out = [b for name, b in _FLAGS.items() if _cuda._sdp[name]]
    if with_priority:
        out.sort(key=lambda b: _cuda._sdp_priority.index(int(b)))
    return out


def _select(backends, set_priority):
    for name, b in _FLAGS.items():
        _cuda._sdp[name] = b in backends
    if set_priority:
        order = [int(b) for b in backends]
        order += [p for p in _cuda._sdp_priority if p not in order]
        _cuda._sdp_priority[:] = order


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block, scaled_dot_product_attention may use only ``backends`` (an SDPBackend or a
    list of them); set_priority=True also makes their order the order of preference.  The previous
    selection comes back on exit."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                             f"{type(backends).__name__}")
    backends = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    previous = _enabled_backends(with_priority=set_priority)
    try:
        _select(backends, set_priority)
        yield {}
    finally:
        _select(previous, set_priority)
