"""nn.Module against torch 2.13: registration rules and messages, traversal order, apply/train/
zero_grad/requires_grad_, repr, and the errors a Linear raises for a wrong input."""
import numpy as np
import pytest

import xptorch
from xptorch import nn

torch = pytest.importorskip("torch")
from oracle import same_repr  # noqa: E402


same = same_repr


def names(pairs):
    return [n for n, _ in pairs]


# ---- registration ---------------------------------------------------------------------------------

def _with_param(lib):
    m = lib.nn.Module()
    m.weight = lib.nn.Parameter(lib.ones(2, 2))
    return m


@pytest.mark.parametrize("value", ["tensor", "int", "module", "double_tensor", "list"])
def test_assigning_a_non_parameter_to_a_parameter_name(value):
    def run(lib):
        m = _with_param(lib)
        v = {"tensor": lib.ones(2, 2), "int": 3, "module": lib.nn.ReLU(),
             "double_tensor": lib.ones(1, dtype=lib.float64), "list": [1]}[value]
        m.weight = v

    err = same(run)
    if value == "tensor":
        assert str(err) == ("cannot assign 'xptorch.FloatTensor' as parameter 'weight' "
                            "(xptorch.nn.Parameter or None expected)")


def test_assigning_none_keeps_the_slot():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        m.weight = None
        return m.weight, list(m.state_dict()), names(m.named_parameters()), "weight" in m._parameters

    same(run)


@pytest.mark.parametrize("what", ["parameter", "module", "buffer", "register_parameter", "add_module"])
def test_assigning_before_init(what):
    def run(lib):
        class M(lib.nn.Module):
            def __init__(self):
                if what == "parameter":
                    self.w = lib.nn.Parameter(lib.ones(1))
                elif what == "module":
                    self.l = lib.nn.Linear(1, 1)
                elif what == "buffer":
                    self.register_buffer("b", lib.ones(1))
                elif what == "register_parameter":
                    self.register_parameter("b", None)
                else:
                    self.add_module("b", None)

        M()

    same(run)


def test_plain_attributes_before_init_and_plain_tensors():
    def run(lib):
        class M(lib.nn.Module):
            def __init__(self):
                self.x = lib.ones(1)
                super().__init__()
                self.t = lib.ones(2)

        m = M()
        return m.x, m.t, list(m.state_dict()), list(m.parameters()), list(m.buffers()), "t" in m.__dict__

    same(run)


@pytest.mark.parametrize("name", ["nope", "weight_", "training_"])
def test_getattr_error(name):
    same(lambda lib: getattr(lib.nn.Linear(2, 2), name))
    same(lambda lib: getattr(lib.nn.Sequential(), name))


def test_delattr():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        m.register_buffer("b", lib.ones(1), persistent=False)
        m.c = lib.nn.ReLU()
        del m.weight, m.b, m.c
        return names(m.named_parameters()), hasattr(m, "weight"), list(m.state_dict()), m, \
            sorted(m._non_persistent_buffers_set)

    same(run)
    same(lambda lib: delattr(lib.nn.Linear(2, 2), "nope"))


REGISTER_ERRORS = [
    "m.register_parameter(1, None)",
    "m.register_parameter(1.5, None)",
    "m.register_parameter('a.b', None)",
    "m.register_parameter('', None)",
    "m.y = 1; m.register_parameter('y', None)",
    "m.register_parameter('z', lib.ones(1))",
    "m.register_parameter('z', 3)",
    "m.register_parameter('z', lib.nn.ReLU())",
    "m.register_parameter('w', lib.nn.Parameter(lib.ones(1)).double())",
    "m.register_parameter('forward', None)",
    "m.register_buffer(1, None)",
    "m.register_buffer('a.b', None)",
    "m.register_buffer('', None)",
    "m.y = 1; m.register_buffer('y', None)",
    "m.register_buffer('z', 3)",
    "m.register_buffer('z', [1])",
    "m.register_parameter('p', None); m.register_buffer('p', None)",
    "m.register_buffer('p', None); m.register_parameter('p', None)",
    "m.add_module('p', 3)",
    "m.add_module('p', lib.ones(2))",
    "m.add_module(1, lib.nn.ReLU())",
    "m.y = 1; m.add_module('y', lib.nn.ReLU())",
    "m.add_module('a.b', lib.nn.ReLU())",
    "m.add_module('', lib.nn.ReLU())",
    "m.register_module('', lib.nn.ReLU())",
    "m.add_module(1, 3)",
    "m.register_parameter('p', None); m.add_module('p', lib.nn.ReLU())",
    "m.l = lib.nn.ReLU(); m.l = 3",
    "m.l = lib.nn.ReLU(); m.l = lib.ones(1)",
    "m.p = lib.nn.Parameter(lib.zeros(1)); m.p = lib.nn.ReLU()",
    "m.register_buffer('b', lib.ones(2)); m.b = 3",
    "m.register_buffer('b', lib.ones(2)); m.b = lib.nn.ReLU(); m.b = 4",
]


@pytest.mark.parametrize("code", REGISTER_ERRORS)
def test_registration_errors(code):
    def run(lib):
        m = lib.nn.Module()
        exec(code, {"m": m, "lib": lib})

    with pytest.raises(Exception):
        run(torch)
    same(run)


REGISTER_OK = [
    "m.register_module('a b', lib.nn.ReLU())",
    "m.register_buffer('p', None); m.register_buffer('p', lib.ones(1))",
    "m.register_buffer('b', lib.ones(2), persistent=False)",
    "m.register_buffer('b', lib.ones(2), persistent=False); m.register_buffer('b', lib.ones(2))",
    "m.register_buffer('b', lib.ones(2), persistent=False); m.b = lib.zeros(3)",
    "m.register_buffer('b', lib.ones(2)); m.b = None",
    "m.register_buffer('b', lib.ones(2)); m.b = lib.nn.Parameter(lib.zeros(1))",
    "m.register_buffer('b', lib.ones(2)); m.b = lib.nn.ReLU()",
    "m.register_buffer('b', lib.nn.Parameter(lib.ones(2)))",
    "m.x = 1; m.x = lib.nn.Parameter(lib.zeros(1))",
    "m.x = 1; m.x = lib.nn.ReLU()",
    "m.c = lib.nn.ReLU(); m.c = lib.nn.Parameter(lib.zeros(1))",
    "m.c = lib.nn.ReLU(); m.c = None",
    "m.p = lib.nn.Parameter(lib.zeros(1)); m.p = lib.nn.Parameter(lib.ones(2))",
    "m.a = None; m.register_parameter('p', None); m.add_module('c', None); m.register_buffer('b', None)",
]


@pytest.mark.parametrize("code", REGISTER_OK)
def test_registration_outcomes(code):
    def run(lib):
        m = lib.nn.Module()
        exec(code, {"m": m, "lib": lib})
        return (names(m.named_parameters()), names(m.named_buffers()), names(m.named_children()),
                list(m.state_dict()), list(m._parameters), list(m._buffers), list(m._modules),
                sorted(m._non_persistent_buffers_set), sorted(k for k in m.__dict__ if not k.startswith("_")), m)

    same(run)


def test_module_init_arguments_and_missing_forward():
    same(lambda lib: lib.nn.Module(3))
    same(lambda lib: lib.nn.Module(a=3))
    same(lambda lib: lib.nn.Module()(1))
    same(lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])(1))
    same(lambda lib: lib.nn.ModuleDict()(1))


def test_dir_lists_registered_names_but_not_positions():
    def run(lib):
        s = lib.nn.Sequential(lib.nn.Linear(2, 2))
        s.register_buffer("buf", lib.ones(1))
        s.p = lib.nn.Parameter(lib.ones(1))
        keys = dir(s)
        return [k for k in ("buf", "p", "training", "forward", "state_dict") if k in keys], \
            [k for k in keys if k[0].isdigit()]

    same(run)


# ---- traversal ------------------------------------------------------------------------------------

def _tied_pair(lib):
    a, b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
    b.weight = a.weight
    return lib.nn.Sequential(a, b)


def _shared(lib):
    lin = lib.nn.Linear(2, 2)
    return lib.nn.Sequential(lin, lib.nn.Sequential(lin, lib.nn.ReLU()), lib.nn.BatchNorm1d(2), lin)


@pytest.mark.parametrize("build", [_tied_pair, _shared])
@pytest.mark.parametrize("kwargs", [{}, {"prefix": "net"}, {"recurse": False}, {"remove_duplicate": False},
                                    {"prefix": "p", "remove_duplicate": False}])
def test_named_parameters_and_buffers(build, kwargs):
    def run(lib):
        m = build(lib)
        m.register_parameter("own", lib.nn.Parameter(lib.ones(1)))
        return names(m.named_parameters(**kwargs)), names(m.named_buffers(**kwargs))

    same(run)


def test_tied_orders_from_the_semantics_notes():
    assert names(_tied_pair(xptorch).named_parameters()) == ["0.weight", "0.bias", "1.bias"]
    lin = nn.Linear(2, 2)
    assert names(nn.Sequential(lin, lin).named_parameters()) == ["0.weight", "0.bias"]
    assert names(nn.Sequential(lin, lin).named_parameters(remove_duplicate=False)) == \
        ["0.weight", "0.bias", "1.weight", "1.bias"]


@pytest.mark.parametrize("kwargs", [{}, {"prefix": "root"}, {"remove_duplicate": False}])
def test_named_modules_children_and_modules(kwargs):
    def run(lib):
        m = _shared(lib)
        m.add_module("none", None)
        mods = [(n, type(x).__name__) for n, x in m.named_modules(**kwargs)]
        return (mods, names(m.named_children()), len(list(m.children())),
                len(list(m.modules(remove_duplicate=kwargs.get("remove_duplicate", True)))))

    same(run)


def test_generators_and_memo():
    def run(lib):
        m = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sequential(lib.nn.ReLU()))
        kinds = [type(f()).__name__ for f in (m.parameters, m.named_parameters, m.buffers, m.named_buffers,
                                               m.children, m.named_children, m.modules, m.named_modules)]
        memo = set()
        first = names(m.named_modules(memo))
        again = names(m.named_modules(memo))
        skip = names(m.named_modules({m[1]}))
        return kinds, first, len(memo), m in memo, again, skip

    same(run)


def test_nested_names_with_spaces():
    def run(lib):
        def block():
            return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 4))

        outer = lib.nn.Sequential()
        for i in range(2):
            outer.add_module(f"block {i}", block())
        net = lib.nn.Sequential(outer, lib.nn.Linear(4, 1))
        return names(net.named_parameters()), names(net.named_modules()), list(net.state_dict()), net

    out = same(run)
    assert "0.block 0.0.weight" in out[0]


GETTERS = ["get_parameter('0.0.weight')", "get_parameter('0.1.weight')", "get_parameter('0.0.nope')",
           "get_parameter('0.0.b')", "get_parameter('0')", "get_parameter('')", "get_buffer('0.0.b')",
           "get_buffer('0.0.weight')", "get_buffer('0.0.nope')", "get_buffer('0.1.nope')", "get_buffer('t')",
           "get_submodule('0.0')", "get_submodule('0.0.weight')", "get_submodule('0.5')", "get_submodule('')",
           "get_submodule('x')", "get_submodule('training')", "get_submodule('0.')"]


@pytest.mark.parametrize("call", GETTERS)
def test_get_parameter_buffer_submodule(call):
    def run(lib):
        s = lib.nn.Sequential(lib.nn.Sequential(lib.nn.Linear(1, 1)))
        s[0][0].register_buffer("b", lib.ones(1))
        s.x = 3
        s.t = lib.ones(1)
        out = eval("s." + call, {"s": s})
        return type(out).__name__, tuple(getattr(out, "shape", ()))

    same(run)


def test_set_submodule():
    def run(lib, target, strict=False, value="relu"):
        s = lib.nn.Sequential(lib.nn.Sequential(lib.nn.Linear(1, 1)))
        s.x = 3
        s.set_submodule(target, lib.nn.Tanh() if value == "relu" else value, strict=strict)
        return s

    for args in [("0.0",), ("0.new",), ("0.new", True), ("",), ("x",), ("0.0", False, 3), ("1.0",)]:
        same(lambda lib: run(lib, *args))


# ---- apply / train / eval / zero_grad / requires_grad_ ---------------------------------------------

def test_apply_visits_children_first_once_each_and_returns_self():
    def run(lib):
        lin = lib.nn.Linear(1, 1)
        net = lib.nn.Sequential(lin, lib.nn.Sequential(lib.nn.ReLU(), lin), lib.nn.Tanh())
        order = []
        out = net.apply(lambda m: order.append(type(m).__name__))
        return order, out is net

    same(run)


def test_apply_initialises_like_the_seed():
    def init_constant(m):
        if type(m) is nn.Linear:
            nn.init.constant_(m.weight, 1)
            nn.init.zeros_(m.bias)

    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).apply(init_constant)
    assert net[0].weight.data[0].tolist() == [1.0] * 4 and net[0].bias.data[0].item() == 0


def test_train_eval_recurse_and_return_self():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sequential(lib.nn.Dropout(), lib.nn.BatchNorm1d(1)))
        flags = [net.eval() is net, [m.training for m in net.modules()]]
        net[1].train()
        flags.append([m.training for m in net.modules()])
        flags.append(net.train() is net)
        flags.append([m.training for m in net.modules()])
        return flags

    same(run)
    same(lambda lib: lib.nn.Linear(1, 1).train("no"))
    same(lambda lib: lib.nn.Linear(1, 1).train(0))


def test_train_is_dispatched_to_children():
    calls = []

    class Frozen(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    net = nn.Sequential(nn.Sequential(Frozen()))
    net.eval()
    assert calls == [False] and not net[0][0].training


def _trained(lib):
    net = lib.nn.Sequential(lib.nn.Linear(2, 1, bias=False))
    with lib.no_grad():
        net[0].weight.copy_(lib.tensor([[1.0, -2.0]]))
    net(lib.tensor([[1.0, 2.0]])).sum().backward()
    return net


def test_zero_grad_default_sets_none():
    def run(lib):
        net = _trained(lib)
        return net.zero_grad(), [p.grad for p in net.parameters()]

    same(run)


def test_zero_grad_set_to_none_false_zeroes_in_place():
    def run(lib):
        net = _trained(lib)
        g = net[0].weight.grad
        v = g._version
        net.zero_grad(set_to_none=False)
        return net[0].weight.grad, net[0].weight.grad is g, g._version > v, g.requires_grad

    same(run)


def test_requires_grad_():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 1), lib.nn.BatchNorm1d(1))
        out = [net.requires_grad_(False) is net, [p.requires_grad for p in net.parameters()]]
        net.requires_grad_()
        out.append([p.requires_grad for p in net.parameters()])
        return out

    same(run)


# ---- repr --------------------------------------------------------------------------------------------

def _nested(lib):
    nn_ = lib.nn
    inner = nn_.Sequential(nn_.ReLU(), nn_.Linear(3, 1, bias=False))
    return nn_.Sequential(nn_.Linear(2, 3), inner, nn_.ModuleList([nn_.Linear(1, 1) for _ in range(3)] + [nn_.ReLU()]),
                          nn_.ModuleDict({"b": nn_.Tanh(), "a": nn_.BatchNorm1d(2)}), nn_.Sequential())


def test_nested_repr():
    same(_nested)
    same(lambda lib: str(_nested(lib)))


def test_extra_repr_forms():
    def run(lib):
        class OneLine(lib.nn.Module):
            def extra_repr(self):
                return "k=1"

        class TwoLines(lib.nn.Module):
            def extra_repr(self):
                return "k=1\nj=2"

        a, b, c = OneLine(), TwoLines(), OneLine()
        c.child = lib.nn.ReLU()
        return [repr(m) for m in (a, b, c, lib.nn.ReLU(), lib.nn.Module())]

    same(run)


# ---- Linear input errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 5), (3, 2, 5), (5,), (2, 3, 4, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_wrong_feature_count(shape, bias):
    def run(lib):
        lib.nn.Linear(4, 8, bias=bias)(lib.ones(*shape))

    err = same(run)
    if shape == (2, 5):
        assert str(err) == "mat1 and mat2 shapes cannot be multiplied (2x5 and 4x8)"


@pytest.mark.parametrize("shape", [(2, 5), (3, 2, 5)])
def test_fused_sequential_wrong_feature_count(shape):
    same(lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU())(lib.ones(*shape)))


def test_linear_dtype_mismatch():
    same(lambda lib: lib.nn.Linear(4, 8)(lib.ones(2, 4, dtype=lib.float64)))
    same(lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU())(lib.ones(2, 4, dtype=lib.float64)))


def test_values_of_a_copied_net_match_torch():
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    xnet = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    xnet.load_state_dict({k: xptorch.tensor(v.cpu().numpy()) for k, v in tnet.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(xnet(xptorch.tensor(x)).detach().cpu().numpy(), tnet(torch.tensor(x)).detach().cpu().numpy(),
                               rtol=1e-6, atol=1e-6)
