"""The strict CuPy stand-in (tests/strict_cupy.py): its names and signatures against the installed CuPy,
and the CuPy rules it enforces, so a test passing on it means something on a GPU."""
import inspect
import subprocess
import sys
import types

import numpy as np
import pytest

import strict_cupy as S
import xptorch
from xptorch import backend

cupy = pytest.importorskip("cupy")

_NOT_CUPY = {"builtins", "functools", "gc", "itertools", "np", "re", "sys", "threading", "time", "traceback", "types",
             "weakref"}


def _public(ns):
    for name in dir(ns):
        if name.startswith("_") or name in _NOT_CUPY or name in S.STANDIN_ONLY:
            continue
        yield name, getattr(ns, name)


def _params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    ps = list(sig.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in ps):
        return None  # a generic wrapper: nothing to compare beyond the name
    return [p.name for p in ps]


def _check_namespace(mine, real, where):
    missing, mismatched = [], []
    for name, obj in _public(mine):
        if not hasattr(real, name):
            missing.append(f"{where}.{name}")
            continue
        if isinstance(obj, types.ModuleType):
            continue
        theirs = getattr(real, name)
        if isinstance(obj, S.ufunc):
            if not isinstance(theirs, cupy.ufunc):
                mismatched.append(f"{where}.{name}: a ufunc here, {type(theirs).__name__} in CuPy")
            continue
        a, b = _params(obj), _params(theirs)
        if a is not None and b is not None and a != b[: len(a)]:
            mismatched.append(f"{where}.{name}{tuple(a)} but CuPy has {tuple(b)}")
    return missing, mismatched


def test_every_stand_in_name_exists_in_cupy_with_its_signature():
    missing, mismatched = [], []
    for mine, real, where in (
        (S, cupy, "cupy"),
        (S.linalg, cupy.linalg, "cupy.linalg"),
        (S.lib.stride_tricks, cupy.lib.stride_tricks, "cupy.lib.stride_tricks"),
    ):
        m, mm = _check_namespace(mine, real, where)
        missing += m
        mismatched += mm
    for name in ("Device", "runtime", "nvrtc", "function", "is_available", "get_current_stream", "Stream", "Event",
                 "MemoryPool", "alloc", "set_allocator", "using_allocator", "get_elapsed_time", "graph"):
        if not hasattr(cupy.cuda, name):
            missing.append(f"cupy.cuda.{name}")
    for cls, names in ((cupy.cuda.Stream, ("null", "done", "synchronize", "use", "record", "wait_event",
                                           "begin_capture", "end_capture", "is_capturing")),
                       (cupy.cuda.Event, ("done", "record", "synchronize")),
                       (cupy.cuda.Device, ("id", "use", "synchronize", "compute_capability")),
                       (cupy.cuda.MemoryPool, ("malloc", "used_bytes", "total_bytes", "free_bytes", "free_all_blocks")),
                       (cupy.cuda.graph.Graph, ("launch", "upload", "debug_dot_str"))):
        for name in names:
            if not hasattr(cls, name):
                missing.append(f"{cls.__name__}.{name}")
    for name in ("getDeviceCount", "getDevice", "setDevice", "getDeviceProperties", "deviceSynchronize",
                 "CUDARuntimeError"):
        if not hasattr(cupy.cuda.runtime, name):
            missing.append(f"cupy.cuda.runtime.{name}")
    for name in ("createProgram", "compileProgram", "getCUBIN", "getPTX", "destroyProgram", "getVersion",
                 "getProgramLog", "NVRTCError"):
        if not hasattr(cupy.cuda.nvrtc, name):
            missing.append(f"cupy.cuda.nvrtc.{name}")
    if not hasattr(cupy.cuda.function, "Module"):
        missing.append("cupy.cuda.function.Module")
    assert not missing, f"the stand-in offers names CuPy lacks: {missing}"
    assert not mismatched, mismatched


def test_the_nccl_stand_in_names_exist_in_cupys_nccl():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CuPy warns when libnccl is missing
        from cupy.cuda import nccl
    if not getattr(nccl, "available", False):
        pytest.skip("this CuPy has no NCCL")
    mine = set(dir(S.cuda.nccl)) | set(vars(type(S.cuda.nccl)))  # the module's names live on its class
    missing = [n for n in sorted(mine) if not n.startswith("_") and not hasattr(nccl, n)]
    missing += [f"NcclCommunicator.{n}" for n in dir(S.cuda.nccl.NcclCommunicator)
                if not n.startswith("_") and not hasattr(nccl.NcclCommunicator, n)]
    assert not missing, f"the stand-in's NCCL offers names CuPy's lacks: {missing}"


def test_array_attributes_exist_on_cupy_ndarray():
    extra = [n for n in dir(S.ndarray) if not n.startswith("_") and not hasattr(cupy.ndarray, n)]
    assert not extra, f"stand-in ndarray has attributes cupy.ndarray lacks: {extra}"
    for name in ("get", "set", "astype", "reshape", "take", "view", "copy", "fill"):
        a, b = _params(getattr(S.ndarray, name)), _params(getattr(cupy.ndarray, name))
        if a is not None and b is not None:
            assert a == b[: len(a)], (name, a, b)
    real_flags = [n for n in dir(cupy._core.flags.Flags) if not n.startswith("_")]
    assert "writeable" not in real_flags
    assert set(S._Flags.__slots__) <= set(real_flags)


def test_arrays_are_not_numpy_arrays_and_refuse_implicit_conversion():
    a = S.arange(4.0)
    assert not isinstance(a, np.ndarray)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        a + np.ones(4)
    with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
        np.ones(4) * a
    with pytest.raises(TypeError, match="Unsupported type"):
        S.add(a, [1, 2, 3, 4])
    with pytest.raises(TypeError, match="Unsupported type"):
        S.concatenate([a, np.ones(2)])
    assert float((a + np.float32(1) + 2).sum()) == 18.0  # scalars are fine
    assert not hasattr(a.flags, "writeable")
    assert isinstance(a.sum(), S.ndarray) and a.sum().ndim == 0  # no NumPy scalars come back
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        a[0:2] = [1.0, 2.0]
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        a[0:2] = np.ones(2)


def test_integer_array_indices_wrap_and_plain_ints_raise():
    a = S.arange(5)
    idx = S.asarray(np.array([0, 5, -6, 7]))
    assert a[idx].get().tolist() == [0, 0, 4, 2]
    assert S.take(a, idx).get().tolist() == [0, 0, 4, 2]
    b = S.zeros(5)
    b[idx] = 1.0
    assert b.get().tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    c = S.zeros(5)
    S.add.at(c, idx, 1.0)
    assert c.get().tolist() == [2.0, 0.0, 1.0, 0.0, 1.0]
    with pytest.raises(IndexError):
        a[5]


def test_host_syncs_are_counted():
    a = S.arange(6.0).reshape(2, 3)
    with S.count_syncs() as c:
        b = (a * 2).sum(axis=0)
        a[a > 1] = 0.0  # a scalar fill through a mask needs no sync
        a.T.copy()
    assert c.syncs == 0, c.report()
    with S.count_syncs() as c:
        float(b[0])
        b.get()
        a[a > 1]
        S.nonzero(a)
        bool(a.any())
        S.asnumpy(a)
    assert c.syncs == 6


def test_views_keep_cupy_base_identity():
    a = S.arange(6.0)
    v = a.reshape(2, 3)
    assert v.base is a and v.T.base is a and a.base is None
    assert S.ascontiguousarray(a) is a
    assert a.astype(a.dtype, copy=False) is a and a.astype(a.dtype) is not a


def test_kernel_launches_check_the_c_signature(strict_cuda):
    from xptorch.backend import cuda_kernels as ck

    x = S.arange(8, dtype=np.float32) - 4
    y = S.empty_like(x)
    fn = ck.ELEMENTWISE.function("xpt_relu_fwd_f32", 0)
    with pytest.raises(TypeError, match="long long n needs numpy.int64, got int"):
        fn((1,), (256,), (x, y, 8))
    with pytest.raises(TypeError, match="pointer x is float\\*, got float64"):
        fn((1,), (256,), (x.astype(np.float64), y, np.int64(8)))
    with pytest.raises(ValueError, match="not contiguous"):
        fn((1,), (256,), (x[::2], y[::2], np.int64(4)))
    fn((1,), (256,), (x, y, np.int64(8)))
    assert y.get().tolist() == [0, 0, 0, 0, 0, 1, 2, 3]


def test_simulate_cuda_hook_installs_and_removes_a_module():
    assert backend._simulated is None
    with pytest.raises(TypeError, match="CuPy-like module"):
        backend.simulate_cuda(True)
    backend.simulate_cuda(S)
    try:
        t = xptorch.ones(3, device="cuda")
        assert type(t._data) is S.ndarray and backend.is_device_array(t._data)
        assert backend.get_array_module(t._data) is S
    finally:
        backend.simulate_cuda(None)
    assert backend._simulated is None


@pytest.mark.skipif(xptorch.cuda.is_available(), reason="checks the no-GPU path")
def test_import_with_cupy_but_no_driver_reports_unavailable():
    code = ("import xptorch, cupy; assert not xptorch.cuda.is_available(); "
            "print(xptorch.cuda.why_unavailable())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "CuPy is installed but no CUDA driver could be used" in run.stdout or "no CUDA GPU" in run.stdout


def test_arrays_remember_their_device_and_kernels_refuse_another_devices_arrays():
    S.set_device_count(2)
    try:
        a = S.ones(3, dtype=np.float32)
        with S.cuda.Device(1):
            b = S.ones(3, dtype=np.float32)
            assert (a.device.id, b.device.id, b.data.device_id) == (0, 1, 1)
            with pytest.raises(ValueError, match=r"resides \(0\) is different from the current device \(1\)"):
                a + 1
            assert a.copy().device.id == 1  # CuPy's copy works across devices, onto the current one
            assert a.T.device.id == 0 and a[1:].device.id == 0  # views launch nothing
            assert a.get().tolist() == [1.0] * 3  # reading back works from any device
        with pytest.raises(ValueError, match="Peer access is unavailable"):
            a + b
        with pytest.raises(S.cuda.runtime.CUDARuntimeError, match="invalid device ordinal"):
            S.cuda.Device(2)
    finally:
        S.set_device_count(1)


def test_stream_capture_records_without_running_and_replay_runs():
    a = S.ones(3, dtype=np.float32)
    s = S.cuda.Stream(non_blocking=True)
    with s:
        s.begin_capture()
        y = a * 2
        a += 1
        with pytest.raises(S.cuda.runtime.CUDARuntimeError, match="operation not permitted when stream is capturing"):
            y.get()
        with pytest.raises(S.cuda.runtime.CUDARuntimeError, match="capturing"):
            S.asarray(np.ones(3))  # a synchronous upload
        g = s.end_capture()
    assert a.get().tolist() == [1.0] * 3 and np.isnan(y.get()).all()
    g.launch()
    assert a.get().tolist() == [2.0] * 3 and y.get().tolist() == [2.0] * 3
    g.launch(s)
    assert a.get().tolist() == [3.0] * 3 and y.get().tolist() == [4.0] * 3
