"""The CUDA kernels on a real GPU: bit-identity with the NumPy twins and with the CPU random stream,
the fused linear layer against the unfused path and torch, and device moves of a tied model."""
import gc

import numpy as np
import pytest

import xptorch
from xptorch import _random as R
from xptorch import backend, nn
from xptorch.backend import kernels as K
from xptorch.nn import functional as F
from xptorch.nn import init

pytestmark = pytest.mark.cuda
torch = pytest.importorskip("torch")

UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
FLOATS = (np.float32, np.float64)


@pytest.fixture
def cp():
    return backend.cupy_module()


@pytest.fixture
def ck(cp):
    from xptorch.backend import cuda_kernels

    return cuda_kernels


def bits(a):
    a = np.asarray(a)
    return a.view(UINT[a.dtype.itemsize])


def special(dtype, n, seed=0):
    """Normals salted with signed zeros, infinities, NaNs with payloads and denormals (FTZ would show)."""
    dtype = np.dtype(dtype)
    info = np.finfo(dtype)
    salt = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, info.tiny, -info.tiny,
                     info.smallest_subnormal, -info.smallest_subnormal, 3 * info.smallest_subnormal], dtype)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(max(n, 1)).astype(dtype)
    idx = rng.integers(0, x.size, size=min(x.size, 64))
    x[idx] = np.resize(salt, idx.size)
    return x[:n]


def ulp_distance(a, b):
    it = np.int32 if a.dtype == np.float32 else np.int64
    lo = np.iinfo(it).min

    def ordered(v):
        i = v.view(it).astype(np.int64)
        return np.where(i < 0, lo - i, i)

    return np.abs(ordered(a) - ordered(b))


def host(t):
    return t.detach().cpu().numpy()


# ---------------------------------------------------------------- ReLU


SIZES = [1, 3, 4, 5, 1023, (1 << 20) + 3, (1 << 24) + 1]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("offset", [0, 1])
def test_relu_forward_backward_inplace_equal_the_twins(cp, dtype, n, offset):
    x = special(dtype, n + offset)
    g = special(dtype, n + offset, seed=1)
    dx, dg = cp.asarray(x)[offset:], cp.asarray(g)[offset:]
    x, g = x[offset:], g[offset:]
    y = K.relu_forward(dx)
    assert isinstance(y, cp.ndarray) and y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(bits(cp.asnumpy(y)), bits(K.relu_forward(x)))
    gx = K.relu_backward(dg, y)
    np.testing.assert_array_equal(bits(cp.asnumpy(gx)), bits(K.relu_backward(g, K.relu_forward(x))))
    assert K.relu_inplace(dx) is dx
    np.testing.assert_array_equal(bits(cp.asnumpy(dx)), bits(K.relu_forward(x)))


@pytest.mark.parametrize("layout", ["fortran", "strided", "broadcast_grad", "0d"])
def test_relu_layouts(cp, layout):
    base = special(np.float32, 96 * 64, seed=2).reshape(96, 64)
    if layout == "fortran":
        x = np.asfortranarray(base)
    elif layout == "strided":
        x = base[::3, 1::2]
    elif layout == "0d":
        x = np.array(-0.0, np.float32)
    else:
        x = base
    dx = cp.asarray(x) if layout != "strided" else cp.asarray(base)[::3, 1::2]
    # The upload keeps every bit (-0.0 of the 0-d case included), so what follows checks the kernel alone.
    np.testing.assert_array_equal(bits(cp.asnumpy(dx)), bits(x))
    y = K.relu_forward(dx)
    np.testing.assert_array_equal(bits(cp.asnumpy(y)), bits(K.relu_forward(x)))
    if layout == "fortran":
        assert y.flags.f_contiguous
    if layout == "broadcast_grad":
        g, dg = np.broadcast_to(np.float32(-1.5), x.shape), cp.broadcast_to(cp.asarray(np.float32(-1.5)), x.shape)
    else:
        g = special(np.float32, x.size, seed=3).reshape(x.shape)
        dg = cp.asarray(g)
    gx = K.relu_backward(dg, y)
    np.testing.assert_array_equal(bits(cp.asnumpy(gx)), bits(K.relu_backward(g, K.relu_forward(x))))
    before = x.copy()
    assert K.relu_inplace(dx) is dx
    np.testing.assert_array_equal(bits(cp.asnumpy(dx)), bits(K.relu_forward(before)))


@pytest.mark.parametrize("dtype", [xptorch.float32, xptorch.float64])
def test_relu_autograd_on_cuda_equals_cpu(dtype):
    x = special(np.float32, 4099, seed=4).reshape(-1)
    g = special(np.float32, 4099, seed=5)
    out = {}
    for dev in ("cpu", "cuda"):
        t = xptorch.tensor(x, dtype=dtype, device=dev, requires_grad=True)
        y = xptorch.relu(t)
        y.backward(xptorch.tensor(g, dtype=dtype, device=dev))
        out[dev] = (host(y), host(t.grad))
    for a, b in zip(out["cpu"], out["cuda"]):
        np.testing.assert_array_equal(bits(a), bits(b))


# ---------------------------------------------------------------- fused linear


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (5, 7), (64, 8), (33, 130), (4096, 256)])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("b_offset", [0, 1])
def test_bias_act_epilogue_equals_the_twin(cp, ck, dtype, rows, cols, relu, b_offset):
    y0 = special(dtype, rows * cols, seed=6).reshape(rows, cols)
    b = special(dtype, cols + b_offset, seed=7)
    dy = cp.asarray(y0)
    ck.bias_act(dy, cp.asarray(b)[b_offset:], relu)
    want = y0.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        want += b[b_offset:]
    if relu:
        K.relu_inplace(want)
    got = cp.asnumpy(dy)
    # A NaN made by float32 arithmetic on an NVIDIA GPU is the canonical 0x7fffffff: the payload and sign of
    # an input NaN do not survive the addition (NumPy's CPU addition keeps them). Everything else: same bits.
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(bits(got[~nan]), bits(want[~nan]))


LINEAR_CASES = [((5,), 5, 3), ((1, 64), 64, 128), ((7, 130), 130, 33), ((2, 3, 40), 40, 24), ((0, 8), 8, 4), ((256, 256), 256, 256)]


@pytest.mark.parametrize("dtype", [xptorch.float32, xptorch.float64])
@pytest.mark.parametrize("xshape,fin,fout", LINEAR_CASES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("fused", [False, True])
def test_linear_on_cuda_matches_cpu_and_torch_with_gradients(dtype, xshape, fin, fout, bias, fused):
    rng = np.random.default_rng(8)
    x = rng.standard_normal(xshape)
    w = rng.standard_normal((fout, fin)) / np.sqrt(fin)
    b = rng.standard_normal(fout)
    g = rng.standard_normal(xshape[:-1] + (fout,))
    tol = dict(rtol=2e-5, atol=2e-5) if dtype is xptorch.float32 else dict(rtol=1e-12, atol=1e-12)
    results = {}
    for dev in ("cpu", "cuda"):
        tx = xptorch.tensor(x, dtype=dtype, device=dev, requires_grad=True)
        tw = xptorch.tensor(w, dtype=dtype, device=dev, requires_grad=True)
        tb = xptorch.tensor(b, dtype=dtype, device=dev, requires_grad=True) if bias else None
        y = F.linear_relu(tx, tw, tb) if fused else F.relu(F.linear(tx, tw, tb))
        y.backward(xptorch.tensor(g, dtype=dtype, device=dev))
        results[dev] = [host(y), host(tx.grad), host(tw.grad)] + ([host(tb.grad)] if bias else [])
        assert y.device.type == dev and y.shape == xshape[:-1] + (fout,)
    for a, c in zip(results["cpu"], results["cuda"]):
        np.testing.assert_allclose(c, a, **tol)
    td = torch.float32 if dtype is xptorch.float32 else torch.float64
    ttx = torch.tensor(x, dtype=td, requires_grad=True)
    ttw = torch.tensor(w, dtype=td, requires_grad=True)
    ttb = torch.tensor(b, dtype=td, requires_grad=True) if bias else None
    ty = torch.relu(torch.nn.functional.linear(ttx, ttw, ttb))
    ty.backward(torch.tensor(g, dtype=td))
    want = [ty.detach().numpy(), ttx.grad.numpy(), ttw.grad.numpy()] + ([ttb.grad.numpy()] if bias else [])
    for c, t in zip(results["cuda"], want):
        np.testing.assert_allclose(c, t, **tol)


def test_linear_without_relu_on_cuda_matches_torch():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((16, 48)), rng.standard_normal((24, 48)), rng.standard_normal(24)
    y = F.linear(*(xptorch.tensor(a, dtype=xptorch.float32, device="cuda") for a in (x, w, b)))
    want = torch.nn.functional.linear(*(torch.tensor(a, dtype=torch.float32) for a in (x, w, b)))
    assert (host(y) < 0).any()
    np.testing.assert_allclose(host(y), want.numpy(), rtol=2e-5, atol=2e-5)


def test_sequential_linear_relu_on_cuda_matches_cpu():
    xptorch.manual_seed(5)
    net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 3))
    x = xptorch.randn(32, 20)
    want = host(net(x))
    got = host(net.to("cuda")(x.to("cuda")))
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


# ---------------------------------------------------------------- random streams


def both(fn, seed=1234):
    """fn(device) after manual_seed(seed), on CPU then on CUDA, as NumPy arrays."""
    xptorch.manual_seed(seed)
    cpu = fn("cpu")
    xptorch.manual_seed(seed)
    gpu = fn("cuda")
    return cpu, gpu


def _assert_same_bits(pair):
    cpu, gpu = pair
    assert cpu.shape == gpu.shape and cpu.dtype == gpu.dtype
    np.testing.assert_array_equal(bits(cpu), bits(gpu))


SHAPES = [(1,), (7,), (9,), (64, 33), (1000, 1001)]


@pytest.mark.parametrize("dtype", [xptorch.float32, xptorch.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_is_bit_identical_on_cpu_and_cuda(dtype, shape):
    _assert_same_bits(both(lambda d: host(xptorch.empty(shape, dtype=dtype, device=d).uniform_(-3.0, 7.5))))
    _assert_same_bits(both(lambda d: host(xptorch.empty(shape, dtype=dtype, device=d).uniform_())))


@pytest.mark.parametrize("dtype", [xptorch.float32, xptorch.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_masked_uniform_is_bit_identical_on_cpu_and_cuda(dtype, shape):
    cpu, gpu = both(lambda d: host(init.masked_uniform_(xptorch.empty(shape, dtype=dtype, device=d), 10.0, 5.0)))
    _assert_same_bits((cpu, gpu))
    assert np.all((cpu == 0) | ((np.abs(cpu) >= 5) & (np.abs(cpu) <= 10)))


@pytest.mark.parametrize("fn", [
    lambda t: init.kaiming_uniform_(t, a=5 ** 0.5),
    lambda t: init.kaiming_uniform_(t, nonlinearity="relu"),
    lambda t: init.xavier_uniform_(t, gain=2.0),
    lambda t: init.uniform_(t, -0.1, 0.2),
    lambda t: t.bernoulli_(0.3),
], ids=["kaiming_a", "kaiming_relu", "xavier", "init_uniform", "bernoulli"])
def test_init_functions_are_bit_identical_on_cpu_and_cuda(fn):
    _assert_same_bits(both(lambda d: host(fn(xptorch.empty(300, 257, device=d)))))


def test_default_layer_init_is_bit_identical_on_cpu_and_cuda():
    def build(d):
        net = nn.Sequential(nn.Linear(33, 64, device=d), nn.ReLU(), nn.Linear(64, 10, device=d))
        return np.concatenate([host(p).ravel() for p in net.parameters()])

    _assert_same_bits(both(build))


def test_non_contiguous_targets_fill_in_logical_order():
    _assert_same_bits(both(lambda d: host(xptorch.empty(40, 30, device=d).t().uniform_(-1.0, 1.0))))
    _assert_same_bits(both(lambda d: host(init.masked_uniform_(xptorch.empty(40, 30, device=d)[:, 1::3], 10.0, 5.0))))


@pytest.mark.parametrize("dtype", [xptorch.float32, xptorch.float64])
@pytest.mark.parametrize("fn", [
    lambda t: t.normal_(0.0, 2.0),
    lambda t: init.kaiming_normal_(t),
    lambda t: init.xavier_normal_(t),
], ids=["normal", "kaiming_normal", "xavier_normal"])
def test_normal_is_within_the_documented_ulp_on_cpu_and_cuda(dtype, fn):
    # Only log/sin/cos may differ between CUDA's libm and NumPy's (float32: NumPy's SIMD versions).
    cpu, gpu = both(lambda d: host(fn(xptorch.empty(257, 129, dtype=dtype, device=d))))
    ulp = R.NORMAL_F32_ULP if dtype == xptorch.float32 else R.NORMAL_F64_ULP
    assert ulp_distance(cpu.ravel(), gpu.ravel()).max() <= ulp
    assert cpu.std() > 0


@pytest.mark.parametrize("dtype", [xptorch.float32, xptorch.float64])
def test_normal_with_a_mean_differs_only_by_the_libm_error_before_the_shift(dtype):
    mean, std = 0.5, 2.0
    cpu, gpu = both(lambda d: host(xptorch.empty(257, 129, dtype=dtype, device=d).normal_(mean, std)))
    # The documented ulp of std * z, then one rounding of the sum (cancellation near -mean makes plain
    # ulps meaningless).
    ulp = R.NORMAL_F32_ULP if dtype == xptorch.float32 else R.NORMAL_F64_ULP
    bound = ulp * np.spacing(np.abs(cpu - cpu.dtype.type(mean))) + np.spacing(np.abs(cpu))
    assert np.all(np.abs(cpu - gpu) <= bound)


def test_cuda_fills_keep_the_cpu_and_cuda_streams_in_step():
    xptorch.manual_seed(77)
    xptorch.empty(1001, device="cuda").uniform_()
    xptorch.empty(5, dtype=xptorch.float64, device="cuda").normal_()
    init.masked_uniform_(xptorch.empty(9, device="cuda"))
    after_cuda = R.default_generator_for("cuda").get_state().tolist()
    xptorch.manual_seed(77)
    xptorch.empty(1001).uniform_()
    xptorch.empty(5, dtype=xptorch.float64).normal_()
    init.masked_uniform_(xptorch.empty(9))
    assert after_cuda == R.default_generator.get_state().tolist() != R.Generator().manual_seed(77).get_state().tolist()


@pytest.mark.parametrize("ctr0", [0, 41, (1 << 64) - 2])
def test_gpu_philox_words_equal_numpy_philox(cp, ck, ctr0):
    key0 = 0x0123456789ABCDEF
    got = cp.asnumpy(ck.random_raw(4099, key0, 0, ctr0))
    want = R._positioned(key0, 0, ctr0).bit_generator.random_raw(4099)
    np.testing.assert_array_equal(got, want)


def test_float16_fill_falls_back_to_the_host_stream():
    _assert_same_bits(both(lambda d: host(xptorch.empty(100, dtype=xptorch.float16, device=d).bernoulli_(0.5))))


# ---------------------------------------------------------------- moving a tied model


def tied_model():
    shared = nn.Linear(64, 64)
    head = nn.Linear(64, 10)
    twin = nn.Linear(64, 64)
    twin.weight = shared.weight  # tie one Parameter across two layers, biases separate
    return nn.Sequential(shared, nn.ReLU(), shared, nn.ReLU(), twin, nn.ReLU(), head)


def _unique_params(model):
    seen = {}
    for p in model.parameters():
        seen.setdefault(id(p), p)
    return list(seen.values())


def test_to_cuda_moves_each_unique_parameter_once(cp):
    xptorch.manual_seed(0)
    net = tied_model()
    unique = _unique_params(net)
    expected = sum(-(-p.numel() * p.element_size() // 512) * 512 for p in unique)
    pool = cp.get_default_memory_pool()
    gc.collect()
    gc.disable()  # a collection during the move could free unrelated device arrays
    try:
        cp.cuda.Device().synchronize()
        before = pool.used_bytes()
        net.to("cuda")
        cp.cuda.Device().synchronize()
        used = pool.used_bytes() - before
    finally:
        gc.enable()
    assert used == expected
    assert all(p.device.type == "cuda" for p in unique)
    assert len(unique) == 5


def test_to_cuda_keeps_ties_and_grads_and_accumulates_there():
    xptorch.manual_seed(1)
    net = tied_model()
    ref = tied_model()
    ref.load_state_dict(net.state_dict())
    x = xptorch.randn(8, 64)
    net(x).sum().backward()
    ref(x).sum().backward()
    ids = [id(p) for p in net.parameters()]
    grads_before = [host(p.grad) for p in net.parameters()]
    values_before = [host(p) for p in net.parameters()]

    net.to("cuda")
    assert [id(p) for p in net.parameters()] == ids
    assert net[0].weight is net[2].weight is net[4].weight
    for p, g in zip(net.parameters(), grads_before):
        assert p.grad.device.type == "cuda"
        np.testing.assert_array_equal(host(p.grad), g)

    net(x.to("cuda")).sum().backward()
    ref(x).sum().backward()
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(host(p.grad), host(q.grad), rtol=1e-5, atol=1e-5)

    accumulated = [host(p.grad) for p in net.parameters()]
    net.to("cpu")
    assert [id(p) for p in net.parameters()] == ids
    for p, v, g in zip(net.parameters(), values_before, accumulated):
        assert p.device.type == "cpu" and p.grad.device.type == "cpu"
        np.testing.assert_array_equal(bits(host(p)), bits(v))
        np.testing.assert_array_equal(bits(host(p.grad)), bits(g))


# ---------------------------------------------------------------- compilation


def test_programs_compile_once_and_load_from_the_disk_cache(ck, cp, tmp_path, monkeypatch):
    monkeypatch.setenv("CUPY_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CUPY_CACHE_IN_MEMORY", raising=False)
    first = ck.Program(*ck.ELEMENTWISE.files)
    fn = first.function("xpt_relu_fwd_f32", cp.cuda.Device().id)
    cached = list((tmp_path / "xptorch").iterdir())
    assert len(cached) == 1
    second = ck.Program(*ck.ELEMENTWISE.files)
    fn2 = second.function("xpt_relu_fwd_f32", cp.cuda.Device().id)
    assert list((tmp_path / "xptorch").iterdir()) == cached
    for f in (fn, fn2):
        x = cp.asarray(np.array([-1.0, 2.0, -0.0], np.float32))
        y = cp.empty_like(x)
        f((1,), (32,), (x, y, np.int64(3)))
        assert bits(cp.asnumpy(y)).tolist() == [0, bits(np.float32(2.0)).item(), 0x80000000]
