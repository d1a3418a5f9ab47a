"""A training step through the recurrent, attention, lazy and zoo layers makes no host sync on CUDA.

Counted with the strict CuPy stand-in's sync counter (the `strict_cuda` fixture); where that fixture
is not available the test is skipped with that reason.
"""
import pytest

import xptorch
from xptorch import nn

MODELS = [
    (lambda: nn.LSTM(4, 8, num_layers=2, bidirectional=True, dropout=0.2), (5, 3, 4)),
    (lambda: nn.GRU(4, 8, batch_first=True), (3, 5, 4)),
    (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 2,
                                   enable_nested_tensor=False), (3, 5, 4)),
    (lambda: nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.SiLU(), nn.GroupNorm(2, 4),
                           nn.Upsample(scale_factor=2, mode="bilinear"), nn.LazyConvTranspose2d(2, 2, stride=2),
                           nn.Flatten(), nn.LazyLinear(3)), (2, 3, 6, 6)),
]


@pytest.mark.parametrize("make, shape", MODELS, ids=["lstm", "gru", "transformer", "lazy-zoo"])
def test_training_step_has_no_host_sync(request, make, shape):
    try:
        strict = request.getfixturevalue("strict_cuda")
    except pytest.FixtureLookupError:
        pytest.skip("needs the strict CuPy stand-in's sync counter (strict_cuda fixture)")
    m = make().to("cuda")
    x = xptorch.randn(*shape, device="cuda")
    opt = xptorch.optim.SGD(m.parameters(), lr=0.1)

    def step():
        opt.zero_grad()
        out = m(x)
        (out[0] if isinstance(out, tuple) else out).square().mean().backward()
        opt.step()

    step()  # the first call materialises the lazy layers
    with strict.count_syncs() as counted:
        step()
    assert counted.syncs == 0, f"{counted.syncs} host syncs in a training step:\n{counted.report()}"


def test_embedding_max_norm_and_zero_d_indices_make_no_host_sync(strict_cuda):
    xptorch.manual_seed(0)
    cpu = nn.Embedding(10, 4, max_norm=1.0, scale_grad_by_freq=True)
    emb = nn.Embedding(10, 4, max_norm=1.0, scale_grad_by_freq=True).to("cuda")
    emb.load_state_dict(cpu.state_dict())
    idx = xptorch.tensor([[1, 2, 2], [3, 1, 9]])
    x = xptorch.randn(5, 4)
    xc, idxc, i0 = x.to("cuda"), idx.to("cuda"), xptorch.tensor(2, device="cuda")
    with strict_cuda.count_syncs() as counted:
        out = emb(idxc)
        out.square().sum().backward()
        xc[i0] = 0.0
        xc[i0] = xc[1] * 2
        xc.masked_fill_(xc < -1.5, xptorch.tensor(-1.5, device="cuda"))
    assert counted.syncs == 0, counted.report()
    with strict_cuda.count_syncs() as counted:
        row = xc[i0]  # a view, as in PyTorch: its offset is read back (PyTorch syncs here too)
    assert counted.syncs == 1 and row._base is xc
    want = cpu(idx)
    want.square().sum().backward()
    xptorch.testing.assert_close(out.cpu(), want)
    xptorch.testing.assert_close(emb.weight.cpu(), cpu.weight)
    xptorch.testing.assert_close(emb.weight.grad.cpu(), cpu.weight.grad)
    x[2] = x[1] * 2
    assert xc.cpu().tolist() == x.masked_fill(x < -1.5, -1.5).tolist()
