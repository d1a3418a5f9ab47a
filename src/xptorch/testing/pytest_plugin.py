"""pytest plugin for tests of code written with xptorch (registered as `xptorch` through pytest11).

Fixtures:
  device          -- parametrised over "cpu" and every usable "cuda:N"; where CUDA is unusable a single
                     "cuda" case is skipped with the reason.
  cuda_benchmark  -- pytest-benchmark's `benchmark`, but every timed round ends by synchronising each
                     visible CUDA device, so GPU work is measured rather than its launch.

A conftest.py fixture of the same name takes precedence over these, as pytest intends.
"""
import pytest


def _cuda_params():
    import xptorch

    if not xptorch.cuda.is_available():
        reason = "CUDA is not available: " + (xptorch.cuda.why_unavailable() or "no device")
        return [pytest.param("cuda", marks=pytest.mark.skip(reason=reason), id="cuda")]
    return [pytest.param(f"cuda:{i}", id=f"cuda:{i}") for i in range(xptorch.cuda.device_count())]


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs an NVIDIA GPU with CuPy (skipped elsewhere)")


def pytest_generate_tests(metafunc):
    # Parametrised here rather than in @pytest.fixture(params=...) so that CUDA is queried only when a test
    # actually asks for this plugin's `device`, and not at all when a conftest overrides it.
    if "device" not in metafunc.fixturenames:
        return
    defs = metafunc._arg2fixturedefs.get("device")
    if not defs or defs[-1].func is not _device_impl:
        return
    metafunc.parametrize("device", [pytest.param("cpu", id="cpu"), *_cuda_params()], indirect=True)


def _device_impl(request):
    return getattr(request, "param", "cpu")


device = pytest.fixture(name="device")(_device_impl)


def synchronize_all():
    """Wait for every visible CUDA device (no-op without CUDA)."""
    import xptorch

    if not xptorch.cuda.is_available():
        return
    for i in range(xptorch.cuda.device_count()):
        xptorch.cuda.synchronize(i)


class CudaBenchmark:
    """Callable like pytest-benchmark's fixture; each round runs fn and then synchronises."""

    def __init__(self, benchmark, sync=synchronize_all):
        self._benchmark = benchmark
        self._sync = sync

    def _timed(self, fn):
        sync = self._sync

        def round_(*args, **kwargs):
            result = fn(*args, **kwargs)
            sync()
            return result

        return round_

    def __call__(self, fn, *args, **kwargs):
        self._sync()  # work queued before the benchmark is not charged to its first round
        return self._benchmark(self._timed(fn), *args, **kwargs)

    def pedantic(self, target, args=(), kwargs=None, setup=None, rounds=1, warmup_rounds=0, iterations=1):
        self._sync()
        return self._benchmark.pedantic(self._timed(target), args=args, kwargs=kwargs, setup=setup, rounds=rounds,
                                        warmup_rounds=warmup_rounds, iterations=iterations)

    def __getattr__(self, name):  # group, extra_info, stats, name, ...
        return getattr(self._benchmark, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._benchmark, name, value)


@pytest.fixture
def cuda_benchmark(benchmark):
    """pytest-benchmark's `benchmark` with a device synchronisation at the end of every timed round."""
    return CudaBenchmark(benchmark)
