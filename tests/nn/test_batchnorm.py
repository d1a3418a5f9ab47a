"""BatchNorm1d/2d/3d and F.batch_norm against torch 2.13: train/eval, running stats, grads, repr, errors."""
import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn import functional as XF

torch = pytest.importorskip("torch")
from oracle import check_error, check_op, gradcheck, to_numpy  # noqa: E402

TF = torch.nn.functional


def _load_from_torch(xm, tm):
    xm.load_state_dict({k: xptorch.tensor(v.detach().cpu().numpy().copy()) for k, v in tm.state_dict().items()})


def _assert_state_equal(xm, tm, rtol=1e-10, atol=1e-12):
    t_sd, x_sd = tm.state_dict(), xm.state_dict()
    assert list(x_sd) == list(t_sd)
    for k, t in t_sd.items():
        x = x_sd[k]
        assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], k
        np.testing.assert_allclose(to_numpy(x), to_numpy(t), rtol=rtol, atol=atol, err_msg=k)


def _step(tm, xm, a, g, rtol=1e-10, atol=1e-12):
    """One forward/backward on both; outputs, grad_fn, input and parameter grads must agree."""
    tx, xx = torch.tensor(a, requires_grad=True), xptorch.tensor(a, requires_grad=True)
    ty, xy = tm(tx), xm(xx)
    np.testing.assert_allclose(to_numpy(xy), to_numpy(ty), rtol=rtol, atol=atol, err_msg="output")
    assert xy.grad_fn.name() == ty.grad_fn.name()
    ty.backward(torch.tensor(g))
    xy.backward(xptorch.tensor(g))
    np.testing.assert_allclose(to_numpy(xx.grad), to_numpy(tx.grad), rtol=rtol, atol=atol, err_msg="input grad")
    tp = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(to_numpy(p.grad), to_numpy(tp[name].grad), rtol=rtol, atol=atol, err_msg=name)


CONFIGS = [
    ("BatchNorm1d", (8, 5), {}),
    ("BatchNorm1d", (4, 5, 7), dict(momentum=0.3)),
    ("BatchNorm2d", (4, 5, 3, 6), {}),
    ("BatchNorm2d", (4, 5, 3, 6), dict(momentum=None)),
    ("BatchNorm2d", (4, 5, 3, 6), dict(affine=False)),
    ("BatchNorm2d", (4, 5, 3, 6), dict(bias=False, eps=1e-3)),
    ("BatchNorm2d", (4, 5, 3, 6), dict(track_running_stats=False)),
    ("BatchNorm3d", (3, 4, 2, 3, 4), dict(momentum=None, affine=False)),
    ("BatchNorm3d", (3, 4, 2, 3, 4), {}),
]


@pytest.mark.parametrize("kind,shape,kw", CONFIGS, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CONFIGS])
def test_train_then_eval_matches_torch(kind, shape, kw):
    c = shape[1]
    tm = getattr(torch.nn, kind)(c, **kw).double()
    xm = getattr(nn, kind)(c, **kw).double()
    rng = np.random.default_rng(0)
    if tm.weight is not None:
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, c)))
            if tm.bias is not None:
                tm.bias.copy_(torch.tensor(rng.standard_normal(c)))
    _load_from_torch(xm, tm)
    for step in range(4):
        a = rng.standard_normal(shape) * (step + 1) + step
        _step(tm, xm, a, rng.standard_normal(shape))
        _assert_state_equal(xm, tm)
    tm.eval()
    xm.eval()
    for _ in range(2):
        _step(tm, xm, rng.standard_normal(shape) * 3, rng.standard_normal(shape))
    _assert_state_equal(xm, tm)
    if xm.track_running_stats:
        assert xm.num_batches_tracked.item() == 4 and xm.num_batches_tracked.dtype == xptorch.int64


def test_float32_training_step():
    tm, xm = torch.nn.BatchNorm2d(10), nn.BatchNorm2d(10)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((16, 10, 8, 8)).astype(np.float32)
    _step(tm, xm, a, rng.standard_normal(a.shape).astype(np.float32), rtol=1e-4, atol=1e-5)
    _assert_state_equal(xm, tm, rtol=1e-5, atol=1e-6)


def test_defaults_buffers_and_state_dict():
    tm, xm = torch.nn.BatchNorm2d(10), nn.BatchNorm2d(10)
    _assert_state_equal(xm, tm)
    assert [n for n, _ in xm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in xm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for attr in ("num_features", "eps", "momentum", "affine", "track_running_stats"):
        assert getattr(xm, attr) == getattr(tm, attr)
    none = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert none.weight is None and none.running_mean is None and list(none.state_dict()) == []
    xm.double()
    assert xm.running_mean.dtype == xptorch.float64 and xm.num_batches_tracked.dtype == xptorch.int64


@pytest.mark.parametrize("kind,args,kw", [
    ("BatchNorm2d", (10,), {}),
    ("BatchNorm1d", (3, 0.001, 0.2, False, False), {}),
    ("BatchNorm2d", (4,), dict(momentum=None)),
    ("BatchNorm3d", (4,), dict(bias=False)),
    ("BatchNorm1d", (7,), dict(eps=0.5, track_running_stats=False)),
])
def test_repr(kind, args, kw):
    assert repr(getattr(nn, kind)(*args, **kw)) == repr(getattr(torch.nn, kind)(*args, **kw))


def test_reset_running_stats():
    m = nn.BatchNorm1d(3)
    m(xptorch.randn(4, 3) * 5)
    assert m.num_batches_tracked.item() == 1 and not np.allclose(m.running_mean.cpu().numpy(), 0)
    m.reset_running_stats()
    assert m.num_batches_tracked.item() == 0
    assert np.array_equal(m.running_mean.cpu().numpy(), np.zeros(3, np.float32))
    assert np.array_equal(m.running_var.cpu().numpy(), np.ones(3, np.float32))


@pytest.mark.parametrize("kind,shape", [
    ("BatchNorm2d", (3, 8, 8)), ("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm1d", (3,)),
    ("BatchNorm3d", (2, 3, 4, 4)), ("BatchNorm1d", (1, 3)), ("BatchNorm1d", (2, 4)),
    ("BatchNorm2d", (2, 4, 2, 2)),
])
def test_module_errors(kind, shape):
    tm, xm = getattr(torch.nn, kind)(3), getattr(nn, kind)(3)
    a = np.zeros(shape, np.float32)
    check_error(lambda: tm(torch.tensor(a)), lambda: xm(xptorch.tensor(a)))
    # torch counts a refused batch when the check comes after its count; a failed call changes nothing here
    assert xm.num_batches_tracked.item() == 0


def test_single_value_per_channel_is_fine_in_eval():
    tm, xm = torch.nn.BatchNorm1d(3).eval(), nn.BatchNorm1d(3).eval()
    check_op([(1, 3)], tm, xm, dtype="float32")


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_functional_matches_torch(training, affine):
    rng = np.random.default_rng(2)
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    t_stats = [torch.tensor(rm), torch.tensor(rv)]
    x_stats = [xptorch.tensor(rm), xptorch.tensor(rv)]
    inputs = [(3, 4, 5)] + ([(4,), (4,)] if affine else [])
    check_op(
        inputs,
        lambda x, *wb: TF.batch_norm(x, *t_stats, *wb, training=training, momentum=0.2, eps=1e-3),
        lambda x, *wb: XF.batch_norm(x, *x_stats, *wb, training=training, momentum=0.2, eps=1e-3),
        dtype="float64",
    )
    for t, x in zip(t_stats, x_stats):
        np.testing.assert_allclose(to_numpy(x), to_numpy(t), rtol=1e-12)


def test_functional_without_running_stats():
    check_op([(6, 3, 2)], lambda x: TF.batch_norm(x, None, None, training=True),
             lambda x: XF.batch_norm(x, None, None, training=True), dtype="float64")


def test_gradcheck_training():
    rng = np.random.default_rng(4)
    gradcheck(lambda x, w, b: XF.batch_norm(x, None, None, w, b, training=True),
              [rng.standard_normal((3, 2, 4)), rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)])


@pytest.mark.parametrize("kw", [
    dict(running_mean=(4,)), dict(running_var=(5,)), dict(weight=(6,)), dict(bias=(2,)), dict(training=False, none=True),
])
def test_functional_errors(kw):
    kw = dict(kw)
    training = kw.pop("training", True)
    none = kw.pop("none", False)
    shapes = dict(running_mean=(3,), running_var=(3,), weight=(3,), bias=(3,))
    shapes.update(kw)
    a = np.zeros((2, 3, 4), np.float32)

    def call(lib, F):
        args = {k: (None if none and k.startswith("running") else lib.ones(*s)) for k, s in shapes.items()}
        return F.batch_norm(lib.tensor(a), args["running_mean"], args["running_var"], args["weight"],
                            args["bias"], training=training)

    check_error(lambda: call(torch, TF), lambda: call(xptorch, XF))
