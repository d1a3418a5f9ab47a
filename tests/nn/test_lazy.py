"""Lazy modules and uninitialised parameters against torch 2.13: reprs, materialisation in place,
the plain class afterwards, state_dict round trips, device moves, ties and errors."""
import copy

import numpy as np
import pytest

import xptorch
from xptorch import nn
from xptorch.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

torch = pytest.importorskip("torch")
from oracle import assert_same_error, check_error, same_repr, to_numpy, xp_message  # noqa: E402

LAZY = [
    ("LazyLinear", (256,), {}, (2, 20)),
    ("LazyLinear", (3,), dict(bias=False), (2, 5, 7)),
    ("LazyConv1d", (4, 3), dict(stride=2), (2, 3, 9)),
    ("LazyConv2d", (6, 5), {}, (1, 3, 12, 12)),
    ("LazyConv2d", (4, 3), dict(groups=2, padding=1, bias=False), (2, 6, 5, 5)),
    ("LazyConv3d", (2, 2), dict(padding=1), (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), dict(stride=2, output_padding=1), (2, 3, 5)),
    ("LazyConvTranspose2d", (6, 3), dict(stride=2, padding=1), (1, 4, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), dict(groups=2), (1, 4, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 5)),
    ("LazyBatchNorm2d", (), dict(momentum=0.2), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), dict(affine=False), (2, 3, 2, 2, 2)),
    ("LazyBatchNorm1d", (), dict(track_running_stats=False), (4, 3, 5)),
]


def _ids(case):
    return f"{case[0]}-{case[1]}-{case[2]}"


def _pair(name, args, kw):
    return getattr(torch.nn, name)(*args, **kw), getattr(nn, name)(*args, **kw)


@pytest.mark.parametrize("case", LAZY, ids=_ids)
def test_lazy_layer_matches_torch(case, device):
    name, args, kw, shape = case
    t, x = _pair(name, args, kw)
    assert repr(x) == xp_message(repr(t))
    assert [n for n, _ in x.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert repr(x.state_dict()) == xp_message(repr(t.state_dict()))
    x.to(device)
    params = list(x.parameters())
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t(torch.tensor(arr))
    out = x(xptorch.tensor(arr, device=device))
    # The module became the plain class, kept its Parameter objects, and sits on the device.
    assert type(x).__name__ == type(t).__name__
    assert type(x) is getattr(nn, type(t).__name__)
    assert repr(x) == xp_message(repr(t))
    assert list(x.parameters()) == params if params else True
    assert all(type(p) is nn.Parameter and p.device.type == device for p in x.parameters())
    assert all(not is_lazy(b) and b.device.type == device for b in x.buffers())
    assert not x._forward_pre_hooks and not x._load_state_dict_pre_hooks
    # Same values as torch once both hold torch's parameters and buffers.
    x.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in t.state_dict().items()})
    t_out = t(torch.tensor(arr))
    out = x(xptorch.tensor(arr, device=device))
    np.testing.assert_allclose(to_numpy(out), t_out.detach().cpu().numpy(), rtol=1e-5, atol=1e-5)
    for (kx, vx), (kt, vt) in zip(x.state_dict().items(), t.state_dict().items()):
        assert kx == kt
        np.testing.assert_allclose(to_numpy(vx), vt.cpu().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("eager, lazy, shape", [
    (lambda: nn.Linear(20, 8), lambda: nn.LazyLinear(8), (2, 20)),
    (lambda: nn.Conv2d(3, 4, 3), lambda: nn.LazyConv2d(4, 3), (1, 3, 6, 6)),
    (lambda: nn.ConvTranspose1d(3, 4, 3, stride=2), lambda: nn.LazyConvTranspose1d(4, 3, stride=2), (1, 3, 6)),
])
def test_lazy_init_draws_what_the_eager_layer_draws(eager, lazy, shape):
    xptorch.manual_seed(7)
    e = eager()
    lz = lazy()
    xptorch.manual_seed(7)
    lz(xptorch.ones(shape))
    for pe, pl in zip(e.parameters(), lz.parameters()):
        np.testing.assert_array_equal(to_numpy(pe), to_numpy(pl))


def test_builders_guide_lazy_init_cells():
    net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    assert repr(net[0].weight) == "<UninitializedParameter>"
    X = xptorch.rand(2, 20)
    net(X)
    assert net[0].weight.shape == (256, 20)
    assert repr(net[0].weight.shape) == "xptorch.Size([256, 20])"

    def init_xavier(m):
        if type(m) is nn.Linear:
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)

    net.apply(init_xavier)
    bound = (6 / (20 + 256)) ** 0.5
    w = to_numpy(net[0].weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > bound / 2
    assert not to_numpy(net[0].bias).any()


def test_optimizer_built_before_the_first_call_trains(device):
    xptorch.manual_seed(0)
    lazy = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1)).to(device)
    opts = [xptorch.optim.SGD(lazy.parameters(), lr=0.1), xptorch.optim.Adam(lazy.parameters(), lr=0.01)]
    X = xptorch.rand(8, 3, device=device)
    lazy(X)
    eager = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)).to(device)
    eager.load_state_dict(lazy.state_dict())
    opts_e = [xptorch.optim.SGD(eager.parameters(), lr=0.1), xptorch.optim.Adam(eager.parameters(), lr=0.01)]
    for _ in range(3):
        for model, os in ((lazy, opts), (eager, opts_e)):
            for o in os:
                o.zero_grad()
                model(X).square().mean().backward()
                o.step()
    for pl, pe in zip(lazy.parameters(), eager.parameters()):
        np.testing.assert_array_equal(to_numpy(pl), to_numpy(pe))
    assert to_numpy(lazy[0].weight).shape == (4, 3)


def test_shared_lazy_layer_materialises_once_and_stays_tied():
    shared = nn.LazyLinear(8)
    net = nn.Sequential(nn.LazyLinear(8), shared, nn.ReLU(), shared, nn.LazyLinear(1))
    w = shared.weight
    assert nn.utils.tied_parameters(net) == [["1.weight", "3.weight"], ["1.bias", "3.bias"]]
    net(xptorch.rand(2, 4))
    assert net[1] is net[3] and net[1].weight is w and type(net[1]) is nn.Linear
    assert nn.utils.tied_parameters(net) == [["1.weight", "3.weight"], ["1.bias", "3.bias"]]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight",
                                                      "4.bias"]


def test_shared_lazy_layer_fed_two_sizes_refuses_like_torch():
    def run(lib):
        s = lib.nn.LazyLinear(8)
        net = lib.nn.Sequential(s, lib.nn.ReLU(), s)
        return net(lib.ones(2, 4))
    check_error(lambda: run(torch), lambda: run(xptorch))


@pytest.mark.parametrize("make, first, second", [
    (lambda lib: lib.nn.LazyLinear(3), (2, 5), (2, 6)),
    (lambda lib: lib.nn.LazyConv2d(3, 2), (1, 2, 4, 4), (1, 3, 4, 4)),
    (lambda lib: lib.nn.LazyBatchNorm1d(), (4, 3), (4, 5)),
])
def test_input_of_another_size_after_materialisation(make, first, second):
    def run(lib):
        m = make(lib)
        m(lib.ones(*first))
        return m(lib.ones(*second))
    check_error(lambda: run(torch), lambda: run(xptorch))


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.nn.LazyConv2d(3, 2), (2, 2, 2, 2, 2)),
    (lambda lib: lib.nn.LazyConvTranspose1d(3, 2), (2, 2, 2, 2)),
    (lambda lib: lib.nn.LazyConv2d(4, 3, groups=2), (2, 3, 4, 4)),
])
def test_lazy_conv_refuses_bad_first_input(make, shape):
    check_error(lambda: make(torch)(torch.ones(shape)), lambda: make(xptorch)(xptorch.ones(shape)))


def test_state_dict_round_trips_between_lazy_and_eager():
    def build(lib):
        return lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.ReLU(), lib.nn.LazyLinear(2))

    # An uninitialised state_dict loads into an uninitialised model, and nothing materialises.
    lz = build(xptorch)
    same_repr(lambda lib: build(lib).load_state_dict(build(lib).state_dict()))
    assert lz.load_state_dict(build(xptorch).state_dict()) is not None and is_lazy(lz[0].weight)
    # ... but not into an initialised one: the shape of an uninitialised tensor is unknown.
    check_error(lambda: torch.nn.Sequential(torch.nn.Linear(3, 4)).load_state_dict(build(torch)[:1].state_dict()),
                lambda: nn.Sequential(nn.Linear(3, 4)).load_state_dict(build(xptorch)[:1].state_dict()))
    # A real checkpoint materialises the lazy model with its shapes and values; the class changes on the call.
    eager = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    lz = build(xptorch)
    w = lz[0].weight
    assert repr(lz.load_state_dict(eager.state_dict())) == "<All keys matched successfully>"
    assert lz[0].weight is w and type(w) is nn.Parameter and type(lz[0]) is nn.LazyLinear
    X = xptorch.rand(5, 3)
    np.testing.assert_array_equal(to_numpy(lz(X)), to_numpy(eager(X)))
    assert repr(lz) == repr(eager)
    check_error(lambda: build(torch).load_state_dict(torch.nn.Sequential(torch.nn.Linear(3, 4)).state_dict()),
                lambda: build(xptorch).load_state_dict(nn.Sequential(nn.Linear(3, 4)).state_dict()))


def test_lazy_batchnorm_state_dict_shows_uninitialised_buffers():
    same_repr(lambda lib: lib.nn.LazyBatchNorm2d().state_dict())
    same_repr(lambda lib: list(lib.nn.LazyBatchNorm2d().buffers()))
    bn = nn.LazyBatchNorm2d()
    bn.load_state_dict(nn.BatchNorm2d(3).state_dict())
    assert bn.running_mean.shape == (3,) and type(bn.running_mean) is xptorch.Tensor


def test_device_and_dtype_moves_before_materialisation(device):
    net = nn.Sequential(nn.LazyLinear(4), nn.LazyBatchNorm1d()).to(device).double()
    w = net[0].weight
    assert is_lazy(w) and w.device.type == device and w.dtype == xptorch.float64
    assert is_lazy(net[1].running_mean) and net[1].running_mean.device.type == device
    net(xptorch.ones(3, 5, dtype=xptorch.float64, device=device))
    assert net[0].weight is w and w.shape == (4, 5) and w.dtype == xptorch.float64 and w.device.type == device
    assert net[1].running_var.dtype == xptorch.float64 and net[1].num_batches_tracked.dtype == xptorch.int64
    net.to("cpu")
    assert net[0].weight is w and w.device.type == "cpu"


def test_deepcopy_of_a_lazy_module():
    same_repr(lambda lib: copy.deepcopy(lib.nn.LazyLinear(3)))
    same_repr(lambda lib: copy.deepcopy(lib.nn.LazyLinear(3)).weight)
    m = nn.LazyLinear(3)
    c = copy.deepcopy(m)
    c(xptorch.ones(1, 2))
    assert is_lazy(m.weight) and type(m) is nn.LazyLinear and c.weight.shape == (3, 2)


@pytest.mark.parametrize("fn", [
    lambda p: p.shape, lambda p: p.sum(), lambda p: p.numel(), lambda p: p.share_memory_(), lambda p: p + 1,
    lambda p: p.detach(), lambda p: 2 * p,
], ids=["shape", "sum", "numel", "share_memory_", "add", "detach", "rmul"])
def test_uninitialised_parameter_refuses_like_torch(fn):
    def run(lib):
        return fn(lib.nn.parameter.UninitializedParameter())
    try:
        run(torch)
    except Exception as e:
        err = e
    # Our message names our own method table where torch names its C class.
    msg = xp_message(str(err)).replace("'xptorch._C.TensorBase' objects", "'xptorch.Tensor' objects")
    with pytest.raises(type(err)) as got:
        run(xptorch)
    assert str(got.value) == msg


def test_uninitialised_tensors_answer_what_torch_answers():
    for make in (lambda lib: lib.nn.parameter.UninitializedParameter(),
                 lambda lib: lib.nn.parameter.UninitializedBuffer(),
                 lambda lib: lib.nn.parameter.UninitializedParameter(requires_grad=False, dtype=lib.float64)):
        for attr in (repr, lambda p: p.size(), lambda p: p.dtype, lambda p: p.requires_grad, lambda p: p.is_leaf,
                     lambda p: p.grad, lambda p: p.data, lambda p: p.device, lambda p: isinstance(p, lib_buffer(p)),
                     lambda p: type(p.to(p.dtype)).__name__, lambda p: type(p.float()).__name__):
            same_repr(lambda lib: attr(make(lib)))
    check_error(lambda: torch.nn.parameter.UninitializedParameter(dtype=torch.int64),
                lambda: UninitializedParameter(dtype=xptorch.int64))
    p = UninitializedParameter()
    assert is_lazy(p) and is_lazy(UninitializedBuffer()) and not is_lazy(nn.Parameter(xptorch.ones(1)))
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.requires_grad
    b = UninitializedBuffer(persistent=False)
    b.materialize((4,), dtype=xptorch.float64)
    assert type(b) is xptorch.Tensor and b.dtype == xptorch.float64 and b.persistent is False


def lib_buffer(p):
    return (torch if isinstance(p, torch.Tensor) else xptorch).nn.Buffer


def test_lazy_model_state_dict_repr_and_parameters():
    same_repr(lambda lib: lib.nn.Sequential(lib.nn.LazyLinear(4), lib.nn.LazyConv1d(2, 3)).state_dict())
    same_repr(lambda lib: list(lib.nn.LazyLinear(3).parameters()))
    same_repr(lambda lib: lib.nn.LazyLinear(3).has_uninitialized_params())
    same_repr(lambda lib: lib.nn.LazyLinear(3, dtype=lib.int64))


def test_first_call_leaves_no_hook_so_later_calls_take_the_fast_path():
    lz = nn.LazyLinear(4)
    lz(xptorch.ones(1, 3))
    assert not hasattr(lz, "_initialize_hook") and not lz._forward_pre_hooks
    assert lz.__dict__.keys() == nn.Linear(3, 4).__dict__.keys()


def test_save_refuses_uninitialised_tensors_and_keeps_materialised_ones(tmp_path):
    net = nn.Sequential(nn.LazyLinear(4))
    with pytest.raises(ValueError, match=r"save: 0\.weight is an UninitializedParameter; run a forward pass"):
        xptorch.save(net.state_dict(), tmp_path / "lazy.params")
    assert not (tmp_path / "lazy.params").exists()
    net(xptorch.ones(1, 2))
    xptorch.save(net.state_dict(), tmp_path / "lazy.params")
    fresh = nn.Sequential(nn.LazyLinear(4))
    fresh.load_state_dict(xptorch.load(tmp_path / "lazy.params"))
    np.testing.assert_array_equal(to_numpy(fresh(xptorch.ones(3, 2))), to_numpy(net(xptorch.ones(3, 2))))


def test_pickle_round_trip_of_a_lazy_model():
    import pickle

    net = pickle.loads(pickle.dumps(nn.Sequential(nn.LazyLinear(4), nn.LazyBatchNorm1d())))
    assert repr(net[0].weight) == "<UninitializedParameter>" and repr(net[1].running_mean) == "<UninitializedBuffer>"
    net(xptorch.ones(2, 3))
    assert type(net[0]) is nn.Linear and net[0].weight.shape == (4, 3) and net[1].running_mean.shape == (4,)


def _custom_lazy(lib):
    mixin = lib.nn.modules.lazy.LazyModuleMixin

    class MyLazy(mixin, lib.nn.Module):
        def __init__(self, out):
            super().__init__()
            self.out = out
            self.weight = lib.nn.parameter.UninitializedParameter()
            self.register_buffer("scale", lib.nn.parameter.UninitializedBuffer())

        def initialize_parameters(self, x):
            if self.has_uninitialized_params():
                with lib.no_grad():
                    self.weight.materialize((x.shape[-1], self.out))
                    self.scale.materialize((self.out,))
                    self.weight.fill_(0.5)
                    self.scale.fill_(2.0)

        def forward(self, x):
            return (x @ self.weight) * self.scale

    return MyLazy


def test_user_defined_lazy_module_like_torch():
    same_repr(lambda lib: _custom_lazy(lib)(3).state_dict())
    same_repr(lambda lib: _custom_lazy(lib)(3)(lib.ones(2, 4)))
    m = _custom_lazy(xptorch)(3)
    m(xptorch.ones(2, 4))
    assert type(m).__name__ == "MyLazy" and not m._forward_pre_hooks and m.scale.shape == (3,)

    def missing(lib):
        class Bad(lib.nn.modules.lazy.LazyModuleMixin, lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.parameter.UninitializedParameter()

            def forward(self, x):
                return x
        return Bad

    check_error(lambda: missing(torch)()(torch.ones(1)), lambda: missing(xptorch)()(xptorch.ones(1)))

    def incomplete(lib):
        class Half(missing(lib)):
            def initialize_parameters(self, x):
                pass
        return Half

    check_error(lambda: incomplete(torch)()(torch.ones(1)), lambda: incomplete(xptorch)()(xptorch.ones(1)))
