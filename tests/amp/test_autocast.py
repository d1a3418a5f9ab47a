"""xptorch.autocast against torch.autocast on CPU (float16): the dtype every op returns, nesting,
enabled=False, gradients reaching float32 parameters, and the refusals."""
import warnings

import numpy as np
import pytest

import xptorch
from oracle import check_error

torch = pytest.importorskip("torch")


def _inputs(L):
    g = np.random.default_rng(0)
    t = lambda *s: L.tensor(g.standard_normal(s).astype(np.float32))  # noqa: E731
    return dict(x=t(4, 8), w=t(3, 8), b=t(3), img=t(2, 3, 8, 8), k=t(4, 3, 3, 3), seq=t(2, 5, 8),
                idx=L.tensor([0, 1, 2, 0]), zeros=L.zeros(4, 3), probs=L.full((4, 3), 0.25))


# Each op on float32 inputs, and on the float16 output of a linear layer (y).
OPS = {
    "linear": lambda L, F, v, y: F.linear(v["x"], v["w"], v["b"]),
    "linear_no_bias": lambda L, F, v, y: F.linear(v["x"], v["w"]),
    "mm": lambda L, F, v, y: v["x"].mm(v["w"].t()),
    "matmul": lambda L, F, v, y: v["x"] @ v["w"].t(),
    "matmul_3d": lambda L, F, v, y: v["seq"] @ v["w"].t(),
    "bmm": lambda L, F, v, y: L.bmm(v["seq"], v["seq"].transpose(1, 2)),
    "conv2d": lambda L, F, v, y: F.conv2d(v["img"], v["k"], padding=1),
    "conv1d": lambda L, F, v, y: F.conv1d(v["seq"], v["w"][:, :5].reshape(3, 5, 1)),
    "conv_transpose2d": lambda L, F, v, y: F.conv_transpose2d(v["img"], v["k"].transpose(0, 1)),
    "linear_then_relu": lambda L, F, v, y: F.relu(F.linear(v["x"], v["w"], v["b"])),
    "sequential": lambda L, F, v, y: L.nn.Sequential(L.nn.Linear(8, 6), L.nn.ReLU(), L.nn.Linear(6, 2))(v["x"]),
    "softmax_of_half": lambda L, F, v, y: F.softmax(y, -1),
    "log_softmax_of_half": lambda L, F, v, y: F.log_softmax(y, -1),
    "softmax_of_float": lambda L, F, v, y: F.softmax(v["x"], -1),
    "relu_of_half": lambda L, F, v, y: F.relu(y),
    "sum_of_half": lambda L, F, v, y: y.sum(),
    "mean_of_half": lambda L, F, v, y: y.mean(),
    "prod_of_half": lambda L, F, v, y: y.prod(),
    "exp_of_half": lambda L, F, v, y: y.exp(),
    "layer_norm_of_half": lambda L, F, v, y: F.layer_norm(y, (3,)),
    "add_half_float": lambda L, F, v, y: y + v["zeros"],
    "mse_loss": lambda L, F, v, y: F.mse_loss(y, v["zeros"]),
    "l1_loss": lambda L, F, v, y: F.l1_loss(y, v["zeros"]),
    "smooth_l1_loss": lambda L, F, v, y: F.smooth_l1_loss(y, v["zeros"]),
    "huber_loss": lambda L, F, v, y: F.huber_loss(y, v["zeros"]),
    "cross_entropy": lambda L, F, v, y: F.cross_entropy(y, v["idx"]),
    "nll_loss": lambda L, F, v, y: F.nll_loss(y, v["idx"]),
    "bce_with_logits": lambda L, F, v, y: F.binary_cross_entropy_with_logits(y, v["probs"]),
    "bce": lambda L, F, v, y: F.binary_cross_entropy(L.sigmoid(y), v["probs"]),
    "linear_float64": lambda L, F, v, y: F.linear(v["x"].double(), v["w"].double()),
    "max_pool": lambda L, F, v, y: F.max_pool2d(v["img"], 2),
    "prelu": lambda L, F, v, y: F.prelu(v["x"], L.tensor([0.25])),
    "sdpa": lambda L, F, v, y: F.scaled_dot_product_attention(v["seq"], v["seq"], v["seq"]),
    "group_norm_of_half": lambda L, F, v, y: F.group_norm(y, 1),
    "normalize_of_half": lambda L, F, v, y: F.normalize(y),
    "cosine_similarity_of_half": lambda L, F, v, y: F.cosine_similarity(y, y),
}


def _run(L, name):
    v = _inputs(L)
    F = L.nn.functional
    L.manual_seed(0)
    with L.autocast("cpu", dtype=L.float16):
        y = F.linear(v["x"], v["w"], v["b"])
        return OPS[name](L, F, v, y)


@pytest.mark.parametrize("name", sorted(OPS))
def test_dtype_per_op_matches_torch(name):
    got, want = _run(xptorch, name), _run(torch, name)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], (got.dtype, want.dtype)
    if name == "sequential":  # layers initialised by each library's own generator
        return
    np.testing.assert_allclose(got.detach().double().numpy(), want.detach().double().numpy(), rtol=2e-2, atol=2e-2)


def _nesting(L):
    x, w = L.ones(2, 4), L.ones(3, 4)
    F = L.nn.functional
    seen = []
    with L.autocast("cpu", dtype=L.float16):
        seen.append(F.linear(x, w).dtype)
        with L.autocast("cpu", enabled=False):
            seen.append(F.linear(x, w).dtype)
            seen.append(L.is_autocast_enabled("cpu"))
            with L.autocast("cpu", dtype=L.float16):
                seen.append(F.linear(x, w).dtype)
        seen.append(F.linear(x, w).dtype)
        seen.append(L.is_autocast_enabled("cpu"))
    seen.append(F.linear(x, w).dtype)
    seen.append(L.is_autocast_enabled("cpu"))

    @L.autocast("cpu", dtype=L.float16)
    def decorated():
        return F.linear(x, w).dtype

    seen.append(decorated())
    seen.append(F.linear(x, w).dtype)
    return [str(s).split(".")[-1] for s in seen]


def test_nesting_enabled_false_and_decorator_match_torch():
    assert _nesting(xptorch) == _nesting(torch)


def test_gradients_reach_float32_parameters_like_torch():
    out = {}
    for L in (xptorch, torch):
        L.manual_seed(0)
        lin = L.nn.Linear(8, 3)
        with torch.no_grad() if L is torch else xptorch.no_grad():
            lin.weight.copy_(L.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(3, 8)))
            lin.bias.zero_()
        x = L.tensor(np.linspace(-2, 2, 32, dtype=np.float32).reshape(4, 8))
        with L.autocast("cpu", dtype=L.float16):
            loss = L.nn.functional.mse_loss(lin(x), L.zeros(4, 3))
        loss.backward()
        assert lin.weight.grad.dtype == L.float32
        out[L.__name__] = (loss.item(), lin.weight.grad.numpy().copy(), str(loss.dtype).split(".")[-1])
    assert out["xptorch"][2] == out["torch"][2] == "float32"
    np.testing.assert_allclose(out["xptorch"][0], out["torch"][0], rtol=1e-3)
    np.testing.assert_allclose(out["xptorch"][1], out["torch"][1], rtol=1e-2, atol=1e-3)


def test_parameter_cast_is_made_once_per_region():
    lin = xptorch.nn.Linear(4, 4)
    x = xptorch.ones(2, 4)
    calls = []
    real_to = xptorch.Tensor.to

    def spy(self, *a, **k):
        calls.append(self is lin.weight)
        return real_to(self, *a, **k)

    xptorch.Tensor.to = spy
    try:
        with xptorch.autocast("cpu", dtype=xptorch.float16):
            lin(x)
            lin(x)
        assert calls.count(True) == 1
        with xptorch.autocast("cpu", dtype=xptorch.float16):
            lin(x)
        assert calls.count(True) == 2  # a new region casts afresh
    finally:
        xptorch.Tensor.to = real_to


def test_device_type_must_be_a_known_string():
    check_error(lambda: torch.autocast(0), lambda: xptorch.autocast(0))
    with pytest.raises(RuntimeError, match="User specified an unsupported autocast device_type 'tpu'"):
        xptorch.autocast("tpu")


def test_cpu_without_float16_is_disabled_with_a_warning():
    # PyTorch's CPU default is bfloat16, which xptorch does not have: the region is disabled, and says so.
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported. Disabling autocast"):
        ctx = xptorch.autocast("cpu")
    with ctx:
        assert not xptorch.is_autocast_enabled("cpu")
        assert xptorch.nn.functional.linear(xptorch.ones(1, 2), xptorch.ones(1, 2)).dtype == xptorch.float32


def test_cuda_region_without_cuda_is_disabled_like_torch():
    if xptorch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        ctx = xptorch.autocast("cuda")
    with ctx:
        assert not xptorch.is_autocast_enabled("cuda")


def test_no_region_leaves_no_state():
    from xptorch.amp import _state

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xptorch.autocast("cpu", dtype=xptorch.float16):
            assert _state.active == 1
            with pytest.raises(RuntimeError):
                with xptorch.autocast("cpu", dtype=xptorch.float16):
                    raise RuntimeError("boom")
            assert _state.active == 1 and xptorch.is_autocast_enabled("cpu")
    assert _state.active == 0 and not xptorch.is_autocast_enabled("cpu")
