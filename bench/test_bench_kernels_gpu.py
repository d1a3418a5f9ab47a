"""GPU kernels against torch CUDA and CuPy's own bandwidth in one run: ReLU, masked-uniform init, fused linear.

Timing uses the cuda_benchmark fixture (each round of `inner` operations ends with a device synchronisation);
extra_info holds per-operation time and GB/s or TFLOP/s.  fp32 with TF32 off on both sides.
Default grid is reduced; XPT_BENCH_FULL=1 runs square sizes 256..8192 and batches 1..4096.
"""
import math
import os
import warnings

import pytest

import xptorch
from xptorch.nn import functional as XF
from xptorch.nn import init as xinit

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.cuda,
    # Where torch lacks CUDA its cases skip before timing anything.
    pytest.mark.filterwarnings("ignore:Benchmark fixture was not used"),
    pytest.mark.skipif(not xptorch.cuda.is_available(), reason="needs an NVIDIA GPU with CuPy: "
                       + (xptorch.cuda.why_unavailable() or "unavailable")),
]

BIG = 256 << 20  # bytes: far past the 50 MB L2, so DRAM bandwidth is what is measured
FULL = os.environ.get("XPT_BENCH_FULL", "0") not in ("", "0")
SQUARE = (256, 512, 1024, 2048, 4096, 8192) if FULL else (1024, 4096)
BATCHES = (1, 16, 128, 1024, 4096) if FULL else (1, 128, 4096)


@pytest.fixture(scope="module")
def cp():
    return xptorch.backend.cupy_module()


def _torch_cuda():
    """torch, with TF32 off for fp32 matmuls (CuPy's default too); skips where torch has no CUDA."""
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
            torch.backends.cuda.matmul.fp32_precision = "ieee"
        torch.backends.cuda.matmul.allow_tf32 = False
    return torch


def _run(benchmark, fn, inner, rounds=20):
    """Median seconds per operation (None when benchmarks are disabled).

    benchmark is the plugin's cuda_benchmark: each round ends with a device synchronisation, which waits
    for torch's and CuPy's streams alike.
    """

    def timed():
        for _ in range(inner):
            fn()

    fn()
    benchmark.pedantic(timed, rounds=rounds, warmup_rounds=2, iterations=1)
    if benchmark.stats is None:
        return None
    per_op = benchmark.stats.stats.median / inner
    benchmark.extra_info["inner"] = inner
    benchmark.extra_info["per_op_us"] = per_op * 1e6
    return per_op


def _gbps(cuda_benchmark, per_op, nbytes):
    if per_op is not None:
        cuda_benchmark.extra_info["gbps"] = nbytes / per_op / 1e9


@pytest.mark.parametrize("lib", ["xptorch", "torch", "cupy-copy"])
def test_relu_256mib(cuda_benchmark, cp, lib):
    cuda_benchmark.group = "relu 256 MiB float32 (GB/s counts read+write)"
    n = BIG // 4
    if lib == "xptorch":
        x = xptorch.empty(n, device="cuda").uniform_(-1, 1)
        fn = lambda: xptorch.relu(x)  # noqa: E731
    elif lib == "torch":
        tc = _torch_cuda()
        x = tc.empty(n, device="cuda").uniform_(-1, 1)
        fn = lambda: tc.relu(x)  # noqa: E731
    else:
        a = cp.full(n, 0.5, dtype=cp.float32)
        fn = a.copy
    _gbps(cuda_benchmark, _run(cuda_benchmark, fn, inner=5), 2 * BIG)


@pytest.mark.parametrize("lib", ["xptorch", "torch", "cupy-copy"])
def test_relu_backward_256mib(cuda_benchmark, cp, lib):
    cuda_benchmark.group = "relu backward 256 MiB float32 (GB/s counts 2 reads + write)"
    n = BIG // 4
    if lib == "xptorch":
        from xptorch.backend import kernels

        out = cp.linspace(-1, 1, n, dtype=cp.float32)
        g = cp.ones(n, dtype=cp.float32)
        fn = lambda: kernels.relu_backward(g, out)  # noqa: E731
    elif lib == "torch":
        tc = _torch_cuda()
        out = tc.rand(n, device="cuda") - 0.5
        g = tc.rand(n, device="cuda")
        fn = lambda: tc.ops.aten.threshold_backward(g, out, 0)  # noqa: E731
    else:
        a = cp.full(n, 0.5, dtype=cp.float32)
        fn = a.copy
    nbytes = 3 * BIG if lib != "cupy-copy" else 2 * BIG
    _gbps(cuda_benchmark, _run(cuda_benchmark, fn, inner=5), nbytes)


@pytest.mark.parametrize("lib", ["xptorch", "torch", "cupy-fill"])
def test_masked_uniform_256mib(cuda_benchmark, cp, lib):
    cuda_benchmark.group = "masked uniform init 256 MiB float32 (GB/s counts the write)"
    n = BIG // 4
    if lib == "xptorch":
        w = xptorch.empty(n, device="cuda")
        fn = lambda: xinit.masked_uniform_(w, 10.0, 5.0)  # noqa: E731
    elif lib == "torch":
        tc = _torch_cuda()
        w = tc.empty(n, device="cuda")

        def fn():
            # The notebooks' recipe.
            w.uniform_(-10, 10)
            w.mul_(w.abs() >= 5)

    else:
        a = cp.empty(n, dtype=cp.float32)
        fn = lambda: a.fill(1.0)  # noqa: E731
    _gbps(cuda_benchmark, _run(cuda_benchmark, fn, inner=5), BIG)


@pytest.mark.parametrize("relu", [False, True], ids=["linear", "linear+relu"])
@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("size", SQUARE)
@pytest.mark.parametrize("lib", ["xptorch", "torch"])
def test_fused_linear(cuda_benchmark, cp, lib, size, batch, relu):
    cuda_benchmark.group = f"{'linear+relu' if relu else 'linear'} fp32 {batch}x{size} @ {size}x{size}"
    if lib == "xptorch":
        assert os.environ.get("CUPY_TF32", "0") == "0", "CuPy TF32 must stay off for this comparison"
        xptorch.manual_seed(0)
        x = xptorch.randn(batch, size, device="cuda")
        w = xptorch.randn(size, size, device="cuda") / math.sqrt(size)
        b = xptorch.randn(size, device="cuda")
        op = XF.linear_relu if relu else XF.linear
        fn = lambda: op(x, w, b)  # noqa: E731
    else:
        tcuda = _torch_cuda()
        x = tcuda.randn(batch, size, device="cuda")
        w = tcuda.randn(size, size, device="cuda") / math.sqrt(size)
        b = tcuda.randn(size, device="cuda")
        lin = tcuda.nn.functional.linear
        fn = (lambda: tcuda.relu(lin(x, w, b))) if relu else (lambda: lin(x, w, b))
    flops = 2.0 * batch * size * size
    # About 2 ms of GPU work per round, so one synchronisation does not dominate small shapes.
    inner = max(1, min(200, math.ceil(2e-3 / max(flops / 40e12, 15e-6))))
    with xptorch.no_grad(), torch.no_grad():
        per_op = _run(cuda_benchmark, fn, inner=inner, rounds=10)
    if per_op is not None:
        cuda_benchmark.extra_info["tflops"] = flops / per_op / 1e12
        cuda_benchmark.extra_info["tf32"] = False


@pytest.mark.parametrize("lib", ["xptorch-fp32", "xptorch-autocast-fp16", "torch-autocast-fp16"])
def test_autocast_linear_4096(cuda_benchmark, cp, lib):
    """Target: the float16 autocast linear of 4096x4096 at least 4x faster than float32 (tensor cores)."""
    cuda_benchmark.group = "linear 4096x4096 @ 4096x4096: fp32 vs autocast fp16"
    size = 4096
    if lib.startswith("xptorch"):
        xptorch.manual_seed(0)
        x = xptorch.randn(size, size, device="cuda")
        w = xptorch.randn(size, size, device="cuda") / math.sqrt(size)
        if lib == "xptorch-fp32":
            fn = lambda: XF.linear(x, w)  # noqa: E731
        else:
            def fn():
                with xptorch.autocast("cuda", dtype=xptorch.float16):
                    return XF.linear(x, w)
    else:
        tc = _torch_cuda()
        x = tc.randn(size, size, device="cuda")
        w = tc.randn(size, size, device="cuda") / math.sqrt(size)

        def fn():
            with tc.autocast("cuda", dtype=tc.float16):
                return tc.nn.functional.linear(x, w)

    with xptorch.no_grad(), torch.no_grad():
        per_op = _run(cuda_benchmark, fn, inner=10, rounds=10)
    if per_op is not None:
        cuda_benchmark.extra_info["tflops"] = 2.0 * size ** 3 / per_op / 1e12


def _mlp(L, sizes):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [L.nn.Linear(a, b), L.nn.ReLU()]
    return L.nn.Sequential(*layers[:-1]).to("cuda")


@pytest.mark.parametrize("net", ["seed", "mlp"])
@pytest.mark.parametrize("lib", ["xptorch", "xptorch-graph", "torch", "torch-graph"])
def test_mlp_train_step(cuda_benchmark, cp, lib, net):
    """Train steps with SGD: the seed MLP 4-8-1 at batch 2 and MLP 784-256-256-10 at batch 256; eager, and a
    whole step captured in a CUDA graph, in each library.  Target: eager at most 1.0x torch's eager step."""
    sizes, batch = ((4, 8, 1), 2) if net == "seed" else ((784, 256, 256, 10), 256)
    cuda_benchmark.group = (f"MLP {'-'.join(map(str, sizes))} train step, batch {batch} "
                            "(CUDA graph: whole step replayed)")
    L = torch if lib.startswith("torch") else xptorch
    if L is torch:
        _torch_cuda()
    L.manual_seed(0)
    net = _mlp(L, sizes)
    opt = L.optim.SGD(net.parameters(), lr=0.01)
    x = L.randn(batch, sizes[0], device="cuda")
    y = L.randn(batch, sizes[-1], device="cuda")

    def step():
        opt.zero_grad(set_to_none=False)
        loss = L.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()

    fn = step
    if lib == "xptorch-graph":
        for _ in range(3):
            step()
        g = xptorch.cuda.CUDAGraph()
        with xptorch.cuda.graph(g):
            step()
        fn = g.replay
    elif lib == "torch-graph":
        # torch's recipe: warm up on a side stream, then capture.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(side)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            step()
        fn = g.replay
    _run(cuda_benchmark, fn, inner=20, rounds=10)
