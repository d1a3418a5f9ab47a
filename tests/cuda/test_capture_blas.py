"""Matrix products inside CUDA graph capture (xptorch.backend.capture_blas): CuPy refuses cuBLAS while a
stream captures, so xptorch calls cuBLAS itself. Checked on the strict stand-in (which refuses cuBLAS in
capture as CuPy does and computes a direct cuBLAS call from its column-major arguments, so a wrong
transpose flag or leading dimension gives wrong numbers or an out-of-buffer error) and on a GPU."""
import numpy as np
import pytest

import xptorch
from xptorch import backend
from xptorch.backend import capture_blas


@pytest.fixture(params=["stand-in", pytest.param("gpu", marks=pytest.mark.cuda)])
def cp(request):
    if request.param == "gpu":
        if not xptorch.cuda.is_available() or backend._simulated is not None:
            pytest.skip("needs an NVIDIA GPU with CuPy: " + (xptorch.cuda.why_unavailable() or "simulated"))
        yield backend.cupy_module()
    else:
        yield request.getfixturevalue("strict_cuda")


def _layouts(rng, dtype):
    def r(*shape):
        return rng.standard_normal(shape).astype(dtype)

    return {
        "plain": (r(5, 7), r(7, 3)),
        "a_transposed": (r(7, 5).T, r(7, 3)),
        "b_transposed": (r(5, 7), r(3, 7).T),
        "both_transposed": (r(7, 5).T, r(3, 7).T),
        "row_slices": (r(9, 7)[2:7], r(10, 3)[1:8]),
        "column_slices": (r(5, 12)[:, 3:10], r(7, 8)[:, 2:5]),
        "strided": (r(5, 14)[:, ::2], r(14, 3)[::2]),
        "one_row": (r(1, 7), r(7, 4)),
        "one_column": (r(5, 7), r(7, 1)),
        "inner_one": (r(5, 1), r(1, 4)),
        "batched": (r(4, 5, 7), r(7, 3)),
        "batched_both": (r(2, 1, 5, 7), r(3, 7, 2)),
        "batched_transposed": (r(4, 7, 5).transpose(0, 2, 1), r(4, 3, 7).transpose(0, 2, 1)),
        "vector_matrix": (r(7), r(7, 3)),
        "matrix_vector": (r(5, 7), r(7)),
        "vector_vector": (r(7), r(7)),
        "empty_k": (r(5, 0), r(0, 3)),
        "empty_m": (r(0, 7), r(7, 3)),
    }


def _captured(cp, fn):
    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        out = fn()
    g.replay()
    return out


def _device_operands(cp, layout, a, b):
    """a and b on the device as the same kind of views (transposes) as the host operands."""
    da, db = cp.asarray(np.ascontiguousarray(a)), cp.asarray(np.ascontiguousarray(b))
    if layout in ("a_transposed", "both_transposed"):
        da = cp.asarray(np.ascontiguousarray(a.T)).T
    if layout in ("b_transposed", "both_transposed"):
        db = cp.asarray(np.ascontiguousarray(b.T)).T
    if layout == "batched_transposed":
        da = cp.asarray(np.ascontiguousarray(a.transpose(0, 2, 1))).transpose(0, 2, 1)
        db = cp.asarray(np.ascontiguousarray(b.transpose(0, 2, 1))).transpose(0, 2, 1)
    return da, db


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_products_in_capture_match_numpy(cp, dtype):
    """Every layout's product captured in one graph (a capture costs a walk over every live object)."""
    cases = _layouts(np.random.default_rng(1), dtype)
    dev = {name: _device_operands(cp, name, a, b) for name, (a, b) in cases.items()}
    outs = _captured(cp, lambda: {name: capture_blas.matmul(da, db) for name, (da, db) in dev.items()})
    tol = {np.float16: 2e-2, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    for name, (a, b) in cases.items():
        want = a.astype(np.float64) @ b.astype(np.float64)
        got = cp.asnumpy(outs[name])
        assert got.shape == want.shape and got.dtype == dtype, name
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol * 10, err_msg=name)


def test_strided_views_of_one_buffer(cp):
    """Operands that are views into a larger device buffer: the leading dimension must be the buffer's."""
    rng = np.random.default_rng(2)
    host = rng.standard_normal((12, 14)).astype(np.float32)
    dev = cp.asarray(host)
    cases = {}
    for layout, pick in {"row_slices": np.s_[2:7, 3:10], "column_slices": np.s_[:, 4:11],
                         "strided": np.s_[::2, 1::2], "both_transposed": np.s_[1:8, 2:9]}.items():
        a_h, a_d = host[pick], dev[pick]
        if layout == "both_transposed":
            a_h, a_d = a_h.T, a_d.T
        b_h = rng.standard_normal((a_h.shape[1], 3)).astype(np.float32)
        cases[layout] = (a_h, a_d, b_h, cp.asarray(b_h))
    outs = _captured(cp, lambda: {k: capture_blas.matmul(a_d, b_d) for k, (_, a_d, _, b_d) in cases.items()})
    for k, (a_h, _, b_h, _) in cases.items():
        np.testing.assert_allclose(cp.asnumpy(outs[k]), a_h.astype(np.float64) @ b_h, rtol=1e-5, atol=1e-5,
                                   err_msg=k)


def test_integer_products_stay_with_cupy(cp):
    a = cp.asarray(np.arange(6, dtype=np.int64).reshape(2, 3))
    b = cp.asarray(np.arange(6, dtype=np.int64).reshape(3, 2))
    out = _captured(cp, lambda: capture_blas.matmul(a, b))
    np.testing.assert_array_equal(cp.asnumpy(out), np.arange(6).reshape(2, 3) @ np.arange(6).reshape(3, 2))


def test_stand_in_refuses_cublas_in_capture_as_cupy_does(strict_cuda):
    cp = strict_cuda
    a = cp.asarray(np.ones((2, 2), np.float32))
    i = cp.asarray(np.ones((2, 2), np.int64))
    s = cp.cuda.Stream(non_blocking=True)
    with s:
        s.begin_capture()
        try:
            for call in (lambda: a @ a, lambda: a.dot(a), lambda: cp.matmul(a, a), lambda: cp.tensordot(a, a, 1),
                         lambda: cp.einsum("ij,jk->ik", a, a), lambda: cp.linalg.inv(a)):
                with pytest.raises(NotImplementedError, match="calling cuBLAS API during stream capture"):
                    call()
            cp.einsum("ii->i", a)  # one operand: no cuBLAS
            i @ i  # integer products are CuPy's own kernels
        finally:
            s.end_capture()
    assert float(cp.asnumpy(a @ a)[0, 0]) == 2.0  # outside capture, as before


def test_stand_in_gemm_refuses_a_leading_dimension_past_the_buffer(strict_cuda):
    cp = strict_cuda
    a = cp.asarray(np.ones((3, 4), np.float32))
    c = cp.empty((3, 3), np.float32)
    with pytest.raises(ValueError, match="reaches past its buffer"):
        cp.cublas_gemm(0, 0, 3, 3, 4, a, 5, a, 3, c, 3)
    with pytest.raises(ValueError, match="rows"):
        cp.cublas_gemm(0, 0, 3, 3, 4, a, 2, a, 3, c, 3)


def _replays_match_eager(make, loss, rtol, atol, warmup=3):
    """Two copies of a model: one trained eagerly, one by replaying a captured step; same parameters after.
    The warm-up steps come first, as torch asks: optimizer state exists in its final (flattened) storage."""

    def step(net, opt):
        opt.zero_grad(set_to_none=False)
        loss(net).backward()
        opt.step()

    eager, graphed = make(), make()
    for _ in range(warmup):
        for pair in (eager, graphed):
            step(*pair)
    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        step(*graphed)
    for _ in range(3):
        step(*eager)
        g.replay()
    for pe, pg in zip(eager[0].parameters(), graphed[0].parameters()):
        np.testing.assert_allclose(pe.detach().cpu().numpy(), pg.detach().cpu().numpy(), rtol=rtol, atol=atol)


def test_linear_layers_train_in_a_captured_step_on_every_device(cp):
    """A whole step (forward, backward through the linear layers' products, SGD) captured and replayed."""
    from xptorch import nn

    def make():
        xptorch.manual_seed(0)
        net = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).to("cuda")
        return net, xptorch.optim.SGD(net.parameters(), lr=0.1)

    x = xptorch.randn(4, 6, device="cuda")
    w = xptorch.randn(3, 3, device="cuda")
    # a matmul of two activations/tensors too
    _replays_match_eager(make, lambda net: (net(x) @ w).square().mean(), 1e-5, 1e-6, warmup=1)


def test_conv_net_step_captured_matches_eager(cp):
    """Convolutions' products (forward, input and weight gradients) inside a captured training step."""
    from xptorch import nn

    def make():
        xptorch.manual_seed(1)
        net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 3, stride=2), nn.Flatten(),
                            nn.Linear(12, 2)).to("cuda")
        return net, xptorch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)

    x = xptorch.randn(3, 2, 6, 6, device="cuda")
    y = xptorch.randn(3, 2, device="cuda")
    _replays_match_eager(make, lambda net: nn.functional.mse_loss(net(x), y), 1e-5, 1e-6)


@pytest.mark.parametrize("kind", ["lstm", "gru", "attention"])
def test_recurrent_and_attention_steps_captured_match_eager(cp, kind):
    from xptorch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if kind == "attention":
                self.body = nn.MultiheadAttention(6, 2, batch_first=True)
            else:
                self.body = (nn.LSTM if kind == "lstm" else nn.GRU)(6, 5, num_layers=2, batch_first=True)
            self.head = nn.Linear(6 if kind == "attention" else 5, 2)

        def forward(self, x):
            h = self.body(x, x, x)[0] if kind == "attention" else self.body(x)[0]
            return self.head(h[:, -1])

    def make():
        xptorch.manual_seed(2)
        net = Net().to("cuda")
        if kind != "gru":
            # (Adam would normalise the key bias's gradient, zero but for rounding, into full-size steps:
            # eager and replay differ there only by cuBLAS's choice of algorithm, amplified.)
            return net, xptorch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        # capturable: the step count and bias corrections on the device, so the update replays
        return net, xptorch.optim.Adam(net.parameters(), lr=0.01, capturable=True)

    x = xptorch.randn(3, 4, 6, device="cuda")
    y = xptorch.randn(3, 2, device="cuda")
    _replays_match_eager(make, lambda net: nn.functional.mse_loss(net(x), y), 1e-4, 1e-5)


def test_other_threads_products_stay_out_of_the_capture(strict_cuda, monkeypatch):
    """Only the capturing thread's products are redirected; another thread's go to CuPy as usual."""
    import threading

    cp = strict_cuda
    calls = []
    real = cp.cublas_gemm
    monkeypatch.setattr(cp, "cublas_gemm", lambda *a: calls.append(threading.get_ident()) or real(*a))
    a = cp.asarray(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = cp.asarray(np.ones((3, 2), np.float32))
    seen = {}

    def other():
        seen["out"] = cp.asnumpy(capture_blas.matmul(a, b))

    g = xptorch.cuda.CUDAGraph()
    with xptorch.cuda.graph(g):
        mine = capture_blas.matmul(a, b)
        t = threading.Thread(target=other)
        t.start()
        t.join()
    g.replay()
    assert calls == [threading.get_ident()]
    np.testing.assert_array_equal(seen["out"], [[3, 3], [12, 12]])
    np.testing.assert_array_equal(cp.asnumpy(mine), [[3, 3], [12, 12]])
    assert capture_blas.active == 0 and not capture_blas._threads
