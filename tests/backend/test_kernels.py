"""Hot kernels without a GPU: the NumPy twins against torch, the .cu sources built for the host by gcc
against the twins, and cuda_kernels.py's own launches run through a CuPy stand-in onto those host
builds, with every argument checked against the kernel's C signature."""
import ctypes
import importlib
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import xptorch.backend as B
from xptorch import _random as R
from xptorch.backend import kernel_source
from xptorch.backend import kernels as K

torch = pytest.importorskip("torch")

try:  # the real NVRTC, taken before any test puts a CuPy stand-in in its place
    import cupy  # noqa: F401
    from cupy.cuda import nvrtc as NVRTC
except Exception:
    NVRTC = None

ELEMENTWISE_FILES = ("prelude.cu", "relu.cu", "linear_epilogue.cu")
FLOATS = (np.float32, np.float64)
SFX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
NAN_PAYLOADS = {
    2: (0x7E12, 0xFE34),
    4: (0x7FC01234, 0xFFC04321),
    8: (0x7FF8000000001234, 0xFFF8000000004321),
}


def bits(a):
    a = np.asarray(a)
    return a.view(UINT[a.dtype.itemsize])


def special(dtype, n=4099, seed=0):
    """Random normals salted with zeros of both signs, infinities, NaNs with payloads and denormals."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    vals = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, info.tiny, -info.tiny,
                     info.smallest_subnormal, -info.smallest_subnormal, info.max, -info.max], dtype)
    nans = np.array(NAN_PAYLOADS[dtype.itemsize], UINT[dtype.itemsize]).view(dtype)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(max(n, 1)).astype(dtype)
    salt = np.concatenate([vals, nans])
    idx = rng.choice(x.size, size=min(x.size, 3 * salt.size), replace=x.size < 3 * salt.size)
    x[idx] = np.resize(salt, idx.size)
    return x[:n]


# ---------------------------------------------------------------- NumPy twins against torch


@pytest.mark.parametrize("dtype", (np.float16,) + FLOATS)
@pytest.mark.parametrize("layout", ["flat", "0d", "empty", "transposed", "strided"])
def test_relu_twin_matches_torch_bit_for_bit(dtype, layout):
    x = special(dtype, 4096)
    x = {
        "flat": x,
        "0d": np.array(-0.0, dtype),
        "empty": x[:0].reshape(0, 3),
        "transposed": x.reshape(64, 64).T,
        "strided": x.reshape(64, 64)[::3, 1::2],
    }[layout]
    got = K.relu_forward(x)
    want = torch.relu(torch.from_numpy(np.ascontiguousarray(x))).numpy()
    assert type(got) is np.ndarray and got.dtype == x.dtype and got.shape == x.shape
    np.testing.assert_array_equal(bits(got), bits(want))


def test_relu_twin_keeps_negative_zero_and_nan_payloads():
    x = np.array([-0.0, -3.0, 2.0], np.float32)
    nans = np.array(NAN_PAYLOADS[4], np.uint32).view(np.float32)
    y = K.relu_forward(np.concatenate([x, nans]))
    assert bits(y).tolist() == [0x80000000, 0, bits(np.float32(2.0)).item(), *NAN_PAYLOADS[4]]


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_relu_twin_on_integers_matches_torch(dtype):
    x = np.array([-128, -3, -1, 0, 1, 5, 127], dtype=np.int64).astype(dtype)
    got = K.relu_forward(x)
    np.testing.assert_array_equal(got, torch.relu(torch.from_numpy(x)).numpy())
    assert got.dtype == dtype


@pytest.mark.parametrize("dtype", (np.float16,) + FLOATS)
def test_relu_inplace_twin_writes_through_views(dtype):
    base = special(dtype, 4096).reshape(64, 64)
    keep = base.copy()
    view = base[1::2, ::3]
    want = K.relu_forward(view.copy())
    assert K.relu_inplace(view) is view
    np.testing.assert_array_equal(bits(view), bits(want))
    untouched = np.ones(base.shape, bool)
    untouched[1::2, ::3] = False
    np.testing.assert_array_equal(bits(base[untouched]), bits(keep[untouched]))


@pytest.mark.parametrize("dtype", (np.float16,) + FLOATS)
@pytest.mark.parametrize("broadcast_grad", [False, True])
def test_relu_backward_twin_matches_torch_autograd(dtype, broadcast_grad):
    x = special(dtype, 4096, seed=1).reshape(64, 64)
    g = np.broadcast_to(np.asarray(-2.5, dtype), x.shape) if broadcast_grad else special(dtype, 4096, seed=2).reshape(64, 64)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    ty = torch.relu(tx)
    ty.backward(torch.from_numpy(np.ascontiguousarray(g)))
    got = K.relu_backward(g, ty.detach().numpy())
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(bits(got), bits(tx.grad.numpy()))


def test_relu_backward_zeroes_are_positive_and_nan_outputs_pass_the_gradient():
    out = np.array([0.0, -0.0, 1.0, np.nan], np.float32)
    g = np.array([-1.0, np.inf, -0.0, 3.0], np.float32)
    assert bits(K.relu_backward(g, out)).tolist() == [0, 0, 0x80000000, bits(np.float32(3.0)).item()]


def _linear_reference(x, w, b, relu):
    y = x @ w.T
    if b is not None:
        y = y + b
    return np.where(y < 0, y.dtype.type(0), y) if relu else y


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("xshape", [(5,), (3, 5), (2, 3, 5), (0, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("relu", [False, True])
def test_linear_twin_is_matmul_plus_bias_then_relu(dtype, xshape, bias, relu):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal((4, 5)).astype(dtype)
    b = special(dtype, 4, seed=4) if bias else None
    got = K.linear_forward(x, w, b, relu)
    assert got.shape == xshape[:-1] + (4,) and got.dtype == dtype
    np.testing.assert_array_equal(bits(got), bits(_linear_reference(x, w, b, relu)))
    tb = None if b is None else torch.from_numpy(b)
    want = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w), tb)
    if relu:
        want = torch.relu(want)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


# ---------------------------------------------------------------- the .cu sources built for the host

CTYPES = {
    "long long": ctypes.c_longlong,
    "xpt_u64": ctypes.c_ulonglong,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "int": ctypes.c_int,
}
SCALARS = {"long long": np.int64, "xpt_u64": np.uint64, "float": np.float32, "double": np.float64, "int": np.int32}
POINTEES = {"float": np.float32, "double": np.float64, "xpt_u64": np.uint64, "long long": np.int64}


def kernel_signatures(text):
    """{kernel name: [C parameter types]} from the XPT_KERNEL(name)(params) definitions."""
    sigs = {}
    for name, params in re.findall(r"XPT_KERNEL\((\w+)\)\(([^)]*)\)", text):
        sigs[name] = [re.sub(r"\s*\*", "*", re.match(r"\s*(.*?)\s*\w+\s*$", p).group(1)) for p in params.split(",")]
    return sigs


class HostKernels:
    """ctypes front end of a gcc build: launches take CuPy's argument types, each checked against the C signature."""

    def __init__(self, lib, text):
        self.lib = lib
        self.sigs = kernel_signatures(text)
        for name, params in self.sigs.items():
            fn = getattr(lib, name + "_host")
            fn.argtypes = [ctypes.c_void_p if t.endswith("*") else CTYPES[t] for t in params]
            fn.restype = None

    def __call__(self, name, *args):
        params = self.sigs[name]
        assert len(args) == len(params), f"{name} takes {len(params)} arguments, got {len(args)}"
        converted = []
        for i, (a, t) in enumerate(zip(args, params)):
            if t.endswith("*"):
                want = POINTEES[t.removeprefix("const ").rstrip("*")]
                assert isinstance(a, np.ndarray) and a.dtype == want, f"{name} argument {i}: {t} needs a {np.dtype(want)} array"
                assert a.flags.c_contiguous or a.flags.f_contiguous, f"{name} argument {i} is not contiguous"
                if name.endswith("_vec"):
                    assert a.__array_interface__["data"][0] % 16 == 0, f"{name} argument {i} is not 16-byte aligned"
                converted.append(a.__array_interface__["data"][0])
            else:
                # CuPy packs a scalar by its own width: anything but the exact type is misread on the GPU.
                assert type(a) is SCALARS[t], f"{name} argument {i}: {t} needs numpy.{SCALARS[t].__name__}, got {type(a).__name__}"
                converted.append(a.item())
        getattr(self.lib, name + "_host")(*converted)


def _gcc_build(tmp_path_factory, stem, text, define):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc not found: cannot build the host reference of the CUDA kernels")
    d = tmp_path_factory.mktemp(stem)
    src, lib = d / f"{stem}.c", d / f"lib{stem}.so"
    src.write_text(text)
    cmd = [gcc, "-x", "c", define, "-O2", "-ffp-contract=off", "-fno-strict-aliasing", "-Wall", "-Wextra",
           "-shared", "-fPIC", str(src), "-o", str(lib), "-lm"]
    run = subprocess.run(cmd, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr, run.stderr
    return HostKernels(ctypes.CDLL(str(lib)), text)


@pytest.fixture(scope="module")
def host_elementwise(tmp_path_factory):
    return _gcc_build(tmp_path_factory, "elementwise", kernel_source.source(*ELEMENTWISE_FILES), "-DXPT_HOST")


@pytest.fixture(scope="module")
def host_philox(tmp_path_factory):
    return _gcc_build(tmp_path_factory, "philox", kernel_source.source("philox.cu"), "-DXPT_PHILOX_HOST")


def test_signature_check_rejects_python_scalars(host_elementwise):
    x = np.ones(4, np.float32)
    y = np.empty_like(x)
    with pytest.raises(AssertionError, match="needs numpy.int64, got int"):
        host_elementwise("xpt_relu_fwd_f32", x, y, 4)
    with pytest.raises(AssertionError, match="needs a float32 array"):
        host_elementwise("xpt_relu_fwd_f32", x.astype(np.float64), y, np.int64(4))


SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 4099]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", SIZES)
def test_host_relu_kernels_equal_the_twins(host_elementwise, dtype, n):
    x = special(dtype, n)
    g = special(dtype, n, seed=5)
    sfx = SFX[np.dtype(dtype)]
    for name in (f"xpt_relu_fwd_{sfx}", f"xpt_relu_fwd_{sfx}_vec"):
        y = np.full_like(x, 7)
        host_elementwise(name, x, y, np.int64(n))
        np.testing.assert_array_equal(bits(y), bits(K.relu_forward(x)), err_msg=name)
        inplace = x.copy()
        host_elementwise(name, inplace, inplace, np.int64(n))
        np.testing.assert_array_equal(bits(inplace), bits(y), err_msg=name)
    out = K.relu_forward(x)
    for name in (f"xpt_relu_bwd_{sfx}", f"xpt_relu_bwd_{sfx}_vec"):
        gx = np.full_like(x, 7)
        host_elementwise(name, g, out, gx, np.int64(n))
        np.testing.assert_array_equal(bits(gx), bits(K.relu_backward(g, out)), err_msg=name)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (3, 5), (4, 8), (7, 12), (0, 4), (33, 16)])
@pytest.mark.parametrize("relu", [0, 1])
def test_host_bias_act_kernels_equal_the_twin(host_elementwise, dtype, rows, cols, relu):
    y0 = special(dtype, rows * cols, seed=6).reshape(rows, cols)
    b = special(dtype, cols, seed=7)
    want = y0.copy()
    with np.errstate(over="ignore", invalid="ignore"):  # max + max and inf - inf are part of the test
        want += b
    if relu:
        K.relu_inplace(want)
    sfx = SFX[np.dtype(dtype)]
    names = [f"xpt_bias_act_{sfx}"]
    if cols % (16 // np.dtype(dtype).itemsize) == 0:
        names.append(f"xpt_bias_act_{sfx}_vec")
    for name in names:
        y = y0.copy()
        host_elementwise(name, y, b, np.int64(rows), np.int64(cols), np.int32(relu))
        np.testing.assert_array_equal(bits(y), bits(want), err_msg=name)


# ---------------------------------------------------------------- cuda_kernels.py over a CuPy stand-in


class FakeDevice:
    id = 0
    compute_capability = "90"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeArray(np.ndarray):
    """A NumPy array answering CuPy's .data.ptr and .device, so cuda_kernels.py takes it for a device array."""

    @property
    def data(self):
        return types.SimpleNamespace(ptr=self.__array_interface__["data"][0], device_id=0)

    @property
    def device(self):
        return FakeDevice()


def _fake_matmul(a, b, out=None):
    # OpenBLAS's small float32 kernels now and then leave a spurious 'invalid' flag on finite
    # operands (seen once in a full run, never alone); CuPy raises no FP warnings, and the
    # tests compare every value with the twin, so a real NaN still fails them.
    with np.errstate(invalid="ignore"):
        return np.matmul(a, b, out=out)


def _fake_cupy():
    cp = types.ModuleType("cupy")
    cp.empty = lambda shape, dtype=np.float64, order="C": np.empty(shape, dtype, order).view(FakeArray)
    cp.empty_like = lambda a: np.empty_like(a)
    cp.ascontiguousarray = lambda a: a if a.flags.c_contiguous else np.ascontiguousarray(a).view(FakeArray)
    cp.broadcast_to = lambda a, shape: np.broadcast_to(a, shape, subok=True)
    cp.matmul = _fake_matmul
    runtime = types.SimpleNamespace(getDeviceProperties=lambda dev: {"multiProcessorCount": 132})
    cp.cuda = types.SimpleNamespace(Device=lambda dev=0: FakeDevice(), runtime=runtime)
    cp.ndarray = FakeArray
    return cp


def aligned(a, offset=0):
    """A FakeArray copy of a whose first element sits offset elements past a 16-byte boundary."""
    a = np.asarray(a)
    buf = np.empty(a.nbytes + 16 + offset * a.itemsize + a.itemsize, np.uint8)
    start = (-buf.__array_interface__["data"][0]) % 16 + offset * a.itemsize
    out = buf[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out.view(FakeArray)


def _import_against_fake_cupy(monkeypatch):
    name = "xptorch.backend.cuda_kernels"
    cp = _fake_cupy()
    monkeypatch.setitem(sys.modules, "cupy", cp)
    # cuda_kernels finds CuPy through the backend's testing hook (the module is swapped back on teardown).
    monkeypatch.setattr(B, "_simulated", cp)
    # Recorded first, so teardown puts back exactly what was there (the real module, or nothing).
    monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(B, "cuda_kernels", None, raising=False)
    del sys.modules[name]
    return importlib.import_module(name)


@pytest.fixture
def fake(host_elementwise, host_philox, monkeypatch):
    """cuda_kernels imported against a CuPy stand-in; launches run the gcc builds and are recorded."""
    ck = _import_against_fake_cupy(monkeypatch)
    launches = []

    def launch(self, dtype, dev, grid, block, args):
        kernel = self.pattern.format(ck._SUFFIX.get(dtype, ""))
        assert dev == 0
        assert all(type(v) is int and v >= 1 for v in grid + block), (grid, block)
        assert len(block) <= 3 and int(np.prod(block)) <= 1024, block
        assert grid[0] < 2**31 and all(v <= 65535 for v in grid[1:]), grid
        host = host_philox if self.program is ck.PHILOX else host_elementwise
        host(kernel, *args)
        launches.append(kernel)

    monkeypatch.setattr(ck.LazyKernel, "__call__", launch)
    return types.SimpleNamespace(ck=ck, launches=launches)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 3, 8, 4099])
@pytest.mark.parametrize("offset", [0, 1])
def test_relu_launches_equal_the_twins(fake, dtype, n, offset):
    x = special(dtype, n)
    fx = aligned(x, offset)
    y = K.relu_forward(fx)
    assert type(y) is FakeArray and y.shape == x.shape
    np.testing.assert_array_equal(bits(y), bits(K.relu_forward(x)))
    g = aligned(special(dtype, n, seed=8), offset)
    gx = K.relu_backward(g, y)
    np.testing.assert_array_equal(bits(gx), bits(K.relu_backward(np.asarray(g), np.asarray(y))))
    assert K.relu_inplace(fx) is fx
    np.testing.assert_array_equal(bits(fx), bits(y))
    vec = "_vec" if offset == 0 else ""
    sfx = SFX[np.dtype(dtype)]
    # The output is freshly allocated (aligned) but a misaligned input forces the scalar kernels.
    assert fake.launches == [f"xpt_relu_fwd_{sfx}{vec}", f"xpt_relu_bwd_{sfx}{vec}", f"xpt_relu_fwd_{sfx}{vec}"]


@pytest.mark.parametrize("layout", ["fortran", "strided", "broadcast_grad"])
def test_relu_launches_handle_layouts(fake, layout):
    base = special(np.float32, 64 * 48).reshape(64, 48)
    if layout == "fortran":
        x = np.asfortranarray(base).view(FakeArray)
    elif layout == "strided":
        x = aligned(base)[::2, 1::3]
    else:
        x = aligned(base)
    y = K.relu_forward(x)
    np.testing.assert_array_equal(bits(y), bits(K.relu_forward(np.asarray(x))))
    if layout == "fortran":
        assert y.flags.f_contiguous
    g = np.broadcast_to(aligned(np.float32(-1.5)), x.shape, subok=True) if layout == "broadcast_grad" else aligned(special(np.float32, x.size, 9).reshape(x.shape))
    gx = K.relu_backward(g, y)
    np.testing.assert_array_equal(bits(gx), bits(K.relu_backward(np.asarray(g), np.asarray(y))))
    before = np.asarray(x).copy()
    assert K.relu_inplace(x) is x
    np.testing.assert_array_equal(bits(x), bits(K.relu_forward(before)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("xshape", [(5,), (3, 5), (2, 3, 5), (0, 5), (3, 0)])
@pytest.mark.parametrize("out_features", [1, 6, 8])
@pytest.mark.parametrize("bias", ["aligned", "offset", None])
@pytest.mark.parametrize("relu", [False, True])
def test_linear_launch_equals_the_twin(fake, dtype, xshape, out_features, bias, relu):
    rng = np.random.default_rng(10)
    # Small integers keep every GEMM sum exact, so only the epilogue can differ.
    x = rng.integers(-4, 5, xshape).astype(dtype)
    w = rng.integers(-4, 5, (out_features, xshape[-1])).astype(dtype)
    b = None if bias is None else special(dtype, out_features, seed=11)
    fb = None if b is None else aligned(b, 0 if bias == "aligned" else 1)
    got = K.linear_forward(aligned(x), aligned(w), fb, relu)
    assert type(got) is FakeArray and got.shape == xshape[:-1] + (out_features,)
    np.testing.assert_array_equal(bits(got), bits(K.linear_forward(x, w, b, relu)))
    rows = int(np.prod(xshape[:-1]))
    if rows and b is not None:
        lanes = 16 // np.dtype(dtype).itemsize
        vec = "_vec" if bias == "aligned" and out_features % lanes == 0 else ""
        assert fake.launches == [f"xpt_bias_act_{SFX[np.dtype(dtype)]}{vec}"]
    elif rows and relu:
        assert fake.launches[0].startswith("xpt_relu_fwd")
    else:
        assert fake.launches == []


class _T:
    """The slice of a Tensor that backend.kernels.random_fill reads."""

    def __init__(self, data):
        self._data = data
        self._device = None


FILLS = [
    ("uniform", (-3.0, 7.5)),
    ("uniform", (0.0, 1.0)),
    ("masked_uniform", (10.0, 5.0)),
    ("normal", (0.5, 2.0)),
    ("bernoulli", (0.3,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind,args", FILLS)
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (9,), (33, 31)])
@pytest.mark.parametrize("layout", ["c", "fortran", "offset"])
def test_random_fill_launch_equals_the_host_stream(fake, dtype, kind, args, shape, layout):
    gen = R.Generator().manual_seed(1234)
    gen._reserve(5)
    twin = R.Generator().set_state(gen.get_state())
    want = K._host_random(shape, np.dtype(dtype), kind, args, twin)
    target = np.zeros(shape, dtype)
    d = {"c": aligned(target), "fortran": np.asfortranarray(target).view(FakeArray), "offset": aligned(target, 1)}[layout]
    K.random_fill(_T(d), kind, args, gen)
    got = np.asarray(d)
    if kind == "normal":
        # glibc's and NumPy's log/sin/cos differ by a few ulp before the mean shift (documented bound).
        mean = dtype(args[0])
        ulp = R.NORMAL_F32_ULP if np.dtype(dtype) == np.float32 else 2
        bound = ulp * np.spacing(np.abs(want - mean)) + np.spacing(np.abs(want))
        assert np.all(np.abs(got - want) <= bound)
    else:
        np.testing.assert_array_equal(bits(got), bits(want))
    np.testing.assert_array_equal(gen.get_state(), twin.get_state())
    assert len(fake.launches) == (1 if np.prod(shape) else 0)


@pytest.mark.parametrize("kind,args", [("uniform", (2.0, 1.0)), ("uniform", (0.0, float("inf"))), ("masked_uniform", (float("nan"), 1.0))])
def test_random_fill_launch_rejects_what_the_host_rejects_without_consuming(fake, kind, args):
    gen = R.Generator().manual_seed(7)
    state = gen.get_state()
    with pytest.raises(ValueError) as launched:
        K.random_fill(_T(aligned(np.zeros(8, np.float32))), kind, args, gen)
    with pytest.raises(ValueError) as host:
        K._host_random((8,), np.dtype(np.float32), kind, args, R.Generator().manual_seed(7))
    assert str(launched.value) == str(host.value)
    np.testing.assert_array_equal(gen.get_state(), state)
    assert fake.launches == []


def test_random_fill_without_a_kernel_is_left_to_the_host(fake):
    gen = R.Generator().manual_seed(7)
    half = aligned(np.zeros(8, np.float16))
    assert fake.ck.random_fill(half, "uniform", (0.0, 1.0), gen) is False
    assert fake.ck.random_fill(aligned(np.zeros(8, np.float32)), "bernoulli", (np.full(8, 0.5),), gen) is False
    assert fake.ck.random_fill(aligned(np.zeros(8, np.float32)), "normal", (0.0, -1.0), gen) is False
    assert gen.get_state().tolist() == R.Generator().manual_seed(7).get_state().tolist()
    assert fake.launches == []


@pytest.mark.parametrize("ctr0", [0, 41, (1 << 64) - 2])
def test_random_raw_launch_equals_numpy_philox(fake, ctr0):
    key0 = 0x0123456789ABCDEF
    got = fake.ck.random_raw(23, key0, 0, ctr0)
    want = R._positioned(key0, 0, ctr0).bit_generator.random_raw(23)
    np.testing.assert_array_equal(np.asarray(got), want)


# ---------------------------------------------------------------- device code as NVRTC/nvcc sees it


def _ptx(tmp_path, files, options):
    """PTX of the concatenated files: CuPy's NVRTC when importable, else nvcc; skip if neither exists."""
    text = kernel_source.source(*files)
    if NVRTC is not None:
        prog = NVRTC.createProgram(text, files[-1], (), ())
        try:
            NVRTC.compileProgram(prog, tuple(options) + ("-arch=compute_90",))
            return NVRTC.getPTX(prog).decode()
        finally:
            NVRTC.destroyProgram(prog)
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("neither CuPy's NVRTC nor nvcc is available to compile the CUDA sources")
    src, out = tmp_path / "program.cu", tmp_path / "program.ptx"
    src.write_text(text)
    run = subprocess.run([nvcc, "-ptx", "-arch=compute_90", *options, str(src), "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out.read_text()


def _entries(ptx):
    parts = re.split(r"\.visible \.entry (\w+)\(", ptx)
    return dict(zip(parts[1::2], parts[2::2]))


@pytest.fixture(scope="module")
def programs(tmp_path_factory):
    """{files: (PTX entries, kernel names cuda_kernels launches from them)} with cuda_kernels' own options."""
    with pytest.MonkeyPatch.context() as mp:
        ck = _import_against_fake_cupy(mp)
        options = ck.OPTIONS
        launched = {}
        for lk in vars(ck).values():
            if isinstance(lk, ck.LazyKernel):
                launched.setdefault(lk.program.files, set()).update(lk.pattern.format(s) for s in ("f32", "f64"))
    # Compiled after the stand-in is gone: NVRTC loads its library through the real cupy module.
    d = tmp_path_factory.mktemp("ptx")
    return options, {files: (_entries(_ptx(d, files, options)), names) for files, names in launched.items()}


def test_options_keep_ieee_arithmetic(programs):
    options, _ = programs
    assert "--fmad=false" in options and "-ftz=false" in options
    assert not any("fast-math" in o or "use_fast_math" in o for o in options)


def test_every_launched_kernel_is_defined(programs):
    _, progs = programs
    assert set(progs) == {ELEMENTWISE_FILES, ("philox.cu",)}
    for files, (entries, names) in progs.items():
        assert names <= set(entries), (files, names - set(entries))


def test_elementwise_program_compiles_without_fma_or_flushing(programs):
    entries, _ = programs[1][ELEMENTWISE_FILES]
    assert len(entries) == 12
    for name, body in entries.items():
        assert "fma." not in body and "mad.rn" not in body and ".ftz" not in body, name
        assert ("v4.f32" in body or "v2.f64" in body) == name.endswith("_vec"), name


def test_philox_program_only_fuses_inside_libm(programs):
    entries, _ = programs[1][("philox.cu",)]
    for name, body in entries.items():
        assert ".ftz.f32" not in body, name
        if not name.startswith("xpt_normal"):
            # Box-Muller's log/sin/cos (logf/sinf/cosf for float32) are the only place FMA may appear,
            # inside CUDA's libm; the stream's own arithmetic is separately rounded.
            assert "fma." not in body, name
