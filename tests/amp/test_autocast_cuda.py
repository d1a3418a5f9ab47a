"""CUDA autocast on the simulated device: PyTorch's documented CUDA lists (torch CUDA cannot run here, so the
expected dtypes are written out from PyTorch's autocast op reference), and GradScaler('cuda')."""
import numpy as np
import pytest

import xptorch
from xptorch.nn import functional as F

F16, F32 = "float16", "float32"

# op on the float16 output y of a linear layer (or on float32 inputs for the lowered ops) -> dtype.
EXPECTED = {
    "linear": (lambda v, y: F.linear(v["x"], v["w"]), F16),
    "matmul": (lambda v, y: v["x"] @ v["w"].t(), F16),
    "conv2d": (lambda v, y: F.conv2d(v["img"], v["k"]), F16),
    "prelu": (lambda v, y: F.prelu(v["x"], xptorch.tensor([0.25], device=v["x"].device)), F16),
    "softmax": (lambda v, y: F.softmax(y, -1), F32),
    "log_softmax": (lambda v, y: F.log_softmax(y, -1), F32),
    "layer_norm": (lambda v, y: F.layer_norm(y, (3,)), F32),
    "group_norm": (lambda v, y: F.group_norm(y, 1), F32),
    "sum": (lambda v, y: y.sum(), F32),
    "prod": (lambda v, y: y.prod(), F32),
    "cumsum": (lambda v, y: y.cumsum(0), F32),
    "exp": (lambda v, y: y.exp(), F32),
    "log": (lambda v, y: y.abs().log(), F32),
    "pow": (lambda v, y: y.pow(2), F32),
    "mse_loss": (lambda v, y: F.mse_loss(y, v["zeros"]), F32),
    "cross_entropy": (lambda v, y: F.cross_entropy(y, v["idx"]), F32),
    "normalize": (lambda v, y: F.normalize(y), F32),
    "cosine_similarity": (lambda v, y: F.cosine_similarity(y, y), F32),
    "softmin": (lambda v, y: F.softmin(y, -1), F32),
    "relu_stays": (lambda v, y: F.relu(y), F16),
    "mean_stays": (lambda v, y: y.mean(), F16),
    "float64_untouched": (lambda v, y: F.linear(v["x"].double(), v["w"].double()), "float64"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cuda_lists(simulated_cuda, name):
    dev = simulated_cuda
    g = np.random.default_rng(1)
    t = lambda *s: xptorch.tensor(g.standard_normal(s).astype(np.float32), device=dev)  # noqa: E731
    v = dict(x=t(4, 8), w=t(3, 8), img=t(2, 3, 6, 6), k=t(4, 3, 3, 3), zeros=xptorch.zeros(4, 3, device=dev),
             idx=xptorch.tensor([0, 1, 2, 0], device=dev))
    fn, want = EXPECTED[name]
    with xptorch.autocast("cuda"):
        y = F.linear(v["x"], v["w"])
        assert y.dtype == xptorch.float16 and y.device.type == "cuda"
        out = fn(v, y)
    assert str(out.dtype) == f"xptorch.{want}"
    # CPU tensors inside a CUDA region are not touched.
    with xptorch.autocast("cuda"):
        assert F.linear(xptorch.ones(2, 8), xptorch.ones(3, 8)).dtype == xptorch.float32


def test_binary_cross_entropy_is_refused_in_cuda_regions(simulated_cuda):
    p = xptorch.full((2,), 0.5, device=simulated_cuda)
    with xptorch.autocast("cuda"):
        with pytest.raises(RuntimeError, match="binary_cross_entropy and xptorch.nn.BCELoss are unsafe to autocast"):
            F.binary_cross_entropy(p, p)
        assert F.binary_cross_entropy_with_logits(p, p).dtype == xptorch.float32
    assert F.binary_cross_entropy(p, p).dtype == xptorch.float32


def test_grad_scaler_on_cuda(simulated_cuda):
    dev = simulated_cuda
    p = xptorch.nn.Parameter(xptorch.ones(3, device=dev))
    opt = xptorch.optim.SGD([p], lr=0.5)
    scaler = xptorch.amp.GradScaler("cuda", init_scale=4.0, growth_interval=1)
    for step, bad in enumerate([False, True, False]):
        opt.zero_grad()
        with xptorch.autocast("cuda"):
            loss = (p * (float("inf") if bad else 1.0)).sum()
        scaler.scale(loss).backward()
        assert p.grad.device.type == "cuda"
        scaler.step(opt)
        scaler.update()
    # step 0 applied (grad 1 -> p 0.5) and grew the scale to 8, step 1 skipped and backed off to 4, step 2
    # applied (p 0.0) and grew to 8.
    assert p.detach().cpu().tolist() == [0.0, 0.0, 0.0]
    assert scaler.get_scale() == 8.0
