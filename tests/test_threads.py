"""set_num_threads / get_num_threads / set_num_interop_threads against torch's rules and errors."""
import sys

import numpy as np
import pytest

import xptorch
from xptorch import _random, _threads

torch = pytest.importorskip("torch")
threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture
def restore():
    before = (_threads._num_threads, _threads._interop, _random._N_WORKERS)
    yield
    limiter = _threads._blas_limit
    if limiter is not None:
        limiter.restore_original_limits()
    _threads._num_threads, _threads._interop, _threads._blas_limit = before[0], before[1], None
    _random.set_fill_threads(before[2])


def _blas_threads():
    return {i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}


@pytest.mark.parametrize("n", [0, -1, -8])
def test_non_positive_counts_raise_torchs_error(n, restore):
    before = xptorch.get_num_threads()
    for fn in ("set_num_threads", "set_num_interop_threads"):
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch, fn)(n)
        with pytest.raises(RuntimeError) as ours:
            getattr(xptorch, fn)(n)
        assert str(ours.value) == str(theirs.value)
    assert xptorch.get_num_threads() == before


@pytest.mark.parametrize("n", [1.5, "2", True, None])
def test_non_integer_counts_raise_torchs_error(n, restore):
    with pytest.raises((RuntimeError, TypeError)) as theirs:
        torch.set_num_threads(n)
    with pytest.raises(type(theirs.value)) as ours:
        xptorch.set_num_threads(n)
    assert str(ours.value) == str(theirs.value)


def test_default_is_the_usable_cores():
    assert _threads._num_threads is not None or xptorch.get_num_threads() == _random._cpu_count()
    assert xptorch.get_num_interop_threads() >= 1


def test_set_num_threads_limits_blas_and_the_fill_pool(restore):
    xptorch.set_num_threads(1)
    assert xptorch.get_num_threads() == 1
    assert _random._N_WORKERS == 1
    assert _blas_threads() in (set(), {1})
    xptorch.set_num_threads(2)
    assert xptorch.get_num_threads() == 2 and _random._N_WORKERS == 2


def test_fills_do_not_depend_on_the_thread_count(restore):
    xptorch.set_num_threads(1)
    a = _random.Generator().manual_seed(5).normal((1 << 18,))
    b = _random.Generator().manual_seed(5).uniform((1 << 18,))
    xptorch.set_num_threads(3)
    np.testing.assert_array_equal(a, _random.Generator().manual_seed(5).normal((1 << 18,)))
    np.testing.assert_array_equal(b, _random.Generator().manual_seed(5).uniform((1 << 18,)))


def test_without_threadpoolctl_set_num_threads_says_what_to_install(monkeypatch, restore):
    xptorch.set_num_threads(2)
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    with pytest.raises(ImportError, match=r"xptorch\[threads\]"):
        xptorch.set_num_threads(1)
    assert xptorch.get_num_threads() == 2 and _random._N_WORKERS == 2


def test_interop_threads_are_set_once(restore):
    _threads._interop = None
    xptorch.set_num_interop_threads(3)
    assert xptorch.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        xptorch.set_num_interop_threads(2)
    assert xptorch.get_num_interop_threads() == 3
