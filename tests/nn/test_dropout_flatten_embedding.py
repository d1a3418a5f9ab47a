"""Dropout, Flatten/Unflatten and Embedding against torch 2.13."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, to_numpy  # noqa: E402

TF = torch.nn.functional

# ---- Dropout --------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_scale_and_gradient(p):
    n = 200_000
    xptorch.manual_seed(0)
    x = xptorch.ones(400, n // 400, requires_grad=True)
    y = nn.Dropout(p)(x)
    t = torch.nn.Dropout(p)(torch.ones(400, n // 400, requires_grad=True))
    assert y.grad_fn.name() == t.grad_fn.name() == "MulBackward0"
    yv, tv = to_numpy(y), to_numpy(t)
    # Kept elements carry the same 1/(1-p) value torch writes; the zero fraction is p within 5 sigma.
    assert set(np.unique(yv)) == set(np.unique(tv))
    assert abs((yv == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    y.sum().backward()
    assert np.array_equal(to_numpy(x.grad), yv)


def test_dropout_eval_and_zero_p_return_the_input():
    for mod in (torch.nn, nn):
        lib = torch if mod is torch.nn else xptorch
        x = lib.randn(3, 4, requires_grad=True)
        m = mod.Dropout(0.5).eval()
        assert m(x) is x
        assert mod.Dropout(0.0)(x) is x
        assert (TF if mod is torch.nn else XF).dropout(x, 0.5, training=False) is x


def test_dropout_p_one_zeroes_everything_like_torch():
    t = torch.nn.Dropout(1.0)(torch.randn(3, 4, requires_grad=True))
    x = nn.Dropout(1.0)(xptorch.randn(3, 4, requires_grad=True))
    assert x.grad_fn.name() == t.grad_fn.name()
    assert np.array_equal(to_numpy(x), to_numpy(t))


def test_dropout_inplace():
    x = xptorch.ones(50, 40, requires_grad=True)
    h = x * 2
    y = nn.Dropout(0.5, inplace=True)(h)
    assert y is h and y.grad_fn.name() == "MulBackward0"
    vals = set(np.unique(to_numpy(y)))
    assert vals == {0.0, 4.0}
    y.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), to_numpy(y))


def test_dropout_follows_the_generator():
    xptorch.manual_seed(3)
    a = to_numpy(XF.dropout(xptorch.ones(1000)))
    xptorch.manual_seed(3)
    b = to_numpy(XF.dropout(xptorch.ones(1000)))
    c = to_numpy(XF.dropout(xptorch.ones(1000)))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("p", [1.5, -0.1])
def test_dropout_errors_and_repr(p):
    check_error(lambda: torch.nn.Dropout(p), lambda: nn.Dropout(p))
    check_error(lambda: TF.dropout(torch.ones(2), p), lambda: XF.dropout(xptorch.ones(2), p))
    assert repr(nn.Dropout(0.2, inplace=True)) == repr(torch.nn.Dropout(0.2, inplace=True))
    assert repr(nn.Dropout()) == repr(torch.nn.Dropout())


def test_dropout_device(device):
    x = xptorch.ones(100, device=device, requires_grad=True)
    y = XF.dropout(x, 0.5)
    y.sum().backward()
    assert y.device.type == device and x.grad.device.type == device
    assert set(np.unique(to_numpy(y))) <= {0.0, 2.0}


# ---- Flatten / Unflatten ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (-3, -2), (2, 3), (0, -1), (3, 3)])
def test_flatten_matches_torch(args):
    tm, xm = torch.nn.Flatten(*args), nn.Flatten(*args)
    assert repr(xm) == repr(tm)
    check_op([(2, 3, 4, 5)], tm, xm)


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (-1, [5, 1]), (1, (3, -1)), (0, (1, 2)),
                                       (2, xptorch.Size([1, 5]))])
def test_unflatten_matches_torch(dim, sizes):
    t_sizes = torch.Size(sizes) if isinstance(sizes, xptorch.Size) else sizes
    tm, xm = torch.nn.Unflatten(dim, t_sizes), nn.Unflatten(dim, sizes)
    assert repr(xm) == repr(tm).replace("torch.Size", "xptorch.Size")
    check_op([(2, 6, 5)], tm, xm)


def test_flatten_unflatten_errors():
    check_error(lambda: torch.nn.Flatten(2, 1)(torch.zeros(2, 3, 4)), lambda: nn.Flatten(2, 1)(xptorch.zeros(2, 3, 4)))
    check_error(lambda: torch.nn.Unflatten(1, (2, 2))(torch.zeros(2, 3)),
                lambda: nn.Unflatten(1, (2, 2))(xptorch.zeros(2, 3)))
    check_error(lambda: torch.nn.Unflatten(1, 3), lambda: nn.Unflatten(1, 3))
    check_error(lambda: torch.nn.Unflatten(1, (3, 1.0)), lambda: nn.Unflatten(1, (3, 1.0)))


# ---- Embedding -------------------------------------------------------------------------------------


def _pair(*args, **kw):
    tm = torch.nn.Embedding(*args, **kw).double()
    xm = nn.Embedding(*args, **kw).double()
    xm.load_state_dict({k: xptorch.tensor(v.detach().cpu().numpy().copy()) for k, v in tm.state_dict().items()})
    return tm, xm


IDX = np.array([[1, 2, 4, 2], [4, 3, 2, 9]])


@pytest.mark.parametrize("kw", [
    {}, dict(padding_idx=2), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
    dict(padding_idx=0, scale_grad_by_freq=True), dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_embedding_matches_torch(kw, idx_dtype, device):
    tm, xm = _pair(10, 3, **kw)
    xm.to(device)
    assert repr(xm) == repr(tm)
    assert xm.padding_idx == tm.padding_idx
    idx = IDX.astype(idx_dtype)
    ty, xy = tm(torch.tensor(idx)), xm(xptorch.tensor(idx, device=device))
    np.testing.assert_allclose(to_numpy(xy), to_numpy(ty), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(xm.weight), to_numpy(tm.weight), rtol=1e-12, err_msg="renormed weight")
    assert xy.grad_fn.name() == ty.grad_fn.name() == "EmbeddingBackward0"
    g = np.random.default_rng(0).standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    xy.backward(xptorch.tensor(g, device=device))
    np.testing.assert_allclose(to_numpy(xm.weight.grad), to_numpy(tm.weight.grad), rtol=1e-12)


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    m = nn.Embedding(5, 3, padding_idx=1)
    assert np.array_equal(to_numpy(m.weight)[1], np.zeros(3, np.float32))
    assert np.abs(to_numpy(m.weight)[[0, 2, 3, 4]]).sum() > 0
    m(xptorch.tensor([1, 1, 0])).sum().backward()
    grad = to_numpy(m.weight.grad)
    assert np.array_equal(grad[1], np.zeros(3, np.float32)) and np.array_equal(grad[0], np.ones(3, np.float32))


def _tied(mod, lib):
    class Tied(mod.Module):
        def __init__(self):
            super().__init__()
            self.emb = mod.Embedding(7, 4)
            self.out = mod.Linear(4, 7, bias=False)
            self.out.weight = self.emb.weight

        def forward(self, idx):
            return self.out(self.emb(idx))

    return Tied()


def test_tied_input_and_output_embeddings():
    tnet, xnet = _tied(torch.nn, torch), _tied(nn, xptorch)
    assert xnet.out.weight is xnet.emb.weight
    assert [n for n, _ in xnet.named_parameters()] == [n for n, _ in tnet.named_parameters()] == ["emb.weight"]
    xnet.load_state_dict({k: xptorch.tensor(v.detach().cpu().numpy().copy()) for k, v in tnet.state_dict().items()})
    idx = np.array([[0, 3, 6], [3, 3, 1]])
    ty, xy = tnet(torch.tensor(idx)), xnet(xptorch.tensor(idx))
    np.testing.assert_allclose(to_numpy(xy), to_numpy(ty), rtol=1e-5, atol=1e-6)
    ty.square().sum().backward()
    (xy * xy).sum().backward()
    # The shared weight's gradient is the sum of the lookup's and the projection's.
    np.testing.assert_allclose(to_numpy(xnet.emb.weight.grad), to_numpy(tnet.emb.weight.grad), rtol=1e-5, atol=1e-5)


def test_from_pretrained():
    w = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    tm = torch.nn.Embedding.from_pretrained(torch.tensor(w), padding_idx=1)
    xm = nn.Embedding.from_pretrained(xptorch.tensor(w), padding_idx=1)
    assert repr(xm) == repr(tm)
    assert xm.weight.requires_grad is tm.weight.requires_grad is False
    assert nn.Embedding.from_pretrained(xptorch.tensor(w), freeze=False).weight.requires_grad
    np.testing.assert_array_equal(to_numpy(xm(xptorch.tensor([3, 1]))), to_numpy(tm(torch.tensor([3, 1]))))


@pytest.mark.parametrize("kw", [dict(padding_idx=4), dict(padding_idx=-5), dict(_weight=(3, 3))])
def test_embedding_constructor_errors(kw):
    def make(mod, lib):
        k = dict(kw)
        if "_weight" in k:
            k["_weight"] = lib.zeros(*k["_weight"])
        return mod.Embedding(4, 3, **k)

    check_error(lambda: make(torch.nn, torch), lambda: make(nn, xptorch))


@pytest.mark.parametrize("idx", [np.array([4]), np.array([-1]), np.array([1.0]), np.array([[0, 7]])])
def test_embedding_lookup_errors(idx):
    tm, xm = torch.nn.Embedding(4, 3), nn.Embedding(4, 3)
    check_error(lambda: tm(torch.tensor(idx)), lambda: xm(xptorch.tensor(idx)))
    check_error(lambda: TF.embedding(torch.tensor([1]), torch.zeros(4)),
                lambda: XF.embedding(xptorch.tensor([1]), xptorch.zeros(4)))


def test_sparse_gradients_are_refused_loudly():
    m = nn.Embedding(4, 3, sparse=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        m(xptorch.tensor([1]))


@pytest.mark.parametrize("args,kw", [
    ((3, 4), {}), ((3, 4), dict(max_norm=1.0, norm_type=2.0, scale_grad_by_freq=True, sparse=True)),
    ((3, 4), dict(max_norm=1, norm_type=3.0)), ((5, 2), dict(padding_idx=-2)),
])
def test_embedding_repr(args, kw):
    assert repr(nn.Embedding(*args, **kw)) == repr(torch.nn.Embedding(*args, **kw))


def test_embedding_device(device):
    m = nn.Embedding(6, 3, padding_idx=0).to(device)
    y = m(xptorch.tensor([[0, 5], [2, 5]], device=device))
    y.sum().backward()
    assert y.device.type == device and m.weight.grad.device.type == device
    assert to_numpy(m.weight.grad)[5].tolist() == [2.0, 2.0, 2.0]
